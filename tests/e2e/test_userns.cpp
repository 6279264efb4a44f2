// e2e: a user namespace of the container's own (issue 15) as the unprivileged test user:
// --uidmap puts the container's root on a subordinate id of the host, keep-id keeps the
// user's own uid inside, containers with different mappings cannot read each other's files
// in a shared volume, :U gives a bind source to the container's root, bad maps are errors
// that create nothing, and systemd boots under --uidmap 0:1:65536 (the seed's failing case).
// Cases tagged [podman-ref] state podman 4.3's behaviour too: scripts/test.sh runs them against
// podman (tests/e2e/podman-shim.sh) as well.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace hutch::e2e;

namespace {

/// The first id of `user`'s range in /etc/subuid (or subgid); FAILs when there is none.
long firstSubId(const std::string& file, const std::string& user) {
    std::ifstream f(file);
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream in(line);
        std::string name, start;
        if (std::getline(in, name, ':') && std::getline(in, start, ':') && name == user) return std::stol(start);
    }
    FAIL(user << " has no range in " << file);
    return -1;
}

/// The "Uid:" (or "Gid:") line's real id of process `pid` on the host.
long hostId(long pid, const std::string& key) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    return -1;
}

}  // namespace

TEST_CASE("e2e: --uidmap 0:1:65536 makes the container's root the user's first subuid", "[e2e][userns][podman-ref]") {
    Sandbox sb;
    std::string id = runDetached(sb, {"--name", "m", "--uidmap", "0:1:65536", "busybox", "sleep", "1000"});
    Result pid = sb.hutch({"inspect", "--format", "{{.State.Pid}}", "m"});
    REQUIRE_RC(pid, 0);
    long p = std::stol(pid.out);
    CHECK(hostId(p, "Uid") == firstSubId("/etc/subuid", sb.user()));
    CHECK(hostId(p, "Gid") == firstSubId("/etc/subgid", sb.user()));
    // Inside, the image's files are root's, and what root writes is root's.
    Result in = sb.hutch({"exec", "m", "sh", "-c",
                          "id -u; stat -c %u:%g /bin/busybox /etc /home/tester; touch /new && stat -c %u /new; "
                          "cat /proc/self/uid_map"});
    REQUIRE_RC(in, 0);
    auto l = lines(in.out);
    REQUIRE(l.size() >= 6);
    CHECK(l[0] == "0");
    CHECK(l[1] == "0:0");
    CHECK(l[2] == "0:0");
    CHECK(l[3] == "1000:1000");
    CHECK(l[4] == "0");
    CHECK_R(in, in.out.find("0          1      65536") != std::string::npos);
    Result maps = sb.hutch({"inspect", "--format", "{{.HostConfig.UsernsMode}} {{.HostConfig.IDMappings.UIDMap}}", "m"});
    REQUIRE_RC(maps, 0);
    CHECK_R(maps, maps.out == "private [0:1:65536]\n");
    REQUIRE_RC(sb.hutch({"rm", "-f", "-t0", "m"}), 0);
    // A second container with the same mapping (its image copy is reused: see below).
    Result again = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "busybox", "true"});
    REQUIRE_RC(again, 0);
}

TEST_CASE("e2e: an image's copy for a mapping is shared, and goes with the last container that has it", "[e2e][userns]") {
    Sandbox sb;
    auto copies = [&] {
        size_t n = 0;
        std::error_code ec;
        for (const auto& layer : fs::directory_iterator(sb.storageRoot() / "overlay", ec))
            if (fs::is_directory(layer.path() / "mapped"))
                for (auto it = fs::directory_iterator(layer.path() / "mapped"); it != fs::directory_iterator(); ++it) ++n;
        return n;
    };
    Result keep = sb.hutch({"run", "--name", "k", "--uidmap", "0:1:65536", "busybox", "true"});
    REQUIRE_RC(keep, 0);
    const size_t made = copies();
    CHECK(made > 0);
    Result again = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "busybox", "true"});
    REQUIRE_RC(again, 0);
    CHECK(copies() == made);  // reused, and kept while k has the mapping
    Result rmk = sb.hutch({"rm", "k"});
    REQUIRE_RC(rmk, 0);
    CHECK(copies() == 0);
}

