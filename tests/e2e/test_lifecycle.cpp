// e2e: detached containers and their lifecycle verbs (run -d, ps, logs, stop, start, kill,
// wait, rm -f), as the unprivileged test user. Expectations are podman 4.3's.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace hutch::e2e;

namespace {

// Polls `hutch logs NAME` until its stdout contains `text` (up to ~10 s).
Result logsUntil(const Sandbox& sb, const std::string& name, const std::string& text) {
    Result r;
    for (int i = 0; i < 100; ++i) {
        r = sb.hutch({"logs", name});
        if (r.out.find(text) != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
}

}  // namespace

TEST_CASE("e2e: run -d prints the id, ps shows it Up, logs has both streams", "[e2e]") {
    Sandbox sb;
    std::string id = runDetached(sb, {"--name", "bg", "busybox", "sh", "-c",
                                      "echo to-out; echo to-err >&2; while true; do sleep 0.1; done"});
    Result ps = sb.hutch({"ps"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, ps.out.find(id.substr(0, 12)) != std::string::npos);
    CHECK_R(ps, ps.out.find("Up ") != std::string::npos);
    CHECK_R(ps, ps.out.find(" bg") != std::string::npos);

    Result logs = logsUntil(sb, "bg", "to-out");
    CHECK_R(logs, logs.out == "to-out\n");
    CHECK_R(logs, logs.err == "to-err\n");

    Result q = sb.hutch({"ps", "-q", "--no-trunc"});
    CHECK_R(q, lastLine(q.out) == id);

    Result rm = sb.hutch({"rm", "-f", "bg"});
    REQUIRE_RC(rm, 0);
    Result after = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(after, after.out.empty());
}

TEST_CASE("e2e: stop sends the stop signal and records the exit code", "[e2e]") {
    Sandbox sb;
    runDetached(sb, {"--name", "trapper", "busybox", "sh", "-c",
                     "trap 'echo got-term; exit 7' TERM; echo ready; while true; do sleep 0.1; done"});
    logsUntil(sb, "trapper", "ready");
    auto t0 = std::chrono::steady_clock::now();
    Result stop = sb.hutch({"stop", "trapper"});
    auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE_RC(stop, 0);
    CHECK_R(stop, lastLine(stop.out) == "trapper");
    CHECK(took < std::chrono::seconds(5));  // well before the 10 s timeout: no SIGKILL needed

    Result wait = sb.hutch({"wait", "trapper"});
    REQUIRE_RC(wait, 0);
    CHECK_R(wait, lastLine(wait.out) == "7");
    Result logs = sb.hutch({"logs", "--tail", "1", "trapper"});
    CHECK_R(logs, logs.out == "got-term\n");
    Result ps = sb.hutch({"ps", "-a"});
    CHECK_R(ps, ps.out.find("Exited (7)") != std::string::npos);

    SECTION("stop of an exited container succeeds") {
        Result again = sb.hutch({"stop", "trapper"});
        CHECK_R(again, again.rc == 0);
    }
    SECTION("start runs it again; kill -s KILL gives 137") {
        Result start = sb.hutch({"start", "trapper"});
        REQUIRE_RC(start, 0);
        Result ps2 = sb.hutch({"ps"});
        CHECK_R(ps2, ps2.out.find("trapper") != std::string::npos);
        Result kill = sb.hutch({"kill", "-s", "KILL", "trapper"});
        REQUIRE_RC(kill, 0);
        Result w = sb.hutch({"wait", "trapper"});
        CHECK_R(w, lastLine(w.out) == "137");
    }
    sb.hutch({"rm", "-f", "trapper"});
}

TEST_CASE("e2e: stop falls back to SIGKILL after the timeout", "[e2e]") {
    Sandbox sb;
    // sh as PID 1 ignores SIGTERM (no handler): only SIGKILL ends it.
    runDetached(sb, {"--name", "stubborn", "busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done"});
    logsUntil(sb, "stubborn", "ready");
    Result stop = sb.hutch({"stop", "-t", "1", "stubborn"});
    REQUIRE_RC(stop, 0);
    Result wait = sb.hutch({"wait", "stubborn"});
    CHECK_R(wait, lastLine(wait.out) == "137");
    sb.hutch({"rm", "stubborn"});
}

TEST_CASE("e2e: run -d --rm removes the container when it exits", "[e2e]") {
    Sandbox sb;
    runDetached(sb, {"--rm", "--name", "brief", "busybox", "true"});
    Result ps;
    for (int i = 0; i < 100; ++i) {
        ps = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
        if (ps.out.find("brief") == std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK_R(ps, ps.out.find("brief") == std::string::npos);
}

TEST_CASE("e2e: lifecycle errors", "[e2e]") {
    Sandbox sb;
    SECTION("stop, logs, wait of an unknown container are 125 naming it") {
        for (const char* verb : {"stop", "logs", "wait"}) {
            Result r = sb.hutch({verb, "nosuchctr"});
            CHECK_R(r, r.rc == 125);
            CHECK_R(r, r.err.find("no container with name or ID \"nosuchctr\" found") != std::string::npos);
        }
    }
    SECTION("kill of an exited container is 125, an unknown signal is 125") {
        Result run = sb.hutch({"run", "--name", "done", "busybox", "true"});
        REQUIRE_RC(run, 0);
        Result kill = sb.hutch({"kill", "done"});
        CHECK_R(kill, kill.rc == 125);
        CHECK_R(kill, kill.err.find("can only kill running containers") != std::string::npos);
        Result bad = sb.hutch({"kill", "-s", "SIGNOPE", "done"});
        CHECK_R(bad, bad.rc == 125);
        CHECK_R(bad, bad.err.find("invalid signal: SIGNOPE") != std::string::npos);
    }
    SECTION("--name in use is 125 naming the existing container") {
        runDetached(sb, {"--name", "dup", "busybox", "sleep", "30"});
        Result r = sb.hutch({"run", "--name", "dup", "busybox", "true"});
        CHECK_R(r, r.rc == 125);
        CHECK_R(r, r.err.find("the container name \"dup\" is already in use") != std::string::npos);
        sb.hutch({"rm", "-f", "dup"});
    }
}

TEST_CASE("e2e: top lists the container's processes with in-container pids", "[e2e]") {
    Sandbox sb;
    runDetached(sb, {"--name", "busy", "busybox", "sh", "-c", "sleep 1001 & sleep 1002; wait"});
    Result top;
    for (int i = 0; i < 50; ++i) {
        top = sb.hutch({"top", "busy"});
        if (top.out.find("sleep 1001") != std::string::npos && top.out.find("sleep 1002") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_RC(top, 0);
    auto ls = lines(top.out);
    REQUIRE(ls.size() >= 3);
    CHECK_R(top, ls[0].rfind("USER", 0) == 0);
    CHECK_R(top, ls[1].find("root  1 ") != std::string::npos);  // the init is pid 1 inside
    CHECK_R(top, top.out.find("sleep 1001") != std::string::npos);
    // -t 0: SIGKILL at once, no "StopSignal ... failed" warning (as podman)
    Result stop = sb.hutch({"stop", "-t", "0", "busy"});
    CHECK_R(stop, stop.rc == 0);
    CHECK_R(stop, stop.err.empty());
    Result stopped = sb.hutch({"top", "busy"});
    CHECK_R(stopped, stopped.rc == 125);
    sb.hutch({"rm", "-f", "busy"});
}

TEST_CASE("e2e: rm -f while run -d is still starting the container: neither hangs, nothing is left", "[e2e][race]") {
    Sandbox sb;
    for (int i = 0; i < 8; ++i) {
        const std::string name = "race" + std::to_string(i);
        const std::string marker = "sleep 1000; : hutch-race-" + std::to_string(i) + "-" + uniqueTag();
        Child run = sb.spawn({"run", "-d", "--name", name, "busybox", "sh", "-c", marker});
        std::this_thread::sleep_for(std::chrono::milliseconds(5 * i));
        Result rm = sb.hutch({"rm", "-f", name}, RunOptions::withTimeout(std::chrono::seconds(30)));
        Result r = run.wait(std::chrono::seconds(30));
        CHECK_FALSE(r.timedOut);
        // Either rm came first (run fails: the container is gone) or run did (rm kills it).
        CHECK_R(r, (r.rc == 0 || r.rc == 125));
        CHECK_R(rm, rm.rc == 0);
        if (rm.out.empty()) {  // rm -f came before the container existed (nothing to do, as podman):
                               // it runs; a second rm ends it
            CHECK_R(r, r.rc == 0);
            Result again = sb.hutch({"rm", "-f", name});
            CHECK_R(again, again.rc == 0);
        }
        Result ps = sb.hutch({"ps", "-a", "-q"});
        CHECK_R(ps, ps.out.empty());
        CHECK(findProcesses({"sh", "-c", marker}).empty());
    }
    std::error_code ec;
    auto it = fs::directory_iterator(sb.runRoot() / "netns", ec);
    CHECK((ec || it == fs::directory_iterator()));
}
