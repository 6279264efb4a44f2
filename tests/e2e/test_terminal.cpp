// e2e: foreground runs as a user at a terminal runs them (issue 13): `run -it` relays the
// container's console for its whole life, `stop` of a `run -it --rm` container, and a
// foreground `run` killed with SIGKILL.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

using namespace hutch::e2e;

namespace {

RunOptions onTerminal() {
    RunOptions o;
    o.pty = true;
    return o;
}

/// Waits (up to 20 s) until `ps` lists a running container named `name`: the test started
/// it in the background and has no other way to know it is up. Returns whether it is.
bool waitListed(const Sandbox& sb, const std::string& name) {
    for (int i = 0; i < 200; ++i) {
        Result ps = sb.hutch({"ps", "--format", "{{.Names}}"});
        for (const auto& l : lines(ps.out))
            if (l == name) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace

TEST_CASE("e2e: run -it relays the console after every process closed it", "[e2e][terminal]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    // systemd writes each unit's status to /dev/console, opening and closing it every time.
    Result r = sb.hutch({"run", "-it", "--rm", "busybox", "sh", "-c",
                         "exec </dev/null >/dev/null 2>&1; for i in 1 2 3 4 5; do echo c$i >/dev/console; sleep .2; done"},
                        onTerminal());
    REQUIRE_RC(r, 0);
    for (const char* l : {"c1", "c2", "c3", "c4", "c5"}) CHECK_R(r, contains(r.out, l));
}

TEST_CASE("e2e: stop of a run -it --rm container stops it and says so", "[e2e][terminal]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    Child fg = sb.spawn({"run", "-it", "--rm", "--name", "tt", "busybox", "sleep", "600"}, onTerminal());
    REQUIRE(waitListed(sb, "tt"));
    Result stop = sb.hutch({"stop", "-t", "2", "tt"});
    CHECK_R(stop, stop.rc == 0);
    CHECK_R(stop, stop.out == "tt\n");
    Result run = fg.wait(std::chrono::seconds(30));
    CHECK_R(run, !run.timedOut);
    Result ps = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ps, ps.out.empty());  // --rm removed it
}

TEST_CASE("e2e: a foreground run killed with SIGKILL: the next command that changes state ends the container, exit 137",
          "[e2e][monitor]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    Child fg = sb.spawn({"run", "--name", "fg", "busybox", "sleep", "600"});
    REQUIRE(waitListed(sb, "fg"));
    Result insp = sb.hutch({"inspect", "--format", "{{.State.Pid}}", "fg"});
    REQUIRE_RC(insp, 0);
    pid_t pid = static_cast<pid_t>(std::stol(lastLine(insp.out)));
    REQUIRE(pid > 0);
    REQUIRE(::kill(fg.pid(), SIGKILL) == 0);  // hutch only, not its process group
    fg.wait(std::chrono::seconds(10));

    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
    CHECK_R(ps, contains(ps.out, "fg Exited (137)"));
    // ps only reads: it shows the effective state and kills nothing.
    CHECK(::kill(pid, 0) == 0);
    // The next command that changes state recovers the container: its process is ended.
    Result stop = sb.hutch({"stop", "fg"});
    CHECK_R(stop, stop.rc == 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = ::kill(pid, 0) != 0;
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(gone);
    Result code = sb.hutch({"inspect", "--format", "{{.State.ExitCode}}", "fg"});
    CHECK_R(code, lastLine(code.out) == "137");
    Result rm = sb.hutch({"rm", "fg"});
    CHECK_R(rm, rm.rc == 0);

    // With --rm, the recovery removes the container (as its run would have).
    Child fgrm = sb.spawn({"run", "--rm", "--name", "fgrm", "busybox", "sleep", "600"});
    REQUIRE(waitListed(sb, "fgrm"));
    REQUIRE(::kill(fgrm.pid(), SIGKILL) == 0);
    fgrm.wait(std::chrono::seconds(10));
    Result listed = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    CHECK_R(listed, contains(listed.out, "fgrm"));
    Result next = sb.hutch({"run", "--rm", "busybox", "true"});
    CHECK_R(next, next.rc == 0);
    Result after = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    CHECK_R(after, !contains(after.out, "fgrm"));
}

TEST_CASE("e2e: run -t without -i passes the container's terminal output as it is", "[e2e][terminal]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    Result r = sb.hutch({"run", "-t", "--rm", "busybox", "echo", "hi"}, onTerminal());
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "hi\r\n");  // not hi\r\r\n: our terminal is raw, the container's pty did the \r
}
