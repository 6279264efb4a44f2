// container_record: JSON round trip, state machine against /proc, time helpers.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <set>

#include "hutch/common/error.hpp"
#include "hutch/engine/container/container_record.hpp"

using namespace hutch;
using namespace hutch::engine;
using nlohmann::json;

namespace {

ContainerRecord fullRecord() {
    ContainerRecord r;
    r.id = std::string(64, 'a');
    r.name = "brave_badger";
    r.imageName = "127.0.0.1:5000/busybox:latest";
    r.imageId = std::string(64, 'b');
    r.args = {"/bin/sh", "-c", "echo hi"};
    r.config.command = {"-c", "echo hi"};
    r.config.entrypoint = std::vector<std::string>{"/bin/sh"};
    r.config.env = {"A=1", "B=x=y"};
    r.config.hostname = "box";
    r.config.workdir = "/srv";
    r.config.user = "1000:1000";
    r.config.network = "none";
    r.config.tty = true;
    r.config.interactive = true;
    r.autoRemove = true;
    r.created = "2024-05-06T07:08:09.123456789Z";
    r.status = ContainerStatus::Exited;
    r.pid = 4321;
    r.pidStartTime = 1234567890123ULL;
    r.exitCode = 137;
    r.startedAt = "2024-05-06T07:08:10.000000001Z";
    r.finishedAt = "2024-05-06T07:09:10.5Z";
    r.error = "oci runtime error: boom";
    return r;
}

pid_t deadPid() {
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) _exit(0);
    int st = 0;
    REQUIRE(waitpid(p, &st, 0) == p);
    return p;
}

}  // namespace

TEST_CASE("ContainerRecord toJson/fromJson round-trips every field", "[engine][record]") {
    auto r = fullRecord();
    // through text, as it is stored
    auto back = ContainerRecord::fromJson(json::parse(r.toJson().dump()));
    CHECK(back.id == r.id);
    CHECK(back.name == r.name);
    CHECK(back.imageName == r.imageName);
    CHECK(back.imageId == r.imageId);
    CHECK(back.args == r.args);
    CHECK(back.config.command == r.config.command);
    REQUIRE(back.config.entrypoint.has_value());
    CHECK(*back.config.entrypoint == *r.config.entrypoint);
    CHECK(back.config.env == r.config.env);
    CHECK(back.config.hostname == r.config.hostname);
    CHECK(back.config.workdir == r.config.workdir);
    CHECK(back.config.user == r.config.user);
    CHECK(back.config.network == r.config.network);
    CHECK(back.config.tty == r.config.tty);
    CHECK(back.config.interactive == r.config.interactive);
    CHECK(back.autoRemove == r.autoRemove);
    CHECK(back.created == r.created);
    CHECK(back.status == r.status);
    CHECK(back.pid == r.pid);
    CHECK(back.pidStartTime == r.pidStartTime);
    CHECK(back.exitCode == r.exitCode);
    CHECK(back.startedAt == r.startedAt);
    CHECK(back.finishedAt == r.finishedAt);
    CHECK(back.error == r.error);
    // and again: stable
    CHECK(back.toJson() == r.toJson());
}

TEST_CASE("ContainerRecord round trip keeps the --entrypoint tri-state", "[engine][record]") {
    auto r = fullRecord();
    SECTION("unset stays unset") {
        r.config.entrypoint.reset();
        auto back = ContainerRecord::fromJson(json::parse(r.toJson().dump()));
        CHECK_FALSE(back.config.entrypoint.has_value());
    }
    SECTION("--entrypoint \"\" (empty) stays set and empty") {
        r.config.entrypoint = std::vector<std::string>{};
        auto back = ContainerRecord::fromJson(json::parse(r.toJson().dump()));
        REQUIRE(back.config.entrypoint.has_value());
        CHECK(back.config.entrypoint->empty());
    }
}

TEST_CASE("ContainerRecord status names round-trip", "[engine][record]") {
    for (auto s : {ContainerStatus::Created, ContainerStatus::Running, ContainerStatus::Exited}) {
        auto r = fullRecord();
        r.status = s;
        CHECK(ContainerRecord::fromJson(r.toJson()).status == s);
    }
    CHECK(statusName(ContainerStatus::Created) == "created");
    CHECK(statusName(ContainerStatus::Running) == "running");
    CHECK(statusName(ContainerStatus::Exited) == "exited");
}

TEST_CASE("ContainerRecord::fromJson rejects garbage with hutch::Error", "[engine][record]") {
    CHECK_THROWS_AS(ContainerRecord::fromJson(json("hello")), Error);
    CHECK_THROWS_AS(ContainerRecord::fromJson(json::array({1, 2, 3})), Error);
    CHECK_THROWS_AS(ContainerRecord::fromJson(json(nullptr)), Error);
    CHECK_THROWS_AS(ContainerRecord::fromJson(json::object()), Error);
    CHECK_THROWS_AS(ContainerRecord::fromJson(json{{"id", 5}, {"name", "x"}, {"config", json::object()},
                                                   {"state", json::object()}}),
                    Error);
    auto j = fullRecord().toJson();
    j["config"]["env"] = "not-an-array";
    CHECK_THROWS_AS(ContainerRecord::fromJson(j), Error);
    j = fullRecord().toJson();
    j.erase("state");
    CHECK_THROWS_AS(ContainerRecord::fromJson(j), Error);
    j = fullRecord().toJson();
    j["state"]["pid"] = "12";
    CHECK_THROWS_AS(ContainerRecord::fromJson(j), Error);
}

