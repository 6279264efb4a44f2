// The events journal (engine/core/events.hpp): podman's line format, filters, time inputs,
// concurrent appends, rotation, and a follower across a rotation.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/core/events.hpp"

using namespace hutch;
using engine::Event;
using engine::EventQuery;

namespace {

constexpr int64_t kSec = 1000000000;

Event ev(const std::string& type, const std::string& status, const std::string& id, const std::string& name,
         int64_t t = 0) {
    Event e;
    e.type = type;
    e.status = status;
    e.id = id;
    e.name = name;
    e.timeNano = t;
    return e;
}

std::string tempDir() {
    char tmpl[] = "/tmp/hutch-events-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    return tmpl;
}

std::vector<std::string> fileLines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

int64_t now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("events: a journal line has podman's fields and reads back", "[engine][events]") {
    Event e = ev("container", "died", "abc123", "web", 1765029600123456789);
    e.image = "127.0.0.1:5000/busybox:latest";
    e.exitCode = 3;
    e.attributes["app"] = "x";
    std::string line = engine::eventToJson(e).dump();
    CHECK(line ==
          R"({"ContainerExitCode":3,"ID":"abc123","Image":"127.0.0.1:5000/busybox:latest","Name":"web","Status":"died",)"
          R"("Time":"2025-12-06T14:00:00.123456789Z","Type":"container","Attributes":{"app":"x"}})");
    Event back = engine::eventFromJson(nlohmann::json::parse(line));
    CHECK(back.timeNano == e.timeNano);
    CHECK(back.exitCode == 3);
    CHECK(back.attributes.at("app") == "x");
    CHECK(back.image == e.image);

    // An image event without attributes has null ones; a container one {}; exit code 0 is left out.
    CHECK(engine::eventToJson(ev("image", "tag", "i", "n", 0)).dump() ==
          R"({"ID":"i","Name":"n","Status":"tag","Time":"1970-01-01T00:00:00Z","Type":"image","Attributes":null})");
    Event c = ev("container", "died", "c", "n", kSec / 10);
    c.exitCode = 0;
    CHECK(engine::eventToJson(c).dump() ==
          R"({"ID":"c","Name":"n","Status":"died","Time":"1970-01-01T00:00:00.1Z","Type":"container","Attributes":{}})");
    // podman's own lines, with a local offset.
    Event p = engine::eventFromJson(nlohmann::json::parse(
        R"({"Name":"busybox","Status":"pull","Time":"2022-04-06T11:26:42.723667951+02:00","Type":"image","Attributes":null})"));
    CHECK(engine::formatEventTimeRfc3339(p.timeNano) == "2022-04-06T09:26:42.723667951Z");
    CHECK_THROWS_AS(engine::eventFromJson(nlohmann::json::parse(R"({"Status":"x"})")), InvalidArgument);
}

TEST_CASE("events: --since/--until values as podman reads them", "[engine][events]") {
    const int64_t t0 = 1765029600LL * kSec;  // 2025-12-06T14:00:00Z
    using engine::parseEventTimeInput;
    CHECK(parseEventTimeInput("2025-12-06T14:00:00Z", true, 0) == t0);
    CHECK(parseEventTimeInput("2025-12-06T16:00:00+02:00", true, 0) == t0);
    CHECK(parseEventTimeInput("2025-12-06T14:00:00.5Z", true, 0) == t0 + kSec / 2);
    CHECK(parseEventTimeInput("2025-12-06T14:00:00", true, 0) == t0);  // no zone: UTC
    CHECK(parseEventTimeInput("2025-12-06", true, 0) == t0 - 14 * 3600 * kSec);
    CHECK(parseEventTimeInput("1765029600", true, 0) == t0);
    CHECK(parseEventTimeInput("1765029600.25", true, 0) == t0 + kSec / 4);
    CHECK(parseEventTimeInput("5m", true, t0) == t0 - 300 * kSec);
    CHECK(parseEventTimeInput("5m", false, t0) == t0 + 300 * kSec);
    CHECK(parseEventTimeInput("1h30s", true, t0) == t0 - 3630 * kSec);
    CHECK(parseEventTimeInput("1.5s", true, t0) == t0 - 3 * kSec / 2);
    CHECK(parseEventTimeInput("250ms", true, t0) == t0 - kSec / 4);
    CHECK_THROWS_WITH(parseEventTimeInput("yesterday", true, t0), Catch::Contains("unable to interpret time value"));
    CHECK_THROWS_AS(parseEventTimeInput("5x", true, t0), InvalidArgument);
    CHECK_THROWS_AS(parseEventTimeInput("2025-13-01", true, t0), InvalidArgument);
}

TEST_CASE("events: filters of one key are ORed, of different keys ANDed", "[engine][events]") {
    Event startA = ev("container", "start", "aaaa1111", "a", 10);
    Event startB = ev("container", "start", "bbbb2222", "b", 20);
    Event diedA = ev("container", "died", "aaaa1111", "a", 30);
    Event pull = ev("image", "pull", "aaaa9999", "busybox", 40);
    startA.attributes["tier"] = "web";

    auto q = EventQuery::parse({"container=a", "container=bbbb", "event=start"}, "", "", 0);
    CHECK(q.matches(startA));
    CHECK(q.matches(startB));
    CHECK_FALSE(q.matches(diedA));
    CHECK_FALSE(q.matches(pull));  // container= only matches container events

    CHECK(EventQuery::parse({"type=image"}, "", "", 0).matches(pull));
    CHECK_FALSE(EventQuery::parse({"type=image"}, "", "", 0).matches(startA));
    CHECK(EventQuery::parse({"image=busybox"}, "", "", 0).matches(pull));
    CHECK(EventQuery::parse({"image=aaaa"}, "", "", 0).matches(pull));
    CHECK(EventQuery::parse({"status=died"}, "", "", 0).matches(diedA));
    CHECK(EventQuery::parse({"event=die"}, "", "", 0).matches(diedA));  // docker's name
    CHECK(EventQuery::parse({"label=tier=web"}, "", "", 0).matches(startA));
    CHECK(EventQuery::parse({"label=tier"}, "", "", 0).matches(startA));
    CHECK_FALSE(EventQuery::parse({"label=tier=db"}, "", "", 0).matches(startA));
    CHECK_FALSE(EventQuery::parse({"label=tier"}, "", "", 0).matches(startB));

    // since and until are exclusive.
    auto window = EventQuery::parse({}, "0.000000010", "0.000000030", 0);
    CHECK_FALSE(window.matches(startA));
    CHECK(window.matches(startB));
    CHECK_FALSE(window.matches(diedA));

    CHECK_THROWS_WITH(EventQuery::parse({"container"}, "", "", 0), Catch::Contains("container is an invalid filter"));
    CHECK_THROWS_WITH(EventQuery::parse({"colour=red"}, "", "", 0), Catch::Contains("colour is an invalid filter"));
}

TEST_CASE("events: concurrent appends never interleave lines", "[engine][events]") {
    std::string dir = tempDir();
    std::string path = dir + "/events/events.log";
    const int kProcs = 6, kEach = 50;
    std::vector<pid_t> kids;
    for (int p = 0; p < kProcs; ++p) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            try {
                for (int i = 0; i < kEach; ++i) {
                    Event e = ev("container", "exec", std::string(64, static_cast<char>('a' + p)), "p" + std::to_string(p));
                    e.attributes["pad"] = std::string(300, 'x');
                    engine::appendEvent(path, e, 0);
                }
            } catch (...) {
                ::_exit(1);
            }
            ::_exit(0);
        }
        kids.push_back(pid);
    }
    for (pid_t k : kids) {
        int st = 0;
        ::waitpid(k, &st, 0);
        CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
    }
    auto lines = fileLines(path);
    REQUIRE(lines.size() == static_cast<size_t>(kProcs * kEach));
    int64_t last = 0;
    for (const auto& l : lines) {
        Event e = engine::eventFromJson(nlohmann::json::parse(l));  // every line whole
        CHECK(e.timeNano >= last);                                  // file order is time order
        last = e.timeNano;
    }
    fsutil::removeAll(dir);
}

