// Unit tests: capability sets, systemd mode detection, signal names.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "hutch/common/error.hpp"
#include "hutch/engine/spec/capabilities.hpp"
#include "hutch/engine/spec/host_devices.hpp"
#include "hutch/engine/spec/signals.hpp"
#include "hutch/engine/spec/specgen.hpp"

using namespace hutch;
using namespace hutch::engine;

TEST_CASE("capabilitySet: defaults, add, drop, ALL, privileged, unknown names", "[engine][caps]") {
    auto def = capabilitySet({}, {}, false);
    CHECK(def.size() == 11);
    auto withNet = capabilitySet({"net_admin"}, {}, false);
    CHECK(withNet.size() == 12);
    CHECK(std::find(withNet.begin(), withNet.end(), "CAP_NET_ADMIN") != withNet.end());
    auto dropped = capabilitySet({}, {"CAP_CHOWN", "kill"}, false);
    CHECK(dropped.size() == 9);
    CHECK(std::find(dropped.begin(), dropped.end(), "CAP_KILL") == dropped.end());
    CHECK(capabilitySet({"CAP_KILL"}, {"ALL"}, false) == std::vector<std::string>{"CAP_KILL"});
    CHECK(capabilitySet({"all"}, {}, false).size() == allCapabilities().size());
    CHECK(capabilitySet({}, {"ALL"}, true).size() == allCapabilities().size());
    CHECK(normalizeCapability("sys_admin") == "CAP_SYS_ADMIN");
    CHECK_THROWS_WITH(capabilitySet({"foo"}, {}, false), Catch::Contains("\"CAP_FOO\": unknown capability"));
    CHECK_THROWS_AS(capabilitySet({}, {"nope"}, false), InvalidArgument);
}

TEST_CASE("systemdMode: init commands, /systemd suffix, sh -c, always/false", "[engine][systemd]") {
    ImageDefaults img;
    ContainerConfig c;
    img.cmd = {"/sbin/init"};
    CHECK(systemdMode(img, c));
    img.cmd = {"/usr/sbin/init"};
    CHECK(systemdMode(img, c));
    img.cmd = {"/bin/systemd"};
    CHECK(systemdMode(img, c));
    img.cmd = {"/lib/systemd/systemd", "--log-level=debug"};
    CHECK(systemdMode(img, c));
    img.cmd = {"/bin/sh", "-c", "/sbin/init"};
    CHECK(systemdMode(img, c));
    img.cmd = {"sh"};
    CHECK_FALSE(systemdMode(img, c));
    img.cmd = {"/usr/bin/systemd-analyze"};
    CHECK_FALSE(systemdMode(img, c));
    c.systemd = "always";
    CHECK(systemdMode(img, c));
    img.cmd = {"/sbin/init"};
    c.systemd = "false";
    CHECK_FALSE(systemdMode(img, c));
    c.systemd = "maybe";
    CHECK_THROWS_AS(systemdMode(img, c), InvalidArgument);
}

TEST_CASE("buildSpec in systemd mode: tmpfs, writable cgroup2, cgroupsPath", "[engine][systemd]") {
    SpecInputs in;
    in.containerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    in.rootfs = "/r";
    in.image.cmd = {"/sbin/init"};
    in.rootless = true;
    in.cgroupsPath = "/hutch-test/hutch-0123456789ab";
    in.files = {"/f/hostname", "/f/hosts", "/f/resolv.conf", "", ""};
    auto s = buildSpec(in);
    CHECK(s["linux"]["cgroupsPath"] == in.cgroupsPath);
    std::map<std::string, nlohmann::json> byDest;
    for (const auto& m : s["mounts"]) byDest[m["destination"]] = m;
    for (const char* d : {"/run", "/run/lock", "/tmp", "/var/log/journal"}) {
        INFO(d);
        REQUIRE(byDest.count(d));
        CHECK(byDest[d]["type"] == "tmpfs");
        auto opts = byDest[d]["options"].get<std::vector<std::string>>();
        CHECK(std::find(opts.begin(), opts.end(), "noexec") == opts.end());
        CHECK(std::find(opts.begin(), opts.end(), "tmpcopyup") != opts.end());
    }
    REQUIRE(byDest.count("/sys/fs/cgroup"));
    CHECK(byDest["/sys/fs/cgroup"]["type"] == "cgroup2");
    auto cg = byDest["/sys/fs/cgroup"]["options"].get<std::vector<std::string>>();
    CHECK(std::find(cg.begin(), cg.end(), "rw") != cg.end());

    in.image.cmd = {"sh"};
    auto plain = buildSpec(in);
    CHECK_FALSE(plain["linux"].contains("cgroupsPath"));
    for (const auto& m : plain["mounts"]) CHECK(m["destination"] != "/var/log/journal");
}