TEST_CASE("e2e: --userns=keep-id keeps the user's uid and their files inside", "[e2e][userns][podman-ref]") {
    Sandbox sb;
    fs::path dir = sb.dir() / "work";
    sb.writeFile(dir / "f", "mine\n");
    Result r = sb.hutch({"run", "--rm", "--userns=keep-id", "-v", dir.string() + ":/w", "busybox", "sh", "-c",
                         "id -u; stat -c %u /w/f; echo more >> /w/f && cat /w/f"});
    REQUIRE_RC(r, 0);
    auto l = lines(r.out);
    REQUIRE(l.size() == 4);
    CHECK(l[0] == std::to_string(sb.uid()));
    CHECK(l[1] == std::to_string(sb.uid()));
    CHECK(l[2] == "mine");
    CHECK(l[3] == "more");
    struct stat st;
    REQUIRE(::stat((dir / "f").c_str(), &st) == 0);
    CHECK(st.st_uid == sb.uid());
    // -u still wins over keep-id's default user.
    Result root = sb.hutch({"run", "--rm", "--userns=keep-id", "-u", "0", "busybox", "id", "-u"});
    REQUIRE_RC(root, 0);
    CHECK_R(root, root.out == "0\n");
}

TEST_CASE("e2e: containers with different mappings cannot read each other's files in a volume", "[e2e][userns][podman-ref]") {
    Sandbox sb;
    Result first = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "-v", "shared:/v", "busybox", "sh", "-c",
                             "echo secret > /v/a && chmod 600 /v/a && stat -c %u /v/a"});
    REQUIRE_RC(first, 0);
    CHECK(first.out == "0\n");
    Result other = sb.hutch({"run", "--rm", "--uidmap", "0:3000:2000", "-v", "shared:/v", "busybox", "sh", "-c",
                             "stat -c %u /v/a; cat /v/a; echo b > /v/b"});
    CHECK(other.rc != 0);
    CHECK_R(other, other.out.find("65534") != std::string::npos);  // an owner it does not map
    CHECK_R(other, other.out.find("secret") == std::string::npos);
    CHECK_R(other, other.err.find("Permission denied") != std::string::npos);
    Result same = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "-v", "shared:/v", "busybox", "cat", "/v/a"});
    REQUIRE_RC(same, 0);
    CHECK(same.out == "secret\n");
}

TEST_CASE("e2e: -v SRC:DST:U under --uidmap gives the source to the container's root", "[e2e][userns][podman-ref]") {
    Sandbox sb;
    fs::path dir = sb.dir() / "src";
    sb.writeFile(dir / "x", "x\n");
    Result r = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "-v", dir.string() + ":/u:U", "busybox", "sh", "-c",
                         "stat -c %u /u/x; touch /u/y"});
    REQUIRE_RC(r, 0);
    CHECK(r.out == "0\n");
    struct stat st;
    REQUIRE(::stat((dir / "y").c_str(), &st) == 0);
    CHECK(st.st_uid == static_cast<uid_t>(firstSubId("/etc/subuid", sb.user())));
}

