// Pure-logic tests of the runtime pieces (no namespaces needed).
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "bundle.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/idmap.hpp"
#include "hutch/runtime/caps.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/runtime/mounts.hpp"
#include "hutch/runtime/ns.hpp"
#include "hutch/runtime/process.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/runtime/session.hpp"
#include "hutch/runtime/spec.hpp"

using namespace hutch::runtime;
namespace fs = std::filesystem;

TEST_CASE("parseMountOptions splits flags, propagation and data", "[runtime][mounts]") {
    auto o = parseMountOptions({"rbind", "ro", "nosuid", "rslave", "mode=755", "size=10k", "tmpcopyup", "rw"});
    CHECK(o.flags == (MS_BIND | MS_REC | MS_NOSUID));
    CHECK(o.propagation == (MS_SLAVE | MS_REC));
    CHECK(o.data == "mode=755,size=10k");
    CHECK(o.tmpcopyup);
    CHECK_FALSE(parseMountOptions({"tmpcopyup", "notmpcopyup"}).tmpcopyup);
    CHECK(parseMountOptions({"ro", "noexec", "nodev"}).flags == (MS_RDONLY | MS_NOEXEC | MS_NODEV));
}

TEST_CASE("resolveInRoot keeps symlinks and .. inside the root", "[runtime][mounts]") {
    rtest::Bundle b("resolve");
    std::string r = b.rootfs();
    ::symlink("/etc", (r + "/abs").c_str());
    ::symlink("../../../../etc", (r + "/rel").c_str());
    ::symlink("loop2", (r + "/loop1").c_str());
    ::symlink("loop1", (r + "/loop2").c_str());
    CHECK(hutch::fsutil::resolveInRoot(r, "/abs/passwd") == r + "/etc/passwd");
    CHECK(hutch::fsutil::resolveInRoot(r, "/rel/passwd") == r + "/etc/passwd");
    CHECK(hutch::fsutil::resolveInRoot(r, "/../../etc/../tmp/x") == r + "/tmp/x");
    CHECK(hutch::fsutil::resolveInRoot(r, "/") == r);
    CHECK(hutch::fsutil::resolveInRoot(r, "/new/dir") == r + "/new/dir");
    CHECK_THROWS_AS(hutch::fsutil::resolveInRoot(r, "/loop1/x"), hutch::SysError);
}

TEST_CASE("capability names", "[runtime][caps]") {
    CHECK(capFromName("CAP_CHOWN") == 0);
    CHECK(capFromName("net_admin") == 12);
    CHECK(capFromName("SYS_ADMIN") == 21);
    CHECK(capFromName("CAP_CHECKPOINT_RESTORE") == 40);
    CHECK_FALSE(capFromName("CAP_BOGUS"));
    CHECK(capMask({"CAP_CHOWN", "CAP_KILL"}) == ((1u << 0) | (1u << 5)));
    CHECK_THROWS_AS(capMask({"CAP_BOGUS"}), hutch::InvalidArgument);
}