TEST_CASE("events: the journal is cut to its newer half at its size limit", "[engine][events]") {
    std::string dir = tempDir();
    std::string path = dir + "/events.log";
    for (int i = 0; i < 100; ++i) engine::appendEvent(path, ev("image", "pull", "", "img" + std::to_string(i)), 0);
    auto before = fileLines(path);
    uint64_t size = fsutil::readFile(path).size();
    engine::appendEvent(path, ev("volume", "create", "", "last"), size);  // passes the limit
    auto after = fileLines(path);
    REQUIRE(after.size() >= 4);
    // The newer half of the old lines, whole and in order, then the rotation, then the event.
    size_t kept = after.size() - 2;
    CHECK(kept >= 45);
    CHECK(kept <= 50);
    for (size_t i = 0; i < kept; ++i) CHECK(after[i] == before[before.size() - kept + i]);
    Event rot = engine::eventFromJson(nlohmann::json::parse(after[kept]));
    CHECK(rot.type == "system");
    CHECK(rot.status == "log-rotation");
    CHECK(rot.name == path);
    CHECK(engine::eventFromJson(nlohmann::json::parse(after.back())).name == "last");
    CHECK(fsutil::readFile(path).size() < size);
    fsutil::removeAll(dir);
}

TEST_CASE("events: a follower sees new events once, across a rotation", "[engine][events]") {
    std::string dir = tempDir();
    std::string path = dir + "/events.log";
    for (int i = 0; i < 20; ++i) engine::appendEvent(path, ev("image", "pull", "", "old" + std::to_string(i)), 0);
    uint64_t size = fsutil::readFile(path).size();

    // Not streaming: what is there, then return.
    std::vector<std::string> seen;
    engine::readEvents(path, EventQuery::parse({"type=image"}, "", "", now()), false,
                       [&](const Event& e) { seen.push_back(e.name); });
    CHECK(seen.size() == 20);

    // Streaming with since/until: from the start of the file, filtered; until ends it.
    seen.clear();
    auto q = EventQuery::parse({}, "0s", "1500ms", now());  // since now: none of the old ones
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        engine::appendEvent(path, ev("volume", "create", "", "new1"), 0);
        engine::appendEvent(path, ev("volume", "create", "", "new2"), size + 10);  // rotates
        engine::appendEvent(path, ev("volume", "create", "", "new3"), 0);
    });
    auto started = std::chrono::steady_clock::now();
    engine::readEvents(path, q, true, [&](const Event& e) { seen.push_back(e.name); });
    writer.join();
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(1200));
    CHECK(seen == std::vector<std::string>{"new1", path, "new2", "new3"});
    fsutil::removeAll(dir);
}