TEST_CASE("e2e: bad --uidmap, --gidmap and --userns values are errors that create nothing", "[e2e][userns]") {
    Sandbox sb;
    struct Case {
        std::vector<std::string> flags;
        std::string says;
    };
    const Case cases[] = {
        {{"--uidmap", "0:70000:10"}, "intermediate ids 70000-70009 go past the 65537 ids"},
        {{"--uidmap", "0:1:65537"}, "/etc/subuid"},
        {{"--uidmap", "0:1:100", "--gidmap", "0:65500:100"}, "/etc/subgid"},
        {{"--uidmap", "0:1:100", "--uidmap", "50:200:10"}, "overlap"},
        {{"--uidmap", "0:1"}, "CONTAINER:INTERMEDIATE:SIZE"},
        {{"--uidmap", "0:1:500"}, "which --uidmap does not map into the container"},
        {{"--userns=keep-id", "--uidmap", "0:1:10"}, "cannot be used with --uidmap"},
        {{"--userns=bogus"}, "unknown mode"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = {"run", "--rm"};
        args.insert(args.end(), c.flags.begin(), c.flags.end());
        args.insert(args.end(), {"busybox", "echo", "ran"});
        Result r = sb.hutch(args);
        INFO(c.says);
        CHECK_R(r, r.rc == 125);
        CHECK_R(r, r.out.find("ran") == std::string::npos);
        CHECK_R(r, r.err.find(c.says) != std::string::npos);
    }
    Result ps = sb.hutch({"ps", "-aq"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, ps.out.empty());
}

namespace {

/// In the running systemd container `name`: a transient unit with PrivateTmp, ProtectSystem
/// and DynamicUser runs as a dynamic user, writes its own /tmp, cannot write /usr, and leaves
/// nothing in the container's /tmp. Real only when PID 1 holds CAP_SYS_ADMIN in a user
/// namespace of the container's own.
void checkUnitSandboxing(const Sandbox& sb, const std::string& name, const RunOptions& opts) {
    Result unit = sb.hutch({"exec", name, "systemd-run", "--pipe", "--wait", "-q", "-p", "PrivateTmp=yes", "-p",
                            "ProtectSystem=strict", "-p", "DynamicUser=yes", "sh", "-c",
                            "id -u; touch /tmp/unitfile && echo tmp-ok; touch /usr/x 2>/dev/null || echo usr-ro"},
                           opts);
    REQUIRE_RC(unit, 0);
    auto l = lines(unit.out);
    REQUIRE(l.size() == 3);
    CHECK(l[0] != "0");  // a dynamic user
    CHECK(l[1] == "tmp-ok");
    CHECK(l[2] == "usr-ro");
    Result tmp = sb.hutch({"exec", name, "sh", "-c", "ls -A /tmp; test ! -e /usr/x && echo no-usr-x"});
    REQUIRE_RC(tmp, 0);
    CHECK_R(tmp, tmp.out.find("unitfile") == std::string::npos);
    CHECK_R(tmp, tmp.out.find("no-usr-x") != std::string::npos);
}

}  // namespace

TEST_CASE("e2e: systemd boots under --uidmap 0:1:65536, and PrivateTmp, ProtectSystem, DynamicUser work", "[e2e][userns][systemd]") {
    const std::string v = systemdImage();
    if (v.empty()) return;
    Sandbox sb;
    const auto boot = RunOptions::withTimeout(std::chrono::seconds(120));
    Result run = sb.hutch({"run", "-d", "--name", "deb", "--uidmap", "0:1:65536", "--gidmap", "0:1:65536", v}, boot);
    REQUIRE_RC(run, 0);
    Result state = sb.hutch({"exec", "deb", "systemctl", "is-system-running", "--wait"}, boot);
    CHECK_R(state, lastLine(state.out) == "running");
    Result failed = sb.hutch({"exec", "deb", "systemctl", "--failed", "--no-legend", "--plain"});
    CHECK_R(failed, failed.out.empty());
    Result pid = sb.hutch({"inspect", "--format", "{{.State.Pid}}", "deb"});
    REQUIRE_RC(pid, 0);
    CHECK(hostId(std::stol(pid.out), "Uid") == firstSubId("/etc/subuid", sb.user()));
    // PID 1 holds CAP_SYS_ADMIN in the container's own namespace: unit sandboxing is real.
    checkUnitSandboxing(sb, "deb", boot);
    Result stop = sb.hutch({"stop", "deb"}, boot);
    REQUIRE_RC(stop, 0);
    Result rm = sb.hutch({"rm", "deb"});
    REQUIRE_RC(rm, 0);
}

TEST_CASE("e2e: a default systemd container has its own user namespace: sandboxing and NET_ADMIN work", "[e2e][userns][systemd]") {
    const std::string v = systemdImage();
    if (v.empty()) return;
    Sandbox sb;
    const auto boot = RunOptions::withTimeout(std::chrono::seconds(120));
    Result run = sb.hutch({"run", "-d", "--name", "deb", v}, boot);
    REQUIRE_RC(run, 0);
    Result state = sb.hutch({"exec", "deb", "systemctl", "is-system-running", "--wait"}, boot);
    CHECK_R(state, lastLine(state.out) == "running");
    // Every id of the session onto itself: files keep their owners, PID 1 is the user.
    Result mode = sb.hutch({"inspect", "--format", "{{.HostConfig.UsernsMode}} {{.HostConfig.IDMappings.UIDMap}} {{.State.Pid}}", "deb"});
    REQUIRE_RC(mode, 0);
    std::istringstream m(mode.out);
    std::string usernsMode, uidMap;
    long pid = 0;
    m >> usernsMode >> uidMap >> pid;
    CHECK(usernsMode == "private");
    CHECK(uidMap == "[0:0:65537]");
    CHECK(hostId(pid, "Uid") == static_cast<long>(sb.uid()));
    Result in = sb.hutch({"exec", "deb", "sh", "-c", "cat /proc/1/uid_map; stat -c %u:%g /usr/bin/systemctl"});
    REQUIRE_RC(in, 0);
    CHECK_R(in, in.out.find("0          0          1") != std::string::npos);
    CHECK_R(in, in.out.find("1          1      65536") != std::string::npos);
    CHECK_R(in, lastLine(in.out) == "0:0");
    checkUnitSandboxing(sb, "deb", boot);
    // The network namespace is the container's: its root configures it (NET_ADMIN).
    Result net = sb.hutch({"exec", "deb", "sh", "-c",
                           "ip addr add 10.9.9.9/32 dev lo && ip link set lo mtu 1280 && ip -o addr show lo && ip -o link show lo"});
    REQUIRE_RC(net, 0);
    CHECK_R(net, net.out.find("mtu 1280") != std::string::npos);
    CHECK_R(net, net.out.find("10.9.9.9/32") != std::string::npos);
    Result stop = sb.hutch({"stop", "deb"}, boot);
    REQUIRE_RC(stop, 0);
    // --userns=host keeps the session's namespace, as before.
    Result host = sb.hutch({"run", "--rm", "--userns=host", "--systemd=always", "busybox", "cat", "/proc/self/uid_map"});
    REQUIRE_RC(host, 0);
    CHECK_R(host, host.out.find("1     " + std::to_string(firstSubId("/etc/subuid", sb.user()))) != std::string::npos);
    Result dflt = sb.hutch({"run", "--rm", "--systemd=always", "busybox", "cat", "/proc/self/uid_map"});
    REQUIRE_RC(dflt, 0);
    CHECK_R(dflt, dflt.out.find("1          1      65536") != std::string::npos);
}

TEST_CASE("e2e: under --uidmap the network namespace is the container's: NET_ADMIN and published ports work", "[e2e][userns][network]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "--cap-add", "NET_ADMIN", "busybox", "sh", "-c",
                         "ip link set lo mtu 1300 && ip -o link show lo; cat /proc/sys/net/ipv4/ping_group_range"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out.find("mtu 1300") != std::string::npos);
    CHECK_R(r, lastLine(r.out) == "0\t0");
    // Without NET_ADMIN its root still may not.
    Result no = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "busybox", "ip", "link", "set", "lo", "mtu", "1300"});
    CHECK(no.rc != 0);
    for (const char* net : {"slirp4netns", "pasta"}) {
        Result d = sb.hutch({"run", "-d", "--name", std::string("w") + net, "--network", net, "--uidmap", "0:1:65536", "-p",
                             std::string("127.0.0.1:") + (net[0] == 's' ? "18491" : "18492") + ":8080", "busybox", "sh", "-c",
                             "echo hello > /tmp/i && exec httpd -f -p 8080 -h /tmp"});
        REQUIRE_RC(d, 0);
        Result get = sb.hutch({"run", "--rm", "--network", "host", "busybox", "sh", "-c",
                               std::string("for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://127.0.0.1:") +
                                   (net[0] == 's' ? "18491" : "18492") + "/i && exit 0; sleep 0.2; done; exit 1"});
        CHECK_R(get, get.out == "hello\n");
        Result rm = sb.hutch({"rm", "-f", "-t0", std::string("w") + net});
        REQUIRE_RC(rm, 0);
    }
}