TEST_CASE("processStartTime reads /proc/PID/stat field 22", "[engine][record]") {
    uint64_t st = processStartTime(getpid());
    CHECK(st > 0);
    CHECK(processStartTime(getpid()) == st);  // stable
    CHECK(processStartTime(0) == 0);
    CHECK(processStartTime(-1) == 0);
    CHECK(processStartTime(deadPid()) == 0);
    // pid 1 started no later than we did
    uint64_t init = processStartTime(1);
    if (init > 0) CHECK(init <= st);
}

TEST_CASE("effectiveStatus checks a running record's process", "[engine][record]") {
    ContainerRecord r = fullRecord();
    r.status = ContainerStatus::Running;

    SECTION("our own pid with its start time is running") {
        r.pid = getpid();
        r.pidStartTime = processStartTime(getpid());
        CHECK(effectiveStatus(r) == ContainerStatus::Running);
    }
    SECTION("a dead pid is exited") {
        r.pid = deadPid();
        r.pidStartTime = 12345;
        CHECK(effectiveStatus(r) == ContainerStatus::Exited);
    }
    SECTION("a reused pid (start time mismatch) is exited") {
        r.pid = getpid();
        r.pidStartTime = processStartTime(getpid()) + 1;
        CHECK(effectiveStatus(r) == ContainerStatus::Exited);
    }
    SECTION("pid 0 is exited") {
        r.pid = 0;
        CHECK(effectiveStatus(r) == ContainerStatus::Exited);
    }
    SECTION("an unreaped (zombie) child is exited") {
        pid_t p = fork();
        REQUIRE(p >= 0);
        if (p == 0) _exit(0);
        // wait until it is a zombie without reaping it
        siginfo_t si{};
        REQUIRE(waitid(P_PID, p, &si, WEXITED | WNOWAIT) == 0);
        r.pid = p;
        r.pidStartTime = 0;
        CHECK(effectiveStatus(r) == ContainerStatus::Exited);
        waitpid(p, nullptr, 0);
    }
    SECTION("created and exited records are shown as stored") {
        r.pid = getpid();
        r.pidStartTime = processStartTime(getpid());
        r.status = ContainerStatus::Created;
        CHECK(effectiveStatus(r) == ContainerStatus::Created);
        r.status = ContainerStatus::Exited;
        CHECK(effectiveStatus(r) == ContainerStatus::Exited);
    }
}

TEST_CASE("nowRfc3339 / parseRfc3339", "[engine][record]") {
    std::string now = nowRfc3339();
    INFO(now);
    // 2026-11-29T17:20:01.123456789Z
    REQUIRE(now.size() == 30);
    CHECK(now[4] == '-');
    CHECK(now[10] == 'T');
    CHECK(now[19] == '.');
    CHECK(now.back() == 'Z');
    for (int i : {20, 21, 22, 23, 24, 25, 26, 27, 28}) CHECK(std::isdigit(static_cast<unsigned char>(now[i])));
    CHECK(std::llabs(parseRfc3339(now) - static_cast<int64_t>(time(nullptr))) <= 2);

    CHECK(parseRfc3339("1970-01-01T00:00:10Z") == 10);
    CHECK(parseRfc3339("2000-01-01T00:00:00.5Z") == 946684800);
    CHECK(parseRfc3339("2024-02-29T12:34:56.000000001Z") == 1709210096);
    CHECK(parseRfc3339("garbage") == 0);
    CHECK(parseRfc3339("") == 0);
}

TEST_CASE("humanAgo prints durations like podman (go-units HumanDuration + \" ago\")", "[engine][record]") {
    auto ago = [](int64_t secs) { return humanAgo(static_cast<int64_t>(time(nullptr)) - secs); };
    CHECK(ago(0) == "Less than a second ago");
    CHECK(ago(-5) == "Less than a second ago");  // clock skew: a future time
    {
        auto s = ago(30);
        CHECK((s == "30 seconds ago" || s == "31 seconds ago"));
    }
    CHECK(ago(75) == "About a minute ago");
    CHECK(ago(5 * 60 + 20) == "5 minutes ago");
    CHECK(ago(59 * 60 + 10) == "59 minutes ago");
    CHECK(ago(3600 + 60) == "About an hour ago");
    CHECK(ago(5 * 3600 + 60) == "5 hours ago");
    CHECK(ago(3 * 86400 + 60) == "3 days ago");
    CHECK(ago(21 * 86400) == "3 weeks ago");
    CHECK(ago(90 * 86400) == "3 months ago");
    CHECK(ago(3 * 365 * 86400 + 86400) == "3 years ago");
    // exactly one second
    {
        auto s = ago(1);
        CHECK((s == "1 second ago" || s == "2 seconds ago"));
    }
}

// go-units rounds hours (int(d.Hours() + 0.5)): 1h40m is "2 hours", 2h40m "3 hours".
TEST_CASE("humanAgo rounds hours like go-units", "[engine][record]") {
    auto ago = [](int64_t secs) { return humanAgo(static_cast<int64_t>(time(nullptr)) - secs); };
    CHECK(ago(3600 + 40 * 60) == "2 hours ago");
    CHECK(ago(2 * 3600 + 40 * 60) == "3 hours ago");
}
