// e2e: a user namespace of the container's own (issue 15) as the unprivileged test user:
// --uidmap puts the container's root on a subordinate id of the host, keep-id keeps the
// user's own uid inside, containers with different mappings cannot read each other's files
// in a shared volume, :U gives a bind source to the container's root, bad maps are errors
// that create nothing, and systemd boots under --uidmap 0:1:65536 (the seed's failing case).
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

TEST_CASE("e2e: --uidmap 0:1:65536 makes the container's root the user's first subuid", "[e2e][userns]") {
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
    Result maps = sb.hutch({"inspect", "--format", "{{.HostConfig.UsernsMode}} {{.HostConfig.IDMappings.UidMap}}", "m"});
    REQUIRE_RC(maps, 0);
    CHECK_R(maps, maps.out == "private [0:1:65536]\n");
    REQUIRE_RC(sb.hutch({"rm", "-f", "-t0", "m"}), 0);
    // A second container with the same mapping reuses the image's mapped copy.
    Result again = sb.hutch({"run", "--rm", "--uidmap", "0:1:65536", "busybox", "true"});
    REQUIRE_RC(again, 0);
}

TEST_CASE("e2e: --userns=keep-id keeps the user's uid and their files inside", "[e2e][userns]") {
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

TEST_CASE("e2e: containers with different mappings cannot read each other's files in a volume", "[e2e][userns]") {
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

TEST_CASE("e2e: -v SRC:DST:U under --uidmap gives the source to the container's root", "[e2e][userns]") {
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
        {{"--uidmap", "0:70000:10"}, "intermediate ids 70000-70009 are past the 65537 ids"},
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

TEST_CASE("e2e: systemd boots under --uidmap 0:1:65536, and PrivateTmp, ProtectSystem, DynamicUser work", "[e2e][userns][systemd]") {
    testEnv();
    const char* v = std::getenv("HUTCH_TEST_SYSTEMD_IMAGE");
    if (!v || !*v) {
        WARN("HUTCH_TEST_SYSTEMD_IMAGE is not set (HUTCH_TEST_NO_SYSTEMD=1?): not run");
        return;
    }
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
    Result unit = sb.hutch({"exec", "deb", "systemd-run", "--pipe", "--wait", "-q", "-p", "PrivateTmp=yes", "-p",
                            "ProtectSystem=strict", "-p", "DynamicUser=yes", "sh", "-c",
                            "id -u; touch /tmp/unitfile && echo tmp-ok; touch /usr/x 2>/dev/null || echo usr-ro"},
                           boot);
    REQUIRE_RC(unit, 0);
    auto l = lines(unit.out);
    REQUIRE(l.size() == 3);
    CHECK(l[0] != "0");  // a dynamic user
    CHECK(l[1] == "tmp-ok");
    CHECK(l[2] == "usr-ro");
    Result tmp = sb.hutch({"exec", "deb", "sh", "-c", "ls -A /tmp; test ! -e /usr/x && echo no-usr-x"});
    REQUIRE_RC(tmp, 0);
    CHECK_R(tmp, tmp.out.find("unitfile") == std::string::npos);
    CHECK_R(tmp, tmp.out.find("no-usr-x") != std::string::npos);
    Result stop = sb.hutch({"stop", "deb"}, boot);
    REQUIRE_RC(stop, 0);
    Result rm = sb.hutch({"rm", "deb"});
    REQUIRE_RC(rm, 0);
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
    Result m1 = sb.hutch({"inspect", "--format", "{{.HostConfig.UsernsMode}} {{.HostConfig.IDMappings.UidMap}}", "a1"});
    Result m2 = sb.hutch({"inspect", "--format", "{{.HostConfig.UsernsMode}} {{.HostConfig.IDMappings.UidMap}}", "a2"});
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
}
