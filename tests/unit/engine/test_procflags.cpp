// The process flags (procflags.hpp): their parsers and what they put in the OCI spec, against
// podman 4.3's documented syntax and errors (docs/source/markdown/options/{ulimit,sysctl,
// shm-size,umask,group-add,device,ipc,pid,init}.md).
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <functional>
#include <string>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/engine/spec/specgen.hpp"

using namespace hutch;
using namespace hutch::engine;
using nlohmann::json;

namespace {

SpecInputs inputs() {
    SpecInputs in;
    in.containerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    in.rootfs = "/r";
    in.image.cmd = {"sh"};
    in.files = {"/b/hostname", "/b/hosts", "/b/resolv.conf", "", ""};
    in.rootless = true;
    return in;
}

const json* mountAt(const json& spec, const std::string& dest) {
    for (const auto& m : spec["mounts"])
        if (m["destination"] == dest) return &m;
    return nullptr;
}

const json* ns(const json& spec, const std::string& type) {
    for (const auto& n : spec["linux"]["namespaces"])
        if (n["type"] == type) return &n;
    return nullptr;
}

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("parseUlimit: NAME=SOFT[:HARD], -1 unlimited, podman's errors", "[engine][procflags]") {
    Ulimit u = parseUlimit("nofile=100:200");
    CHECK(u.type == "RLIMIT_NOFILE");
    CHECK(u.soft == 100);
    CHECK(u.hard == 200);
    u = parseUlimit("nproc=50");
    CHECK(u.type == "RLIMIT_NPROC");
    CHECK((u.soft == 50 && u.hard == 50));
    u = parseUlimit("core=-1");
    CHECK(u.soft == static_cast<uint64_t>(RLIM_INFINITY));
    CHECK(u.hard == static_cast<uint64_t>(RLIM_INFINITY));
    CHECK(parseUlimit("memlock=1:2").type == "RLIMIT_MEMLOCK");
    CHECK(parseUlimit("stack=8192").type == "RLIMIT_STACK");
    CHECK_THAT(errorOf([] { parseUlimit("nofile=abc"); }),
               Catch::Contains("ulimit option \"nofile=abc\" requires name=SOFT:HARD") &&
                   Catch::Contains("parsing \"abc\": invalid syntax"));
    CHECK_THAT(errorOf([] { parseUlimit("nofile=200:100"); }),
               Catch::Contains("ulimit soft limit must be less than or equal to hard limit: 200 > 100"));
    CHECK_THAT(errorOf([] { parseUlimit("bogus=1"); }), Catch::Contains("invalid ulimit type: bogus"));
    CHECK_THAT(errorOf([] { parseUlimit("nofile"); }), Catch::Contains("requires name=SOFT:HARD"));
}

TEST_CASE("parseSysctl: only namespaced sysctls, net.* not with the host network", "[engine][procflags]") {
    CHECK(parseSysctl("net.ipv4.ip_forward=1", "private") == std::pair<std::string, std::string>{"net.ipv4.ip_forward", "1"});
    CHECK(parseSysctl("kernel.shmmax=12345", "host").first == "kernel.shmmax");
    CHECK(parseSysctl("kernel.msgmax=1", "private").first == "kernel.msgmax");
    CHECK(parseSysctl("kernel.sem=1 2 3 4", "private").second == "1 2 3 4");
    CHECK(parseSysctl("fs.mqueue.msg_max=20", "private").first == "fs.mqueue.msg_max");
    CHECK_THAT(errorOf([] { parseSysctl("kernel.hostname=x", "private"); }),
               Catch::Contains("sysctl 'kernel.hostname' is not allowed"));
    CHECK_THAT(errorOf([] { parseSysctl("vm.swappiness=1", "private"); }), Catch::Contains("sysctl 'vm.swappiness' is not allowed"));
    CHECK_THAT(errorOf([] { parseSysctl("net.ipv4.ip_forward=1", "host"); }),
               Catch::Contains("can't be set since Network Namespace set to host"));
    CHECK_THAT(errorOf([] { parseSysctl("foo", "private"); }),
               Catch::Contains("foo is invalid, sysctl values must be in the form of KEY=VALUE"));
}

TEST_CASE("parseShmSize, parseUmask, parseDeviceFlag, device cgroup rules", "[engine][procflags]") {
    CHECK(parseShmSize("10m") == 10u << 20);
    CHECK(parseShmSize("64k") == 64u << 10);
    CHECK(parseShmSize("1g") == 1u << 30);
    CHECK(parseShmSize("1GB") == 1u << 30);
    CHECK(parseShmSize("4096") == 4096);
    CHECK(parseShmSize("100b") == 100);
    CHECK_THAT(errorOf([] { parseShmSize("10x"); }), Catch::Contains("invalid size: '10x'"));
    CHECK_THAT(errorOf([] { parseShmSize("m"); }), Catch::Contains("invalid size"));

    CHECK(parseUmask("0027") == 027);
    CHECK(parseUmask("077") == 077);
    CHECK_THAT(errorOf([] { parseUmask("9"); }), Catch::Contains("invalid umask string 9"));
    CHECK_THAT(errorOf([] { parseUmask("abc"); }), Catch::Contains("invalid umask string abc"));
    CHECK_THAT(errorOf([] { parseUmask("1777"); }), Catch::Contains("invalid umask string 1777"));

    DeviceFlag d = parseDeviceFlag("/dev/null");
    CHECK((d.hostPath == "/dev/null" && d.containerPath == "/dev/null" && d.perms == "rwm"));
    d = parseDeviceFlag("/dev/null:/dev/mynull");
    CHECK((d.containerPath == "/dev/mynull" && d.perms == "rwm"));
    d = parseDeviceFlag("/dev/null:r");
    CHECK((d.containerPath == "/dev/null" && d.perms == "r"));
    d = parseDeviceFlag("/dev/null:/dev/x:rw");
    CHECK((d.containerPath == "/dev/x" && d.perms == "rw"));
    CHECK_THAT(errorOf([] { parseDeviceFlag("/dev/null:/dev/x:rx"); }), Catch::Contains("invalid device mode: rx"));
    CHECK_THAT(errorOf([] { parseDeviceFlag("/dev/null:bogus"); }), Catch::Contains("invalid device mode: bogus"));

    checkDeviceCgroupRule("c 1:3 rwm");
    checkDeviceCgroupRule("a *:* m");
    checkDeviceCgroupRule("b 8:* r");
    CHECK_THAT(errorOf([] { checkDeviceCgroupRule("bogus"); }),
               Catch::Contains("invalid device cgroup rule requires type, major:Minor, and access rules: \"bogus\""));
    CHECK_THAT(errorOf([] { checkDeviceCgroupRule("x 1:3 rwm"); }), Catch::Contains("invalid device cgroup rule"));
    CHECK_THAT(errorOf([] { checkDeviceCgroupRule("c 1:3 rwx"); }), Catch::Contains("invalid device cgroup rule"));
}

TEST_CASE("checkProcessFlags: namespace modes and keep-groups alone", "[engine][procflags]") {
    ProcessFlags f;
    for (const char* v : {"", "private", "shareable", "host", "none", "container:abc"}) {
        f.ipc = v;
        CHECK_NOTHROW(checkProcessFlags(f, "private"));
    }
    f.ipc = "bogus";
    CHECK_THAT(errorOf([&] { checkProcessFlags(f, "private"); }), Catch::Contains("unrecognized namespace mode bogus passed"));
    f.ipc = "";
    f.pid = "none";  // not a --pid mode
    CHECK_THAT(errorOf([&] { checkProcessFlags(f, "private"); }), Catch::Contains("--pid: unrecognized namespace mode none"));
    f.pid = "host";
    f.groupAdd = {"keep-groups"};
    CHECK_NOTHROW(checkProcessFlags(f, "private"));
    f.groupAdd = {"keep-groups", "10"};
    CHECK_THAT(errorOf([&] { checkProcessFlags(f, "private"); }),
               Catch::Contains("the '--group-add keep-groups' option is not allowed with any other --group-add options"));
}

TEST_CASE("ProcessFlags survive the record's JSON", "[engine][procflags]") {
    ProcessFlags f;
    f.ulimits = {"nofile=1:2", "host"};
    f.sysctls = {"net.ipv4.ip_forward=1"};
    f.shmSize = 1 << 20;
    f.oomScoreAdj = 100;
    f.pidsLimit = -1;
    f.umask = "0027";
    f.groupAdd = {"10"};
    f.devices = {"/dev/null:/dev/x"};
    f.deviceCgroupRules = {"c 1:3 rwm"};
    f.ipc = "host";
    f.pid = "container:abc";
    f.init = true;
    f.initPath = "/x/init";
    f.preserveFds = 2;
    ProcessFlags g = ProcessFlags::fromJson(f.toJson());
    CHECK(g.toJson() == f.toJson());
    CHECK(ProcessFlags::fromJson(json::object()).toJson() == json::object());
}

TEST_CASE("buildSpec applies the process flags", "[engine][procflags]") {
    SpecInputs in = inputs();
    auto& p = in.config.proc;

    SECTION("ulimits replace the default and add others; host gives the caller's") {
        p.ulimits = {"nofile=100:200", "nproc=50:60"};
        json s = buildSpec(in);
        json want = json::array({json{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 200}},
                                 json{{"type", "RLIMIT_NPROC"}, {"soft", 50}, {"hard", 60}}});
        CHECK(s["process"]["rlimits"] == want);
        p.ulimits = {"host", "core=0"};
        in.procHost.hostUlimits = {{"RLIMIT_NOFILE", 20000, 20000}, {"RLIMIT_CORE", 7, 9}};
        s = buildSpec(in);
        want = json::array({json{{"type", "RLIMIT_NOFILE"}, {"soft", 20000}, {"hard", 20000}},
                            json{{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}}});
        CHECK(s["process"]["rlimits"] == want);
    }
    SECTION("sysctls join the default ping range; refused ones fail the spec") {
        p.sysctls = {"net.ipv4.ip_forward=1", "kernel.shmmax=12345"};
        json s = buildSpec(in);
        CHECK(s["linux"]["sysctl"]["net.ipv4.ip_forward"] == "1");
        CHECK(s["linux"]["sysctl"]["kernel.shmmax"] == "12345");
        CHECK(s["linux"]["sysctl"]["net.ipv4.ping_group_range"] == "0 0");
        in.config.network = "host";
        CHECK_THROWS_AS(buildSpec(in), InvalidArgument);
        p.sysctls = {"kernel.shmmax=1"};
        CHECK(buildSpec(in)["linux"]["sysctl"]["kernel.shmmax"] == "1");
    }
    SECTION("shm size, oom score, umask, pids limit with a cgroup") {
        p.shmSize = 10u << 20;
        p.oomScoreAdj = 100;
        p.umask = "0027";
        p.pidsLimit = 100;
        json s = buildSpec(in);
        const json* shm = mountAt(s, "/dev/shm");
        REQUIRE(shm);
        int sizes = 0;
        for (const auto& o : (*shm)["options"])
            if (o.get<std::string>().rfind("size=", 0) == 0) {
                ++sizes;
                CHECK(o == "size=10485760");
            }
        CHECK(sizes == 1);
        CHECK(s["process"]["oomScoreAdj"] == 100);
        CHECK(s["process"]["user"]["umask"] == 027);
        CHECK_FALSE(s["linux"].contains("resources"));  // no cgroup of its own: ignored
        in.procHost.cgroupsPath = "/user/hutch-0123";
        s = buildSpec(in);
        CHECK(s["linux"]["cgroupsPath"] == "/user/hutch-0123");
        CHECK(s["linux"]["resources"]["pids"]["limit"] == 100);
        p.pidsLimit = -1;
        CHECK(buildSpec(in)["linux"]["resources"]["pids"]["limit"] == -1);
    }
    SECTION("group-add: resolved gids, or keep-groups as crun's annotation") {
        in.user.additionalGids = {10};
        p.groupAdd = {"10", "1000"};
        in.procHost.groupIds = {10, 1000};
        json s = buildSpec(in);
        CHECK(s["process"]["user"]["additionalGids"] == json::array({10, 1000}));
        CHECK_FALSE(s["annotations"].contains("run.oci.keep_original_groups"));
        p.groupAdd = {"keep-groups"};
        in.procHost.groupIds.clear();
        s = buildSpec(in);
        CHECK(s["annotations"]["run.oci.keep_original_groups"] == "1");
    }
    SECTION("devices: bind-mounted rootless, device nodes rootful") {
        p.devices = {"/dev/null:/dev/mynull"};
        in.procHost.devices = {{"/dev/null", "/dev/mynull", 'c', 1, 3, 0666}};
        json s = buildSpec(in);
        const json* m = mountAt(s, "/dev/mynull");
        REQUIRE(m);
        CHECK((*m)["source"] == "/dev/null");
        CHECK((*m)["type"] == "bind");
        for (const auto& o : (*m)["options"]) CHECK(o != "nodev");
        in.rootless = false;
        s = buildSpec(in);
        CHECK_FALSE(mountAt(s, "/dev/mynull"));
        bool found = false;
        for (const auto& d : s["linux"]["devices"])
            if (d["path"] == "/dev/mynull") found = d["major"] == 1 && d["minor"] == 3 && d["type"] == "c";
        CHECK(found);
    }
    SECTION("ipc and pid: host drops the namespace, container: joins by path, none has no /dev/shm") {
        p.ipc = "host";
        p.pid = "host";
        json s = buildSpec(in);
        CHECK_FALSE(ns(s, "ipc"));
        CHECK_FALSE(ns(s, "pid"));
        CHECK((*mountAt(s, "/dev/shm"))["source"] == "/dev/shm");
        CHECK_FALSE(mountAt(s, "/dev/mqueue"));
        CHECK((*mountAt(s, "/proc"))["type"] == "bind");  // rootless: the host's /proc
        p.ipc = "container:abc";
        p.pid = "container:abc";
        in.procHost.ipcNsPath = "/proc/42/ns/ipc";
        in.procHost.pidNsPath = "/proc/42/ns/pid";
        s = buildSpec(in);
        CHECK((*ns(s, "ipc"))["path"] == "/proc/42/ns/ipc");
        CHECK((*ns(s, "pid"))["path"] == "/proc/42/ns/pid");
        CHECK((*mountAt(s, "/proc"))["type"] == "proc");
        p.ipc = "none";
        p.pid = "";
        s = buildSpec(in);
        CHECK(ns(s, "ipc"));
        CHECK_FALSE(mountAt(s, "/dev/shm"));
        p.ipc = "private";
        CHECK(mountAt(buildSpec(in), "/dev/shm"));
    }
    SECTION("init: the program bind-mounted on /run/podman-init runs the command") {
        p.init = true;
        in.procHost.initBinary = "/usr/libexec/hutch/hutch-init";
        in.config.command = {"sleep", "1"};
        json s = buildSpec(in);
        CHECK(s["process"]["args"] == json::array({"/run/podman-init", "--", "sleep", "1"}));
        const json* m = mountAt(s, "/run/podman-init");
        REQUIRE(m);
        CHECK((*m)["source"] == "/usr/libexec/hutch/hutch-init");
    }
}