TEST_CASE("e2e: --userns=private and --subuidname", "[e2e][userns]") {
    Sandbox sb;
    Result p = sb.hutch({"run", "--rm", "--userns=private", "-v", "pv:/v", "busybox", "sh", "-c",
                         "cat /proc/self/uid_map; stat -c %u:%g /bin/busybox; touch /v/f; stat -c %u /v/f"});
    REQUIRE_RC(p, 0);
    auto l = lines(p.out);
    REQUIRE(l.size() == 4);
    CHECK(l[2] == "0:0");
    CHECK(l[3] == "0");
    // The same volume in a container without its own namespace: the same owner.
    Result same = sb.hutch({"run", "--rm", "-v", "pv:/v", "busybox", "stat", "-c", "%u", "/v/f"});
    REQUIRE_RC(same, 0);
    CHECK(same.out == "0\n");
    Result named = sb.hutch({"run", "--rm", "--subuidname", sb.user(), "busybox", "cat", "/proc/self/uid_map"});
    REQUIRE_RC(named, 0);
    CHECK_R(named, named.out.find("0          1      65536") != std::string::npos);
    Result bad = sb.hutch({"run", "--rm", "--subuidname", "hutch-no-such-user", "busybox", "true"});
    CHECK(bad.rc == 125);
    CHECK_R(bad, bad.err.find("/etc/subuid grants no range to \"hutch-no-such-user\"") != std::string::npos);
    Result ps = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ps, ps.out.empty());
}