TEST_CASE("parseSignal: names, SIG prefix, numbers, RTMIN+n", "[engine][signals]") {
    CHECK(parseSignal("TERM") == SIGTERM);
    CHECK(parseSignal("sigkill") == SIGKILL);
    CHECK(parseSignal("9") == 9);
    CHECK(parseSignal("RTMIN+3") == SIGRTMIN + 3);
    CHECK(parseSignal("SIGRTMIN+3") == SIGRTMIN + 3);
    CHECK(parseSignal("RTMAX") == SIGRTMAX);
    CHECK_THROWS_WITH(parseSignal("SIGNOPE"), Catch::Contains("invalid signal: SIGNOPE"));
    CHECK_THROWS_AS(parseSignal("0"), InvalidArgument);
    CHECK_THROWS_AS(parseSignal("RTMIN+99"), InvalidArgument);
    CHECK_THROWS_AS(parseSignal(""), InvalidArgument);
}

TEST_CASE("hostDevices: char and block nodes, recursive, without pts/console/ptmx", "[engine][devices]") {
    if (::geteuid() != 0) {
        WARN("needs root (mknod); skipped");
        return;
    }
    namespace fs = std::filesystem;
    fs::path dev = fs::temp_directory_path() / ("hutch-dev-" + std::to_string(::getpid()));
    fs::remove_all(dev);
    fs::create_directories(dev / "net");
    fs::create_directories(dev / "pts");
    REQUIRE(::mknod((dev / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    REQUIRE(::mknod((dev / "net/tun").c_str(), S_IFCHR | 0600, makedev(10, 200)) == 0);
    REQUIRE(::mknod((dev / "loop0").c_str(), S_IFBLK | 0660, makedev(7, 0)) == 0);
    REQUIRE(::mknod((dev / "pts/0").c_str(), S_IFCHR | 0620, makedev(136, 0)) == 0);
    REQUIRE(::mknod((dev / "console").c_str(), S_IFCHR | 0600, makedev(5, 1)) == 0);
    std::ofstream(dev / "regular") << "x";
    fs::create_symlink("null", dev / "link");

    auto found = hostDevices(dev.string(), false);
    REQUIRE(found.size() == 3);
    CHECK(found[0].path == "/dev/loop0");
    CHECK(found[0].type == 'b');
    CHECK(found[0].major == 7);
    CHECK(found[1].path == "/dev/net/tun");
    CHECK(found[1].minor == 200);
    CHECK(found[1].mode == 0600);
    CHECK(found[2].path == "/dev/null");

    SpecInputs in;
    in.containerId = std::string(64, 'a');
    in.rootfs = "/r";
    in.image.cmd = {"sh"};
    in.files = {"/f/hostname", "/f/hosts", "/f/resolv.conf", "", ""};
    in.hostDevices = found;
    auto plain = buildSpec(in);
    in.config.privileged = true;
    auto priv = buildSpec(in);
    auto paths = [](const nlohmann::json& s) {
        std::vector<std::string> p;
        for (const auto& d : s["linux"]["devices"]) p.push_back(d["path"]);
        return p;
    };
    auto pp = paths(priv);
    CHECK(std::count(pp.begin(), pp.end(), "/dev/null") == 1);  // not added twice
    CHECK(std::count(pp.begin(), pp.end(), "/dev/net/tun") == 1);
    CHECK(std::count(pp.begin(), pp.end(), "/dev/loop0") == 1);
    auto np = paths(plain);
    CHECK(std::count(np.begin(), np.end(), "/dev/net/tun") == 0);
    fs::remove_all(dev);
}
