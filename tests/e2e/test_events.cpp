// e2e: `events` reads the journal hutch appends to (podman 4.3 with events_logger="file").
// Each sandbox's containers.conf selects podman's file backend (hutch has no other), so the
// [podman-ref] cases run against podman too.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <signal.h>
#include <thread>

using namespace hutch::e2e;

namespace {

/// A sandbox whose containers.conf makes podman write its events to a file.
void fileEvents(const Sandbox& sb) {
    sb.writeFile(sb.configHome() / "containers" / "containers.conf", "[engine]\nevents_logger = \"file\"\n");
}

/// Now as RFC 3339 with nanoseconds, UTC.
std::string nowRfc3339Nano() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    char out[96];
    snprintf(out, sizeof out, "%s.%09ldZ", buf, ts.tv_nsec);
    return out;
}

/// Index of the first line at or after `from` that contains `needle`, or npos.
size_t findLine(const std::vector<std::string>& ls, const std::string& needle, size_t from = 0) {
    for (size_t i = from; i < ls.size(); ++i)
        if (contains(ls[i], needle)) return i;
    return std::string::npos;
}

/// Runs `hutch ARGS` in `sb` and REQUIREs exit code `code`.
void must(const Sandbox& sb, const std::vector<std::string>& args, int code = 0) {
    Result r = sb.hutch(args);
    REQUIRE_RC(r, code);
}

}  // namespace

TEST_CASE("e2e: events shows a container's create, start, died and remove in order", "[e2e][events][podman-ref]") {
    Sandbox sb;
    fileEvents(sb);
    const std::string image = testEnv().registry + "/busybox:latest";
    std::string id = runDetached(sb, {"--name", "ev1", "busybox", "sleep", "100"});
    must(sb, {"stop", "-t", "0", "ev1"});
    must(sb, {"rm", "ev1"});

    Result r = sb.hutch({"events", "--stream=false", "--filter", "container=ev1"});
    REQUIRE_RC(r, 0);
    auto ls = lines(r.out);
    const std::string tail = " " + id + " (image=" + image + ", name=ev1";
    size_t create = findLine(ls, "container create" + tail);
    size_t start = findLine(ls, "container start" + tail, create == std::string::npos ? 0 : create);
    size_t died = findLine(ls, "container died" + tail, start == std::string::npos ? 0 : start);
    size_t remove = findLine(ls, "container remove" + tail, died == std::string::npos ? 0 : died);
    CHECK_R(r, create != std::string::npos);
    CHECK_R(r, start != std::string::npos);
    CHECK_R(r, died != std::string::npos);
    CHECK_R(r, remove != std::string::npos);
    // podman's time stamp: "2026-12-06 14:00:00.123456789 +0000 UTC container ..."
    for (const auto& l : ls) {
        CHECK_R(r, l.size() > 30);
        CHECK_R(r, l[4] == '-');
        CHECK_R(r, l[10] == ' ');
        CHECK_R(r, contains(l, " container "));
        CHECK_R(r, contains(l, "name=ev1"));
    }

    // --no-trunc=false: the 12-character id; a template always gets the full one.
    Result t = sb.hutch({"events", "--stream=false", "--filter", "container=ev1", "--filter", "event=create",
                         "--no-trunc=false"});
    REQUIRE_RC(t, 0);
    CHECK_R(t, contains(t.out, "container create " + id.substr(0, 12) + " (image="));
    CHECK_R(t, !contains(t.out, id));
    Result f = sb.hutch({"events", "--stream=false", "--filter", "container=ev1", "--filter", "event=died",
                         "--format", "{{.ID}}--{{.Image}}--{{.Name}}--{{.Type}}", "--no-trunc=false"});
    REQUIRE_RC(f, 0);
    CHECK_R(f, f.out == id + "--" + image + "--ev1--container\n");
}

