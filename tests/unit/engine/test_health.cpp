// engine/spec/health: --restart and --health-* parsing, the restart decision and the rules
// of the health state (podman 4.3's).
#include <catch2/catch.hpp>

#include <string>

#include "hutch/common/error.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/spec/health.hpp"

using namespace hutch;
using namespace hutch::engine;

namespace {

template <typename F>
std::string errorOf(F f) {
    try {
        f();
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "";
}

HealthResult result(int code) { return {"s", "e", code, ""}; }

}  // namespace

TEST_CASE("parseRestartPolicy: names, retries, podman's errors", "[engine][health]") {
    CHECK(parseRestartPolicy("").name.empty());
    CHECK(parseRestartPolicy("always").name == "always");
    auto p = parseRestartPolicy("on-failure:4");
    CHECK(p.name == "on-failure");
    CHECK(p.retries == 4);
    CHECK(parseRestartPolicy("on-failure").retries == 0);
    CHECK(errorOf([] { parseRestartPolicy("sometimes"); }) ==
          "running container create option: \"sometimes\" is not a valid restart policy: invalid argument");
    CHECK(errorOf([] { parseRestartPolicy("always:2"); }) ==
          "restart policy retries can only be specified with on-failure restart policy");
    CHECK(errorOf([] { parseRestartPolicy("on-failure:two"); }) ==
          "parsing restart policy retry count: strconv.Atoi: parsing \"two\": invalid syntax");
    CHECK(errorOf([] { parseRestartPolicy("on-failure:-1"); }) ==
          "must specify restart policy retry count as a number greater than 0");
    CHECK(errorOf([] { parseRestartPolicy("on-failure:1:1"); }) == "invalid restart policy: may specify retries at most once");
}

TEST_CASE("shouldRestart: per policy, retries, a stop by the user", "[engine][health]") {
    RestartPolicy no{"no", 0}, none{"", 0}, always{"always", 0}, unless{"unless-stopped", 0};
    RestartPolicy fail2{"on-failure", 2}, failAny{"on-failure", 0};
    CHECK_FALSE(shouldRestart(no, 1, 0, false));
    CHECK_FALSE(shouldRestart(none, 1, 0, false));
    CHECK(shouldRestart(always, 0, 100, false));
    CHECK(shouldRestart(unless, 0, 0, false));
    CHECK_FALSE(shouldRestart(always, 0, 0, true));
    CHECK(shouldRestart(fail2, 1, 0, false));
    CHECK(shouldRestart(fail2, 1, 1, false));
    CHECK_FALSE(shouldRestart(fail2, 1, 2, false));
    CHECK_FALSE(shouldRestart(fail2, 0, 0, false));
    CHECK(shouldRestart(failAny, 137, 50, false));
    CHECK_FALSE(shouldRestart(failAny, 137, 0, true));
}

TEST_CASE("effectiveHealthcheck: --health-cmd forms, defaults, the image's, none", "[engine][health]") {
    HealthFlags f;
    f.cmd = "curl -f http://localhost/ || exit 1";
    auto h = effectiveHealthcheck(f, nullptr);
    REQUIRE(h);
    CHECK(h->test == std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost/ || exit 1"});
    CHECK(h->command() == std::vector<std::string>{"/bin/sh", "-c", "curl -f http://localhost/ || exit 1"});
    CHECK(h->intervalNs == 30'000'000'000);
    CHECK(h->timeoutNs == 30'000'000'000);
    CHECK(h->retries == 3);
    CHECK(h->startPeriodNs == 0);

    f.cmd = R"(["ls", "-l"])";
    f.interval = "1m30s";
    f.retries = 5;
    h = effectiveHealthcheck(f, nullptr);
    REQUIRE(h);
    CHECK(h->test == std::vector<std::string>{"CMD", "ls", "-l"});
    CHECK(h->command() == std::vector<std::string>{"ls", "-l"});
    CHECK(h->intervalNs == 90'000'000'000);
    CHECK(h->retries == 5);

    f.interval = "disable";
    CHECK(effectiveHealthcheck(f, nullptr)->intervalNs == 0);
    f.cmd = "none";
    CHECK_FALSE(effectiveHealthcheck(f, nullptr));

    nlohmann::json image = {{"Test", {"CMD-SHELL", "test -e /ok"}}, {"Interval", 7'000'000'000}, {"Retries", 4}};
    HealthFlags noFlags;
    h = effectiveHealthcheck(noFlags, image);
    REQUIRE(h);
    CHECK(h->test == std::vector<std::string>{"CMD-SHELL", "test -e /ok"});
    CHECK(h->intervalNs == 7'000'000'000);
    CHECK(h->timeoutNs == 30'000'000'000);  // 0/absent in an image: the default
    CHECK(h->retries == 4);
    noFlags.none = true;
    CHECK_FALSE(effectiveHealthcheck(noFlags, image));
    CHECK_FALSE(effectiveHealthcheck(HealthFlags{}, nlohmann::json{{"Test", {"NONE"}}}));
}

TEST_CASE("validateHealthFlags: podman's messages", "[engine][health]") {
    HealthFlags f;
    f.cmd = "true";
    f.interval = "soon";
    CHECK(errorOf([&] { validateHealthFlags(f); }) == "invalid healthcheck-interval: time: invalid duration \"soon\"");
    f.interval = "";
    f.retries = 0;
    CHECK(errorOf([&] { validateHealthFlags(f); }) == "healthcheck-retries must be greater than 0");
    f.retries.reset();
    f.timeout = "0s";
    CHECK(errorOf([&] { validateHealthFlags(f); }) == "healthcheck-timeout must be at least 1 second");
    f.timeout = "";
    f.startPeriod = "-2s";
    CHECK(errorOf([&] { validateHealthFlags(f); }) == "healthcheck-start-period must be 0 seconds or greater");
    f.startPeriod = "";
    f.none = true;
    CHECK(errorOf([&] { validateHealthFlags(f); }) == "cannot specify both --no-healthcheck and --health-cmd");
}

TEST_CASE("recordHealthResult: streak, retries, start period, 5 log entries", "[engine][health]") {
    HealthState s;
    s.status = "starting";
    recordHealthResult(s, result(1), 2, /*inStartPeriod=*/true);
    CHECK(s.status == "starting");
    CHECK(s.failingStreak == 0);
    recordHealthResult(s, result(1), 2, false);
    CHECK(s.status == "starting");
    CHECK(s.failingStreak == 1);
    recordHealthResult(s, result(1), 2, false);
    CHECK(s.status == "unhealthy");
    CHECK(s.failingStreak == 2);
    recordHealthResult(s, result(0), 2, false);
    CHECK(s.status == "healthy");
    CHECK(s.failingStreak == 0);
    for (int i = 0; i < 3; ++i) recordHealthResult(s, result(i == 2 ? 7 : 0), 2, false);
    CHECK(s.log.size() == kHealthLogSize);
    CHECK(s.log.front().exitCode == 1);  // the oldest kept: the 3rd result
    CHECK(s.log.back().exitCode == 7);
    CHECK(s.status == "healthy");  // one failure of two allowed
    HealthState back = HealthState::fromJson(s.toJson());
    CHECK(back.status == s.status);
    CHECK(back.failingStreak == 1);
    CHECK(back.log.size() == kHealthLogSize);
}

TEST_CASE("ContainerRecord keeps the restart policy, health flags, restart count and stop by user", "[engine][health]") {
    ContainerRecord r;
    r.id = "abc";
    r.name = "n";
    r.config.restart = {"on-failure", 3};
    r.config.health.cmd = "true";
    r.config.health.interval = "1s";
    r.config.health.retries = 2;
    r.restartCount = 2;
    r.stoppedByUser = true;
    ContainerRecord back = ContainerRecord::fromJson(r.toJson());
    CHECK(back.config.restart.name == "on-failure");
    CHECK(back.config.restart.retries == 3);
    CHECK(back.config.health.cmd == "true");
    CHECK(back.config.health.interval == "1s");
    CHECK(back.config.health.retries == 2);
    CHECK_FALSE(back.config.health.none);
    CHECK(back.restartCount == 2);
    CHECK(back.stoppedByUser);
}
