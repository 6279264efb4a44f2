// e2e: the reason hutch exists — a Debian image with systemd as PID 1, rootless, detached,
// exec'd into, stopped cleanly (issue 3). The image is built by scripts/make-debian-systemd.sh
// (debootstrap, cached) and seeded by scripts/test.sh, which exports HUTCH_TEST_SYSTEMD_IMAGE.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <thread>

using namespace hutch::e2e;

namespace {

std::string delegatedCgroup() {
    std::ifstream f("/run/hutch-test/cgroup");
    std::string p;
    std::getline(f, p);
    return p;
}

bool exists(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0;
}

const auto kBoot = RunOptions::withTimeout(std::chrono::seconds(120));

/// `systemctl is-system-running --wait` in `name`, once: `run -d` of a systemd container
/// returns when systemd reported READY=1 (--sdnotify=container), so its bus is up by then.
Result isSystemRunning(const Sandbox& sb, const std::string& name) {
    return sb.hutch({"exec", name, "systemctl", "is-system-running", "--wait"}, kBoot);
}

}  // namespace

TEST_CASE("e2e: systemd boots rootless to running, exec, hostname, journal, clean stop", "[e2e][systemd]") {
    std::string image = systemdImage();
    if (image.empty()) return;
    Sandbox sb;
    Result run = sb.hutch({"run", "-d", "--name", "deb", "-h", "x250.home", "--net=none", "--cap-add=NET_ADMIN", image},
                          kBoot);
    REQUIRE_RC(run, 0);
    std::string id = lastLine(run.out);

    Result state = isSystemRunning(sb, "deb");
    CHECK_R(state, lastLine(state.out) == "running");
    Result failed = sb.hutch({"exec", "deb", "systemctl", "--failed", "--no-legend", "--plain"});
    CHECK_R(failed, failed.out.empty());
    Result active = sb.hutch({"exec", "deb", "systemctl", "is-active", "systemd-journald", "dbus", "systemd-logind"});
    CHECK_R(active, active.out == "active\nactive\nactive\n");

    Result host = sb.hutch({"exec", "deb", "hostnamectl", "hostname"});
    CHECK_R(host, lastLine(host.out) == "x250.home");
    Result journal = sb.hutch({"exec", "deb", "journalctl", "-b", "--no-pager", "-q"});
    CHECK_R(journal, journal.out.find("Journal started") != std::string::npos);
    Result env = sb.hutch({"exec", "deb", "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ | grep ^container="});
    CHECK_R(env, lastLine(env.out) == "container=podman");
    Result mid = sb.hutch({"exec", "deb", "cat", "/etc/machine-id"});
    CHECK_R(mid, lastLine(mid.out) == id.substr(0, 32));

    // NET_ADMIN acts on the container's own network namespace.
    Result bridge = sb.hutch({"exec", "deb", "ip", "link", "add", "br0", "type", "bridge"});
    CHECK_R(bridge, bridge.rc == 0);

    // The container's own cgroup, in the delegated subtree, with systemd's tree under it.
    std::string cg = delegatedCgroup() + "/hutch-" + id.substr(0, 12);
    CHECK(exists(cg + "/init.scope"));

    SECTION("a second container of the same image boots beside the first") {
        Result two = sb.hutch({"run", "-d", "--name", "deb2", image}, kBoot);
        REQUIRE_RC(two, 0);
        Result st2 = isSystemRunning(sb, "deb2");
        CHECK_R(st2, lastLine(st2.out) == "running");
        Result rm2 = sb.hutch({"rm", "-f", "deb2"});
        CHECK_R(rm2, rm2.rc == 0);
    }

    auto t0 = std::chrono::steady_clock::now();
    Result stop = sb.hutch({"stop", "deb"}, kBoot);
    auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE_RC(stop, 0);
    CHECK(took < std::chrono::seconds(8));  // SIGRTMIN+3 shut it down; no SIGKILL after 10 s
    Result wait = sb.hutch({"wait", "deb"});
    CHECK_R(wait, lastLine(wait.out) == "0");
    CHECK_FALSE(exists(cg));  // the cgroup went with the container

    Result rm = sb.hutch({"rm", "deb"});
    REQUIRE_RC(rm, 0);
    CHECK_FALSE(exists((sb.runRoot() / "containers" / id).string()));
}