TEST_CASE("e2e: commit of a --uidmap container records the owners the container saw", "[e2e][userns]") {
    Sandbox sb;
    Result made = sb.hutch({"run", "--name", "c", "--uidmap", "0:1:65536", "busybox", "sh", "-c",
                            "echo hi > /newfile && mkdir /d && chown 1000:1000 /d"});
    REQUIRE_RC(made, 0);
    Result commit = sb.hutch({"commit", "-q", "c", "committed"});
    REQUIRE_RC(commit, 0);
    Result r = sb.hutch({"run", "--rm", "committed", "stat", "-c", "%u:%g %n", "/newfile", "/d", "/bin/busybox"});
    REQUIRE_RC(r, 0);
    CHECK(r.out == "0:0 /newfile\n1000:1000 /d\n0:0 /bin/busybox\n");
}

TEST_CASE("e2e: --userns=auto gives each container ids no other container uses", "[e2e][userns]") {
    Sandbox sb;
    runDetached(sb, {"--name", "a1", "--userns=auto", "-v", "shared:/v", "busybox", "sleep", "1000"});
    runDetached(sb, {"--name", "a2", "--userns=auto", "-v", "shared:/v", "busybox", "sleep", "1000"});
    Result m1 = sb.hutch({"inspect", "--format", "{{.HostConfig.UsernsMode}} {{.HostConfig.IDMappings.UIDMap}}", "a1"});
    Result m2 = sb.hutch({"inspect", "--format", "{{.HostConfig.UsernsMode}} {{.HostConfig.IDMappings.UIDMap}}", "a2"});
    REQUIRE_RC(m1, 0);
    REQUIRE_RC(m2, 0);
    CHECK(m1.out == "auto [0:1:1024]\n");  // busybox's owners fit in 1024 ids
    CHECK(m2.out == "auto [0:1025:1024]\n");
    Result write = sb.hutch({"exec", "a1", "sh", "-c", "echo secret > /v/a && chmod 600 /v/a && cat /v/a"});
    REQUIRE_RC(write, 0);
    CHECK(write.out == "secret\n");
    Result other = sb.hutch({"exec", "a2", "cat", "/v/a"});
    CHECK(other.rc != 0);
    CHECK_R(other, other.err.find("Permission denied") != std::string::npos);
    Result rm = sb.hutch({"rm", "-f", "-t0", "a1"});
    REQUIRE_RC(rm, 0);
    // a1's ids are free again: the next auto container takes them.
    Result again = sb.hutch({"run", "--rm", "--userns=auto", "busybox", "cat", "/proc/self/uid_map"});
    REQUIRE_RC(again, 0);
    CHECK_R(again, again.out.find("0          1       1024") != std::string::npos);
    Result rm2 = sb.hutch({"rm", "-f", "-t0", "a2"});
    REQUIRE_RC(rm2, 0);
    // A numeric -u past the image's owners widens the range to map it (as podman).
    Result user = sb.hutch({"run", "--rm", "--userns=auto", "-u", "5000", "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map"});
    REQUIRE_RC(user, 0);
    CHECK_R(user, user.out.find("5000\n") == 0);
    CHECK_R(user, user.out.find("5001") != std::string::npos);
}

