// e2e: what the monitor of a detached container does besides logging: --restart policies
// (restarts, RestartCount, no restart after a user's stop) and health checks (--health-*,
// the image's HEALTHCHECK, `healthcheck run`, State.Health, ps's "(healthy)"). Expectations
// are podman 4.3's; [podman-ref] cases pass against podman too (its periodic checks need
// systemd timers, so the cases that wait for them are hutch's only).
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace hutch::e2e;

namespace {

/// `inspect --format FMT NAME`, trimmed; "" when inspect fails.
std::string inspectField(const Sandbox& sb, const std::string& name, const std::string& format) {
    Result r = sb.hutch({"inspect", "--format", format, name});
    return r.rc == 0 ? lastLine(r.out) : "";
}

/// Polls `inspect --format FMT NAME` until it prints `want` (up to `limit`); returns the last value.
std::string inspectUntil(const Sandbox& sb, const std::string& name, const std::string& format,
                         const std::string& want, std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + limit;
    std::string v;
    while (std::chrono::steady_clock::now() < end) {
        v = inspectField(sb, name, format);
        if (v == want) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return v;
}

size_t countOf(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
    return n;
}

}  // namespace

TEST_CASE("e2e: --restart values and --rm are checked as podman does", "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    struct Case {
        std::vector<std::string> flags;
        std::string message;
    };
    std::vector<Case> cases = {
        {{"--restart", "bogus"}, "\"bogus\" is not a valid restart policy"},
        {{"--restart", "always:3"}, "restart policy retries can only be specified with on-failure restart policy"},
        {{"--restart", "on-failure:x"}, "parsing restart policy retry count"},
        {{"--restart", "on-failure:1:2"}, "may specify retries at most once"},
        {{"--rm", "--restart", "always"},
         "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\""},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = {"create"};
        args.insert(args.end(), c.flags.begin(), c.flags.end());
        args.insert(args.end(), {"busybox", "true"});
        Result r = sb.hutch(args);
        CHECK_R(r, r.rc == 125);
        CHECK_R(r, contains(r.err, c.message));
    }
    Result none = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(none, none.out.empty());

    SECTION("inspect shows the policy; --rm with --restart no is fine") {
        hutchOk(sb, {"create", "--name", "pol", "--restart", "on-failure:3", "busybox", "true"});
        CHECK(inspectField(sb, "pol", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}:{{.RestartCount}}") ==
              "on-failure:3:0");
        hutchOk(sb, {"create", "--name", "plain", "busybox", "true"});
        CHECK(inspectField(sb, "plain", "[{{.HostConfig.RestartPolicy.Name}}]") == "[]");
        hutchOk(sb, {"create", "--rm", "--restart", "no", "--name", "rmno", "busybox", "true"});
    }
}