// Issue 13: right after `run -d`, systemctl could not connect to the bus (10 of 10 tries).
TEST_CASE("e2e: systemd run -d returns once systemd is ready (sdnotify), five times in a row", "[e2e][systemd]") {
    std::string image = systemdImage();
    if (image.empty()) return;
    Sandbox sb;
    for (int i = 0; i < 5; ++i) {
        std::string name = "ready" + std::to_string(i);
        Result run = sb.hutch({"run", "-d", "--name", name, "--net=none", image}, kBoot);
        REQUIRE_RC(run, 0);
        CHECK_R(run, run.err.find("READY") == std::string::npos);  // no timeout warning
        Result state = isSystemRunning(sb, name);
        CHECK_R(state, lastLine(state.out) == "running");
        Result rm = sb.hutch({"rm", "-f", name}, kBoot);
        CHECK_R(rm, rm.rc == 0);
    }
    // --sdnotify=conmon: returns at once, as before (podman's default outside systemd mode).
    Result conmon = sb.hutch({"run", "-d", "--name", "early", "--net=none", "--sdnotify=conmon", image}, kBoot);
    REQUIRE_RC(conmon, 0);
    Result env = sb.hutch({"exec", "early", "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ | grep -c ^NOTIFY_SOCKET= || true"});
    CHECK_R(env, lastLine(env.out) == "0");
    Result rm = sb.hutch({"rm", "-f", "early"}, kBoot);
    CHECK_R(rm, rm.rc == 0);
}

TEST_CASE("e2e: --sdnotify=container waits a bounded time for READY=1; bad values are refused", "[e2e][sdnotify]") {
    Sandbox sb;
    Result pull = sb.hutch({"pull", "busybox"});
    REQUIRE_RC(pull, 0);
    // The container sees the socket; it never writes READY=1, so run -d answers after the
    // timeout with a warning, and the container keeps running.
    RunOptions quick;
    quick.extraEnv = {"HUTCH_SDNOTIFY_TIMEOUT=1"};
    auto t0 = std::chrono::steady_clock::now();
    Result run = sb.hutch({"run", "-d", "--name", "silent", "--sdnotify=container", "busybox", "sh", "-c",
                           "test -S \"$NOTIFY_SOCKET\" && echo sock=$NOTIFY_SOCKET; exec sleep 60"},
                          quick);
    auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE_RC(run, 0);
    CHECK(took >= std::chrono::milliseconds(900));
    CHECK(took < std::chrono::seconds(20));
    CHECK_R(run, run.err.find("did not report READY=1 within 1 s") != std::string::npos);
    Result logs = sb.hutch({"logs", "silent"});
    CHECK_R(logs, logs.out == "sock=/run/notify/notify.sock\n");
    Result ps = sb.hutch({"ps", "-q", "--no-trunc"});
    CHECK_R(ps, ps.out.find(lastLine(run.out)) != std::string::npos);
    Result rm = sb.hutch({"rm", "-f", "silent"});
    CHECK_R(rm, rm.rc == 0);

    // One that closed its output but runs on: still a bounded wait.
    auto t1 = std::chrono::steady_clock::now();
    Result closed = sb.hutch({"run", "-d", "--sdnotify=container", "busybox", "sh", "-c", "exec >/dev/null 2>&1; sleep 60"},
                             quick);
    CHECK_R(closed, closed.rc == 0);
    CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::seconds(20));
    CHECK_R(closed, closed.err.find("did not report READY=1 within 1 s") != std::string::npos);

    // A container that exits before READY=1: run -d still prints its id, and says so.
    Result quickExit = sb.hutch({"run", "-d", "--sdnotify=container", "busybox", "true"}, quick);
    REQUIRE_RC(quickExit, 0);
    CHECK_R(quickExit, quickExit.err.find("exited before it reported READY=1") != std::string::npos);

    // Outside systemd mode the default is conmon: no socket, no wait.
    Result plain = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "echo [$NOTIFY_SOCKET]"});
    CHECK_R(plain, plain.out == "[]\n");

    Result bad = sb.hutch({"run", "--rm", "--sdnotify=maybe", "busybox", "true"});
    CHECK_R(bad, bad.rc == 125);
    CHECK_R(bad, bad.err.find("--sdnotify") != std::string::npos);
}

TEST_CASE("e2e: systemd mode without a writable cgroup2 subtree is a clear error", "[e2e][systemd]") {
    Sandbox sb;
    Result pull = sb.hutch({"pull", "busybox"});
    REQUIRE_RC(pull, 0);
    RunOptions outside;
    outside.delegatedCgroup = false;
    Result r = sb.hutch({"run", "--rm", "--systemd=always", "busybox", "true"}, outside);
    CHECK_R(r, r.rc == 125);
    CHECK_R(r, r.err.find("delegated") != std::string::npos);
    CHECK_R(r, r.err.find("cgroup") != std::string::npos);
}