TEST_CASE("e2e: --cgroupns=private|host", "[e2e][cgroupns]") {
    Sandbox sb;
    Result priv = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "grep '^0::' /proc/self/cgroup"});
    REQUIRE_RC(priv, 0);
    CHECK(priv.out == "0::/\n");
    Result host = sb.hutch({"run", "--rm", "--cgroupns=host", "busybox", "sh", "-c", "grep '^0::' /proc/self/cgroup"});
    REQUIRE_RC(host, 0);
    CHECK_R(host, host.out.rfind("0::/", 0) == 0);
    CHECK_R(host, host.out != "0::/\n");  // the path from the host's cgroup root
    Result mode = sb.hutch({"run", "--name", "h", "--cgroupns=host", "busybox", "true"});
    REQUIRE_RC(mode, 0);
    Result in = sb.hutch({"inspect", "--format", "{{.HostConfig.CgroupMode}}", "h"});
    REQUIRE_RC(in, 0);
    CHECK(in.out == "host\n");
    Result bad = sb.hutch({"run", "--rm", "--cgroupns=bogus", "busybox", "true"});
    CHECK(bad.rc == 125);
    CHECK_R(bad, bad.err.find("--cgroupns \"bogus\": must be private or host") != std::string::npos);
    Result sd = sb.hutch({"run", "--rm", "--cgroupns=host", "--systemd=always", "busybox", "true"});
    CHECK(sd.rc == 125);
    CHECK_R(sd, sd.err.find("--cgroupns=host: systemd needs a cgroup namespace of its own") != std::string::npos);
}

TEST_CASE("e2e: -v SRC:DST:idmap: refused rootless with the fix named, an idmapped mount as root", "[e2e][userns][idmap]") {
    Sandbox sb;
    fs::path dir = sb.dir() / "src";
    fs::create_directories(dir);
    sb.writeFile(dir / "f", "hi\n");
    // Rootless the kernel refuses an idmapped mount of the host's filesystem: say why, and :U.
    Result r = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "-v", dir.string() + ":/d:idmap", "busybox", "true"});
    CHECK(r.rc == 125);
    CHECK_R(r, r.err.find("with idmap: the kernel refused it") != std::string::npos);
    CHECK_R(r, r.err.find("use :U") != std::string::npos);
    Result none = sb.hutch({"run", "--rm", "-v", dir.string() + ":/d:idmap", "busybox", "true"});
    CHECK(none.rc == 125);
    CHECK_R(none, none.err.find("idmap needs a user namespace of the container's own") != std::string::npos);
    Result vol = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "-v", "v:/d:idmap", "busybox", "true"});
    CHECK(vol.rc == 125);
    CHECK_R(vol, vol.err.find("idmap is supported on bind mounts") != std::string::npos);
    Result ps = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ps, ps.out.empty());

    // As root (no session namespace) the kernel allows it: the host's owners appear as they
    // are on disk, and what the container's root writes is root's on the host.
    const fs::path root = sb.dir() / "rootful";
    const fs::path conf = sb.dir() / "registries.conf";
    sb.writeFile(conf, "[[registry]]\nlocation = \"" + testEnv().registry + "\"\ninsecure = true\n");
    ::chown(dir.c_str(), 0, 0);
    ::chown((dir / "f").c_str(), 1234, 1234);
    const std::string hutch = "CONTAINERS_REGISTRIES_CONF=" + conf.string() + " " + hutchBinary() + " --root " +
                              (root / "g").string() + " --runroot " + (root / "r").string();
    std::string out = hostCommand(hutch + " run --rm --network none --uidmap 0:200000:65536 -v " + dir.string() +
                                  ":/d:idmap " + testEnv().registry + "/busybox sh -c 'stat -c %u /d/f; touch /d/new'");
    CHECK(out == "1234\n");
    struct stat st {};
    REQUIRE(::stat((dir / "new").c_str(), &st) == 0);
    CHECK(st.st_uid == 0);
    hostCommand(hutch + " system reset -f >/dev/null");
}