TEST_CASE("e2e: --restart on-failure:2 runs a failing container 3 times, then it stays exited", "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    runDetached(sb, {"--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3"});
    std::string end = inspectUntil(sb, "flaky", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", "exited 2 3");
    CHECK(end == "exited 2 3");
    Result logs = sb.hutch({"logs", "flaky"});
    CHECK_R(logs, logs.out == "run\nrun\nrun\n");
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
    CHECK_R(ps, contains(ps.out, "flaky Exited (3)"));

    SECTION("a success is not restarted by on-failure") {
        runDetached(sb, {"--name", "fine", "--restart", "on-failure", "busybox", "sh", "-c", "echo ok"});
        CHECK(inspectUntil(sb, "fine", "{{.State.Status}} {{.RestartCount}}", "exited 0") == "exited 0");
        CHECK(sb.hutch({"logs", "fine"}).out == "ok\n");
    }
}

TEST_CASE("e2e: --restart always runs an exited container again; stop keeps it stopped", "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    runDetached(sb, {"--name", "again", "--restart", "always", "busybox", "sh", "-c", "echo run; sleep 1"});
    // Exits 0 after a second and is running again.
    std::string v = inspectUntil(sb, "again", "{{.State.Status}} {{gt .RestartCount 0}}", "running true");
    REQUIRE(v == "running true");
    Result ps = sb.hutch({"ps", "--format", "{{.Names}} {{.Status}}"});
    CHECK_R(ps, contains(ps.out, "again Up"));

    Result stop = sb.hutch({"stop", "-t", "0", "again"});
    REQUIRE_RC(stop, 0);
    std::string count = inspectField(sb, "again", "{{.RestartCount}}");
    // The runs take a second: a restart after the stop would show within two.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    CHECK(inspectField(sb, "again", "{{.State.Status}} {{.RestartCount}}") == "exited " + count);
    Result ps2 = sb.hutch({"ps", "-q"});
    CHECK_R(ps2, ps2.out.empty());

    SECTION("start runs it under its policy again") {
        hutchOk(sb, {"start", "again"});
        CHECK(inspectUntil(sb, "again", "{{.State.Status}}", "running") == "running");
        hutchOk(sb, {"kill", "again"});
        CHECK(inspectUntil(sb, "again", "{{.State.Status}}", "exited") == "exited");
        std::string after = inspectField(sb, "again", "{{.RestartCount}}");
        std::this_thread::sleep_for(std::chrono::seconds(2));
        CHECK(inspectField(sb, "again", "{{.State.Status}} {{.RestartCount}}") == "exited " + after);
    }
}

TEST_CASE("e2e: --health-* flags are checked as podman does", "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    struct Case {
        std::vector<std::string> flags;
        std::string message;
    };
    std::vector<Case> cases = {
        {{"--health-cmd", "true", "--health-interval", "bogus"}, "invalid healthcheck-interval: time: invalid duration \"bogus\""},
        {{"--health-cmd", "true", "--health-retries", "0"}, "healthcheck-retries must be greater than 0"},
        {{"--health-cmd", "true", "--health-timeout", "0s"}, "healthcheck-timeout must be at least 1 second"},
        {{"--health-cmd", "true", "--health-start-period", "-1s"}, "healthcheck-start-period must be 0 seconds or greater"},
        {{"--health-cmd", "true", "--no-healthcheck"}, "cannot specify both --no-healthcheck and --health-cmd"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = {"create"};
        args.insert(args.end(), c.flags.begin(), c.flags.end());
        args.insert(args.end(), {"busybox", "true"});
        Result r = sb.hutch(args);
        CHECK_R(r, r.rc == 125);
        CHECK_R(r, contains(r.err, c.message));
    }
    hutchOk(sb, {"create", "--name", "hc", "--health-cmd", "echo hi; test -e /ok", "--health-interval", "5s",
                         "--health-retries", "2", "--health-start-period", "1s", "busybox", "true"});
    CHECK(inspectField(sb, "hc", "{{json .Config.Healthcheck}}") ==
          R"({"Test":["CMD-SHELL","echo hi; test -e /ok"],"StartPeriod":1000000000,"Interval":5000000000,"Timeout":30000000000,"Retries":2})");
    hutchOk(sb, {"create", "--name", "arr", "--health-cmd", R"(["ls","/"])", "busybox", "true"});
    CHECK(inspectField(sb, "arr", "{{json .Config.Healthcheck.Test}}") == R"(["CMD","ls","/"])");
}

TEST_CASE("e2e: healthcheck run records results in State.Health; ps shows the status", "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    runDetached(sb, {"--name", "hc", "--health-cmd", "echo hi; test -e /ok", "--health-retries", "2", "busybox",
                     "sleep", "100"});
    Result r1 = sb.hutch({"healthcheck", "run", "hc"});
    CHECK_R(r1, r1.rc == 1);
    CHECK_R(r1, r1.out == "unhealthy\n");
    // One failure of two allowed.
    CHECK(inspectField(sb, "hc", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}") == "starting 1");
    Result r2 = sb.hutch({"healthcheck", "run", "hc"});
    CHECK_R(r2, r2.rc == 1);
    CHECK(inspectField(sb, "hc", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}") == "unhealthy 2");
    Result ps = sb.hutch({"ps", "--format", "{{.Status}}"});
    CHECK_R(ps, contains(ps.out, "(unhealthy)"));

    hutchOk(sb, {"exec", "hc", "touch", "/ok"});
    Result r3 = sb.hutch({"healthcheck", "run", "hc"});
    CHECK_R(r3, r3.rc == 0);
    CHECK_R(r3, r3.out.empty());
    CHECK(inspectField(sb, "hc", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}") == "healthy 0");
    std::string health = inspectField(sb, "hc", "{{json .State.Health}}");
    CHECK(countOf(health, "\"ExitCode\":1") == 2);
    CHECK(countOf(health, "\"ExitCode\":0") == 1);
    CHECK(countOf(health, "\"Output\":\"hi\"") == 3);  // the output, without its newline
    Result ps2 = sb.hutch({"ps", "--format", "{{.Status}}"});
    CHECK_R(ps2, contains(ps2.out, "(healthy)"));

    SECTION("the log keeps the last 5 results") {
        for (int i = 0; i < 3; ++i) hutchOk(sb, {"healthcheck", "run", "hc"});  // 6 results in all
        std::string h = inspectField(sb, "hc", "{{json .State.Health}}");
        CHECK(countOf(h, "\"Start\"") == 5);
        CHECK(countOf(h, "\"ExitCode\":1") == 1);
    }
}

TEST_CASE("e2e: healthcheck run: failures in the start period do not count; a check past its timeout is 125",
          "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    runDetached(sb, {"--name", "early", "--health-cmd", "false", "--health-retries", "1", "--health-start-period",
                     "5m", "busybox", "sleep", "100"});
    Result r = sb.hutch({"healthcheck", "run", "early"});
    CHECK_R(r, r.rc == 1);
    CHECK(inspectField(sb, "early", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}") == "starting 0");

    runDetached(sb, {"--name", "slow", "--health-cmd", "sleep 3", "--health-timeout", "1s", "busybox", "sleep", "100"});
    Result s = sb.hutch({"healthcheck", "run", "slow"});
    CHECK_R(s, s.rc == 125);
    CHECK_R(s, contains(s.err, "healthcheck command exceeded timeout of 1s"));
    CHECK(inspectField(sb, "slow", "{{(index .State.Health.Log 0).ExitCode}}") == "-1");
}

TEST_CASE("e2e: healthcheck run without a health check or on a stopped container is 125", "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    std::string plain = runDetached(sb, {"--name", "plain", "busybox", "sleep", "100"});
    Result r = sb.hutch({"healthcheck", "run", "plain"});
    CHECK_R(r, r.rc == 125);
    CHECK_R(r, contains(r.err, "container " + plain + " has no defined healthcheck"));

    hutchOk(sb, {"create", "--name", "off", "--health-cmd", "true", "busybox", "true"});
    std::string off = inspectField(sb, "off", "{{.Id}}");
    Result s = sb.hutch({"healthcheck", "run", "off"});
    CHECK_R(s, s.rc == 125);
    CHECK_R(s, contains(s.err, "container " + off + " is not running"));

    Result missing = sb.hutch({"healthcheck", "run", "nosuch"});
    CHECK_R(missing, missing.rc == 125);
}

TEST_CASE("e2e: the image's HEALTHCHECK is the container's; --no-healthcheck drops it", "[e2e][monitor][podman-ref]") {
    Sandbox sb;
    fs::path dir = sb.dir() / "ctx";
    sb.writeFile(dir / "Containerfile", "FROM busybox\nHEALTHCHECK --interval=7s --retries=4 CMD test -e /ok\n");
    Result b = sb.hutch({"build", "--format", "docker", "-t", "withhc", dir.string()},
                        RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(b, 0);
    runDetached(sb, {"--name", "img", "withhc", "sleep", "100"});
    CHECK(inspectField(sb, "img", "{{json .Config.Healthcheck}}") ==
          R"({"Test":["CMD-SHELL","test -e /ok"],"Interval":7000000000,"Timeout":30000000000,"Retries":4})");
    Result r = sb.hutch({"healthcheck", "run", "img"});
    CHECK_R(r, r.rc == 1);
    hutchOk(sb, {"exec", "img", "touch", "/ok"});
    CHECK(sb.hutch({"healthcheck", "run", "img"}).rc == 0);

    std::string none = runDetached(sb, {"--name", "nohc", "--no-healthcheck", "withhc", "sleep", "100"});
    Result n = sb.hutch({"healthcheck", "run", "nohc"});
    CHECK_R(n, n.rc == 125);
    CHECK_R(n, contains(n.err, "has no defined healthcheck"));
}

TEST_CASE("e2e: the monitor runs the health check every --health-interval", "[e2e][monitor]") {
    Sandbox sb;
    runDetached(sb, {"--name", "timer", "--health-cmd", "test -e /ok", "--health-interval", "1s", "--health-retries",
                     "2", "busybox", "sleep", "100"});
    CHECK(inspectField(sb, "timer", "{{.State.Health.Status}}") == "starting");
    // Two failed checks, a second apart.
    CHECK(inspectUntil(sb, "timer", "{{.State.Health.Status}}", "unhealthy", std::chrono::seconds(10)) == "unhealthy");
    Result ps = sb.hutch({"ps", "--format", "{{.Status}}"});
    CHECK_R(ps, contains(ps.out, "(unhealthy)"));
    hutchOk(sb, {"exec", "timer", "touch", "/ok"});
    CHECK(inspectUntil(sb, "timer", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}", "healthy 0",
                       std::chrono::seconds(10)) == "healthy 0");

    SECTION("--health-interval=disable: no automatic checks") {
        runDetached(sb, {"--name", "manual", "--health-cmd", "false", "--health-interval", "disable",
                         "--health-retries", "1", "busybox", "sleep", "100"});
        std::this_thread::sleep_for(std::chrono::seconds(2));
        CHECK(inspectField(sb, "manual", "{{.State.Health.Status}} {{len .State.Health.Log}}") == "starting 0");
    }
}