TEST_CASE("e2e: events --filter: same key ORed, different keys ANDed", "[e2e][events][podman-ref]") {
    Sandbox sb;
    fileEvents(sb);
    must(sb, {"run", "--name", "fa", "busybox", "true"});
    must(sb, {"run", "--name", "fb", "busybox", "true"});
    must(sb, {"run", "--name", "fc", "busybox", "true"});

    Result r = sb.hutch({"events", "--stream=false", "--filter", "event=start", "--format", "{{.Status}} {{.Name}}"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "start fa\nstart fb\nstart fc\n");

    Result two = sb.hutch({"events", "--stream=false", "--filter", "container=fa", "--filter", "container=fc",
                           "--filter", "event=start", "--format", "{{.Status}} {{.Name}}"});
    REQUIRE_RC(two, 0);
    CHECK_R(two, two.out == "start fa\nstart fc\n");

    Result img = sb.hutch({"events", "--stream=false", "--filter", "type=image", "--filter", "event=start"});
    REQUIRE_RC(img, 0);
    CHECK_R(img, img.out.empty());
}

TEST_CASE("e2e: events --since and --until split the journal at a time", "[e2e][events][podman-ref]") {
    Sandbox sb;
    fileEvents(sb);
    must(sb, {"run", "--name", "early", "busybox", "true"});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a time strictly between the two
    const std::string cut = nowRfc3339Nano();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    must(sb, {"run", "--name", "late", "busybox", "true"});

    Result since = sb.hutch({"events", "--stream=false", "--since", cut, "--filter", "type=container",
                             "--format", "{{.Name}}"});
    REQUIRE_RC(since, 0);
    CHECK_R(since, contains(since.out, "late"));
    CHECK_R(since, !contains(since.out, "early"));

    // A duration counts back from now: both are within the last hour, none in the future.
    Result hour = sb.hutch({"events", "--stream=false", "--since", "1h", "--filter", "event=start",
                            "--format", "{{.Name}}"});
    REQUIRE_RC(hour, 0);
    CHECK_R(hour, hour.out == "early\nlate\n");
}

// podman 4.3 ends a past --until while still reading (its output varies from run to run) and
// loses filter and time errors (exit 0): hutch only.
TEST_CASE("e2e: events --until ends at a time; bad filters and times are errors", "[e2e][events]") {
    Sandbox sb;
    must(sb, {"volume", "create", "early"});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string cut = nowRfc3339Nano();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    must(sb, {"volume", "create", "late"});
    Result until = sb.hutch({"events", "--stream=false", "--until", cut, "--format", "{{.Name}}"});
    REQUIRE_RC(until, 0);
    CHECK_R(until, until.out == "early\n");
    // Streaming, a past --until prints what is there and ends.
    Result streamed = sb.hutch({"events", "--until", cut, "--format", "{{.Name}}"}, RunOptions::withTimeout(std::chrono::seconds(20)));
    REQUIRE_RC(streamed, 0);
    CHECK_R(streamed, streamed.out == "early\n");

    Result badSince = sb.hutch({"events", "--stream=false", "--since", "yesterday"});
    CHECK_R(badSince, badSince.rc == 125);
    CHECK_R(badSince, contains(badSince.err, "yesterday"));
    Result badFilter = sb.hutch({"events", "--stream=false", "--filter", "colour=red"});
    CHECK_R(badFilter, badFilter.rc == 125);
    CHECK_R(badFilter, contains(badFilter.err, "colour is an invalid filter"));
}

TEST_CASE("e2e: events --format json prints one JSON object per event", "[e2e][events][podman-ref]") {
    Sandbox sb;
    fileEvents(sb);
    must(sb, {"run", "--name", "js", "busybox", "sh", "-c", "exit 3"}, 3);
    Result r = sb.hutch({"events", "--stream=false", "--filter", "container=js", "--format", "json"});
    REQUIRE_RC(r, 0);
    auto ls = lines(r.out);
    REQUIRE(ls.size() >= 4);
    bool sawDied = false;
    for (const auto& l : ls) {
        INFO(l);
        nlohmann::json j = nlohmann::json::parse(l);
        CHECK(j["Type"] == "container");
        CHECK(j["Name"] == "js");
        CHECK(j["ID"].get<std::string>().size() == 64);
        CHECK(j["Image"] == testEnv().registry + "/busybox:latest");
        CHECK(j["Time"].get<std::string>().size() >= 20);
        if (j["Status"] == "died") {
            sawDied = true;
            CHECK(j["ContainerExitCode"] == 3);
        }
    }
    CHECK_R(r, sawDied);
}

TEST_CASE("e2e: events follows the journal and prints what happens after it started", "[e2e][events][podman-ref]") {
    Sandbox sb;
    fileEvents(sb);
    must(sb, {"volume", "create", "before"});
    Child follow = sb.spawn({"events", "--filter", "type=volume", "--format", "{{.Status}} {{.Name}}"});
    // Whenever the follower is ready, the volumes made from then on are printed as they come.
    for (int i = 0; i < 8; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        must(sb, {"volume", "create", "after" + std::to_string(i)});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the follower's poll interval
    follow.killGroup(SIGTERM);
    Result r = follow.wait(std::chrono::seconds(10));
    CHECK_R(r, !contains(r.out, "before"));
    CHECK_R(r, contains(r.out, "create after7\n"));
    for (const auto& l : lines(r.out)) CHECK_R(r, l.rfind("create after", 0) == 0);
}

TEST_CASE("e2e: image and volume events name what was done", "[e2e][events]") {
    Sandbox sb;
    const std::string id = pullOk(sb, "busybox");
    must(sb, {"tag", "busybox", "evtag:1"});
    must(sb, {"untag", "busybox", "evtag:1"});
    must(sb, {"volume", "create", "ev-vol"});
    must(sb, {"volume", "rm", "ev-vol"});
    Result r = sb.hutch({"events", "--stream=false", "--format", "{{.Type}} {{.Status}} {{.ID}} {{.Name}}"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, contains(r.out, "image pull " + id + " busybox\n"));
    CHECK_R(r, contains(r.out, "image tag " + id + " evtag:1\n"));
    CHECK_R(r, contains(r.out, "image untag " + id + " localhost/evtag:1\n"));
    CHECK_R(r, contains(r.out, "volume create  ev-vol\nvolume remove  ev-vol\n"));
    // The journal is JSON lines under the run root.
    Result sys = sb.hutch({"system", "events", "--stream=false", "--filter", "volume=ev-vol"});
    REQUIRE_RC(sys, 0);
    CHECK_R(sys, lines(sys.out).size() == 2);
    CHECK_R(sys, contains(sys.out, " volume create ev-vol\n"));
}