TEST_CASE("parseSpec reads the subset and rejects bad input", "[runtime][spec]") {
    auto cfg = rtest::defaultConfig();
    cfg["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    Spec s = parseSpec(cfg.dump(), "/bundle");
    CHECK(s.rootPath == "/bundle/rootfs");
    CHECK(s.hostname == "testbox");
    CHECK(s.mounts.size() == 6);
    CHECK(s.mounts[1].destination == "/dev");
    CHECK(s.devices.size() == 6);
    CHECK(s.devices[0].fileMode == 0666u);
    CHECK(s.process.capabilities->bounding.size() == 11);
    CHECK(s.process.rlimits.at(0).soft == 1048576);
    CHECK(s.sysctl.at(0).first == "net.ipv4.ip_forward");
    CHECK((cloneFlags(s) & CLONE_NEWPID) != 0);

    auto bad = cfg;
    bad["process"]["args"] = nlohmann::json::array();
    CHECK_THROWS_WITH(parseSpec(bad.dump(), "/b", "cfg.json"), Catch::Contains("cfg.json: process.args"));
    bad = cfg;
    bad["linux"]["namespaces"].push_back({{"type", "time"}});
    CHECK_THROWS_AS(parseSpec(bad.dump(), "/b"), hutch::ConfigError);
    bad = cfg;
    bad["linux"]["namespaces"].push_back({{"type", "user"}});
    CHECK_THROWS_WITH(parseSpec(bad.dump(), "/b"), Catch::Contains("uidMappings"));
    bad = cfg;
    bad["process"]["user"]["uid"] = "root";
    CHECK_THROWS_WITH(parseSpec(bad.dump(), "/b"), Catch::Contains("process.user.uid"));
    CHECK_THROWS_AS(parseSpec("{not json", "/b"), hutch::ConfigError);
}

TEST_CASE("parseSpec: a network namespace path is joined, not created", "[runtime][spec]") {
    auto cfg = rtest::defaultConfig();
    cfg["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "/run/netns/x"}});
    Spec s = parseSpec(cfg.dump(), "/bundle");
    CHECK(s.hasNamespace("network"));
    CHECK((cloneFlags(s) & CLONE_NEWNET) == 0);
    CHECK((cloneFlags(s) & CLONE_NEWPID) != 0);
    auto bad = rtest::defaultConfig();
    bad["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "relative/ns"}});
    CHECK_THROWS_WITH(parseSpec(bad.dump(), "/b"), Catch::Contains("absolute"));
    bad = rtest::defaultConfig();
    for (auto& n : bad["linux"]["namespaces"])
        if (n["type"] == "mount") n["path"] = "/proc/1/ns/mnt";
    CHECK_THROWS_WITH(parseSpec(bad.dump(), "/b"), Catch::Contains("mount"));
    // A pid namespace given by path (--pid container:NAME) is joined before the clone.
    auto pid = rtest::defaultConfig();
    for (auto& n : pid["linux"]["namespaces"])
        if (n["type"] == "pid") n["path"] = "/proc/1/ns/pid";
    CHECK((cloneFlags(parseSpec(pid.dump(), "/b")) & CLONE_NEWPID) == 0);
}

TEST_CASE("parseSpec: oomScoreAdj, keep_original_groups, pids limit", "[runtime][spec]") {
    auto cfg = rtest::defaultConfig();
    Spec s = parseSpec(cfg.dump(), "/bundle");
    CHECK_FALSE(s.process.oomScoreAdj);
    CHECK_FALSE(s.process.keepOriginalGroups);
    CHECK_FALSE(s.pidsLimit);
    cfg["process"]["oomScoreAdj"] = 100;
    cfg["annotations"]["run.oci.keep_original_groups"] = "1";
    cfg["linux"]["resources"]["pids"]["limit"] = 42;
    s = parseSpec(cfg.dump(), "/bundle");
    CHECK(s.process.oomScoreAdj == 100);
    CHECK(s.process.keepOriginalGroups);
    CHECK(s.pidsLimit == 42);
}

TEST_CASE("lookupExecutable uses the container's PATH", "[runtime][process]") {
    CHECK(lookupExecutable("sh", {"PATH=/nonexistent:/bin"}) == "/bin/sh");
    CHECK_THROWS_WITH(lookupExecutable("sh", {"PATH=/nonexistent"}),
                      "sh: executable file not found in $PATH");
    try {
        lookupExecutable("nosuch", {});
        FAIL("no throw");
    } catch (const hutch::CommandError& e) {
        CHECK(e.exitCode() == 127);
    }
    CHECK(lookupExecutable("/etc/passwd", {}) == "/etc/passwd");  // exec will say 126
    CHECK(envValue({"A=1", "PATH=/x", "A=2"}, "A") == "2");
    CHECK_FALSE(envValue({"AB=1"}, "A"));
}

TEST_CASE("rlimit names", "[runtime][process]") {
    CHECK(rlimitFromName("RLIMIT_NOFILE") == RLIMIT_NOFILE);
    CHECK_FALSE(rlimitFromName("RLIMIT_BOGUS"));
}

TEST_CASE("session mapping and the subuid advice", "[runtime][session]") {
    rtest::Bundle b("subid");
    std::string f = b.dir + "/subuid";
    std::ofstream(f) << "alice:100000:65536\n1005:300000:1000\n";
    auto m = sessionMappingFor(f, "alice", 1000, 1000);
    REQUIRE(m.size() == 2);
    CHECK(m[0] == hutch::IdMapping{0, 1000, 1});
    CHECK(m[1] == hutch::IdMapping{1, 100000, 65536});
    CHECK(sessionMappingFor(f, "bob", 1005, 1005).at(1).hostId == 300000);
    // The advice names a range nobody has (issue 13: it proposed alice's 100000:65536).
    CHECK_THROWS_WITH(sessionMappingFor(f, "carol", 1007, 1007),
                      Catch::Contains("\"carol:165536:65536\"") && Catch::Contains("/etc/subuid and /etc/subgid") &&
                          Catch::Contains("usermod --add-subuids 165536-231071"));
    std::ofstream(b.dir + "/empty-subuid") << "";
    CHECK_THROWS_WITH(sessionMappingFor(b.dir + "/empty-subuid", "dave", 1008, 1008), Catch::Contains("\"dave:100000:65536\""));
    CHECK(parseIdMap("         0       1000          1\n         1     100000      65536\n").size() == 2);
}

TEST_CASE("freeSubIdStart: the first gap of 65536 ids at or above 100000", "[runtime][session]") {
    rtest::Bundle b("freesub");
    std::string f = b.dir + "/subuid";
    CHECK(hutch::freeSubIdStart(b.dir + "/missing") == 100000);
    std::ofstream(f) << "a:100000:65536\n# c:1:2\nb:300000:65536\nc:165536:1000\n";
    CHECK(hutch::freeSubIdStart(f) == 166536);  // between c's end and b's start
    std::ofstream(f) << "a:100000:65536\nb:200000:65536\n";
    CHECK(hutch::freeSubIdStart(f) == 265536);  // 165536..231071 overlaps b
    std::ofstream(f) << "a:0:50000\nbroken line\nx:y:z\n";
    CHECK(hutch::freeSubIdStart(f) == 100000);
}

TEST_CASE("session maps are identity when rootful", "[runtime][session]") {
    if (::geteuid() != 0) return;
    auto m = sessionUidMap();
    REQUIRE(m.size() == 1);
    CHECK(m[0].size == 4294967295u);
    CHECK_FALSE(isRootless());
}

TEST_CASE("runtimeMain usage errors are 125", "[runtime]") {
    std::vector<std::string> a1{"hutch", "__runtime", "run", "id"};
    std::vector<std::string> a2{"hutch", "__runtime", "run", "--bogus", "--bundle", "/x", "id"};
    std::vector<std::string> a3{"hutch", "__runtime"};
    for (auto* a : {&a1, &a2, &a3}) {
        std::vector<char*> argv;
        for (auto& s : *a) argv.push_back(s.data());
        CHECK(runtimeMain(static_cast<int>(argv.size()), argv.data()) == 125);
    }
}
