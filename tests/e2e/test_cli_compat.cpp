// e2e: podman 4.3 behaviours a tester found missing (each checked against podman by hand):
// flag errors before the image/container, -e validation, exec -d, start of a running
// container, inspect's stop settings, rm -f -t, --read-only in systemd mode.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace hutch::e2e;

TEST_CASE("e2e: unknown flags and bad -e are errors before anything runs", "[e2e][compat]") {
    Sandbox sb;
    Result run = sb.hutch({"run", "--bogus", "busybox", "true"});
    CHECK_R(run, run.rc == 125);
    CHECK_R(run, run.err.find("unknown flag: --bogus") != std::string::npos);
    Result env = sb.hutch({"run", "--rm", "-e", "=x", "busybox", "true"});
    CHECK_R(env, env.rc == 125);
    CHECK_R(env, env.err.find("invalid environment variable: \"=x\"") != std::string::npos);
    Result ex = sb.hutch({"exec", "--bogus", "c", "true"});
    CHECK_R(ex, ex.rc == 125);
    CHECK_R(ex, ex.err.find("unknown flag: --bogus") != std::string::npos);
}

TEST_CASE("e2e: exec -d, start of a running container, inspect stop settings, rm -f -t", "[e2e][compat]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "-d", "--name", "c", "--stop-timeout", "7", "busybox", "sleep", "600"});
    REQUIRE_RC(r, 0);
    Result d = sb.hutch({"exec", "-d", "c", "sleep", "31"});
    REQUIRE_RC(d, 0);
    CHECK_R(d, isHexId(lastLine(d.out)));
    Result ps;
    for (int i = 0; i < 50; ++i) {
        ps = sb.hutch({"exec", "c", "ps"});
        if (ps.out.find("sleep 31") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK_R(ps, ps.out.find("sleep 31") != std::string::npos);

    Result start = sb.hutch({"start", "c"});
    CHECK_R(start, start.rc == 0);
    CHECK_R(start, start.out.empty());

    Result insp = sb.hutch({"inspect", "-f", "{{.Config.StopSignal}}|{{.Config.StopTimeout}}", "c"});
    CHECK_R(insp, insp.out == "15|7\n");

    // -t: the stop signal first (sleep as PID 1 ignores SIGTERM), then the kill after 1 s.
    auto t0 = std::chrono::steady_clock::now();
    Result rm = sb.hutch({"rm", "-f", "-t", "1", "c"});
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK_R(rm, rm.rc == 0);
    CHECK(took >= std::chrono::milliseconds(900));
    Result none = sb.hutch({"exec", "-d", "c", "true"});
    CHECK_R(none, none.rc == 125);
}

TEST_CASE("e2e: --read-only in systemd mode keeps systemd's /run/lock", "[e2e][compat][systemd]") {
    const char* image = std::getenv("HUTCH_TEST_SYSTEMD_IMAGE");
    if (!image || !*image) {
        WARN("HUTCH_TEST_SYSTEMD_IMAGE not set: skipped");
        return;
    }
    Sandbox sb;
    Result r = sb.hutch({"run", "-d", "--name", "ro", "--read-only", image}, RunOptions::withTimeout(std::chrono::seconds(300)));
    REQUIRE_RC(r, 0);
    Result lock = sb.hutch({"exec", "ro", "sh", "-c", "test -d /run/lock && echo lock; touch /etc/x 2>/dev/null || echo ro"});
    CHECK_R(lock, lock.out == "lock\nro\n");
    Result mounts = sb.hutch({"exec", "ro", "sh", "-c", "grep -c ' /run tmpfs' /proc/self/mounts"});
    CHECK_R(mounts, mounts.out == "1\n");
    Result rm = sb.hutch({"rm", "-f", "ro"});
    CHECK_R(rm, rm.rc == 0);
}

TEST_CASE("e2e: image verbs word flag and argument count errors as podman", "[e2e][compat]") {
    Sandbox sb;
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const std::vector<Case> cases{
        {{"history", "--bogus", "busybox"}, "Error: unknown flag: --bogus"},
        {{"save", "--bogus", "busybox"}, "Error: unknown flag: --bogus"},
        {{"history"}, "Error: accepts 1 arg(s), received 0"},
        {{"history", "a", "b"}, "Error: accepts 1 arg(s), received 2"},
        {{"commit"}, "Error: accepts between 1 and 2 arg(s), received 0"},
        {{"commit", "a", "b", "c"}, "Error: accepts between 1 and 2 arg(s), received 3"},
        {{"load", "x.tar"}, "Error: `hutch load` takes no arguments"},
        {{"save", "-o", "x.tar"}, "Error: need at least 1 argument"},
    };
    for (const auto& c : cases) {
        Result r = sb.hutch(c.args);
        CHECK_R(r, r.rc == 125);
        CHECK_R(r, r.err.rfind(c.err, 0) == 0);
    }
}

TEST_CASE("e2e: --flag= is an empty value (the default), never the next argument", "[e2e][cli]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "--hostname=", "--userns=", "--cgroupns=", "--name=", "-e", "A=1", "busybox", "sh",
                         "-c", "echo $A \"$1\"", "sh", "--keep="});
    REQUIRE_RC(r, 0);
    CHECK(r.out == "1 --keep=\n");  // after the image, arguments are the container's, as given
    Result host = sb.hutch({"run", "--rm", "--hostname=", "busybox", "hostname"});
    REQUIRE_RC(host, 0);
    CHECK(host.out.size() == 13);  // the container id's first 12 characters
}
