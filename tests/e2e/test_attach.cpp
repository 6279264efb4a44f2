// e2e: attach to a detached container through its monitor (podman 4.3's behaviour): stdin
// relayed when the container has -i, both output streams, the container's exit code, and
// detaching with the detach keys while the container keeps running.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <cstdio>
#include <thread>

using namespace hutch::e2e;

#define CHECK_RC(r, code) CHECK_R(r, (r).rc == (code))

namespace {

RunOptions withStdin(const Sandbox& sb, const std::string& name, const std::string& data) {
    fs::path p = sb.dir() / name;
    sb.writeFile(p, data);
    RunOptions o = RunOptions::withTimeout(std::chrono::seconds(60));
    o.stdinFile = p.string();
    return o;
}

}  // namespace

TEST_CASE("e2e: attach relays stdin, stdout and stderr and returns the exit code", "[e2e][attach]") {
    Sandbox sb;
    runDetached(sb, {"-i", "--name", "a", "busybox", "sh", "-c", "read x; echo \"got $x\"; echo err-side >&2; exit 7"});
    Result r = sb.hutch({"attach", "a"}, withStdin(sb, "in1", "hello\n"));
    CHECK_RC(r, 7);
    CHECK_R(r, r.out == "got hello\n");
    CHECK_R(r, r.err.find("err-side") != std::string::npos);
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Status}}"});
    CHECK_R(ps, ps.out.find("Exited (7)") != std::string::npos);
}

TEST_CASE("e2e: attach detaches on ctrl-p ctrl-q and the container keeps running", "[e2e][attach]") {
    Sandbox sb;
    runDetached(sb, {"-i", "--name", "loop", "busybox", "sh", "-c",
                     "while read l; do echo \"line $l\"; [ \"$l\" = quit ] && exit 3; done"});
    Result d = sb.hutch({"attach", "loop"}, withStdin(sb, "in1", "one\n\x10\x11" "after-detach\n"));
    CHECK_RC(d, 0);
    Result ps = sb.hutch({"ps", "--format", "{{.Names}} {{.Status}}"});
    CHECK_R(ps, ps.out.find("loop Up") != std::string::npos);

    // Attach again with other detach keys (ctrl-x): the container exits 3 on "quit".
    Result again = sb.hutch({"attach", "--detach-keys", "ctrl-x", "loop"}, withStdin(sb, "in2", "two\nquit\n"));
    CHECK_RC(again, 3);
    CHECK_R(again, again.out.find("line two\nline quit\n") != std::string::npos);
    // What the first session sent before detaching arrived; what followed the keys did not.
    Result logs = sb.hutch({"logs", "loop"});
    CHECK_R(logs, logs.out == "line one\nline two\nline quit\n");
}

TEST_CASE("e2e: attach errors: not running, bad detach keys, unknown container", "[e2e][attach]") {
    Sandbox sb;
    Result first = sb.hutch({"run", "--name", "done", "busybox", "true"});
    REQUIRE_RC(first, 0);
    Result r = sb.hutch({"attach", "done"});
    CHECK_RC(r, 125);
    CHECK_R(r, r.err.find("you can only attach to running containers") != std::string::npos);

    runDetached(sb, {"--name", "up", "busybox", "sleep", "60"});
    Result keys = sb.hutch({"attach", "--detach-keys", "ctrl-1", "up"});
    CHECK_RC(keys, 125);
    CHECK_R(keys, keys.err.find("--detach-keys") != std::string::npos);

    Result missing = sb.hutch({"attach", "nosuch"});
    CHECK_RC(missing, 125);
    CHECK_R(missing, missing.err.find("nosuch") != std::string::npos);
    Result rm = sb.hutch({"rm", "-f", "up"});
    CHECK_RC(rm, 0);
}

TEST_CASE("e2e: a container whose monitor was killed is shown exited, and the next command that changes state ends it", "[e2e][monitor]") {
    Sandbox sb;
    runDetached(sb, {"--name", "orphan", "busybox", "sleep", "600"});
    Result insp = sb.hutch({"inspect", "--format", "{{.State.Pid}} {{.State.ConmonPid}}", "orphan"});
    REQUIRE_RC(insp, 0);
    long pid = 0, monitor = 0;
    REQUIRE(std::sscanf(insp.out.c_str(), "%ld %ld", &pid, &monitor) == 2);
    REQUIRE(pid > 0);
    REQUIRE(monitor > 0);
    REQUIRE(::kill(static_cast<pid_t>(monitor), SIGKILL) == 0);
    for (int i = 0; i < 100 && ::kill(static_cast<pid_t>(monitor), 0) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));

    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
    CHECK_R(ps, ps.out.find("orphan Exited (137)") != std::string::npos);
    // ps and inspect only read: the process is still there.
    Result st = sb.hutch({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "orphan"});
    CHECK_R(st, lastLine(st.out) == "exited 137");
    CHECK(::kill(static_cast<pid_t>(pid), 0) == 0);
    // A command that changes state (here one about another container) recovers it: the
    // process is ended, not left running unseen, and exit 137 is recorded.
    Result other = sb.hutch({"run", "--rm", "busybox", "true"});
    CHECK_RC(other, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = ::kill(static_cast<pid_t>(pid), 0) != 0;
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(gone);
    Result rm = sb.hutch({"rm", "orphan"});
    CHECK_RC(rm, 0);
}
