// e2e: the maintenance verbs of issue 5 as the unprivileged test user: container prune,
// image prune [-a], system prune [--volumes], system df, system reset, and "n" at their
// [y/N] prompts (podman 4.3's texts and exit codes).
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

using namespace hutch::e2e;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string pullWith(const Sandbox& sb, const std::vector<std::string>& args) {
    std::vector<std::string> a{"pull", "-q"};
    a.insert(a.end(), args.begin(), args.end());
    Result r = sb.hutch(a);
    REQUIRE_RC(r, 0);
    REQUIRE(isHexId(lastLine(r.out)));
    return lastLine(r.out);
}

/// A file holding `answer` + newline, to feed a [y/N] prompt.
std::string answerFile(const Sandbox& sb, const std::string& answer) {
    auto p = sb.dir() / ("answer-" + answer);
    sb.writeFile(p, answer + "\n");
    return p.string();
}

RunOptions stdinFrom(const std::string& file) {
    RunOptions o;
    o.stdinFile = file;
    return o;
}

std::string out(const Sandbox& sb, const std::vector<std::string>& args) {
    Result r = sb.hutch(args);
    REQUIRE_RC(r, 0);
    return r.out;
}

/// Names of all containers, sorted.
std::vector<std::string> containerNames(const Sandbox& sb) {
    auto v = lines(out(sb, {"ps", "-a", "--format", "{{.Names}}"}));
    std::sort(v.begin(), v.end());
    return v;
}

/// `system df` as Type -> "TOTAL ACTIVE".
std::map<std::string, std::string> df(const Sandbox& sb) {
    std::map<std::string, std::string> m;
    for (const auto& l : lines(out(sb, {"system", "df", "--format", "{{.Type}}:{{.Total}} {{.Active}}"}))) {
        auto c = l.find(':');
        REQUIRE(c != std::string::npos);
        m[l.substr(0, c)] = l.substr(c + 1);
    }
    return m;
}

}  // namespace

TEST_CASE("e2e: container prune removes the exited containers, not the running one", "[e2e][prune]") {
    Sandbox sb;
    Result ex = sb.hutch({"run", "--name", "ex", "busybox", "true"});
    REQUIRE_RC(ex, 0);
    std::string running = runDetached(sb, {"--name", "up", "busybox", "sleep", "1000"});
    std::string exId = lastLine(out(sb, {"inspect", "--format", "{{.Id}}", "ex"}));

    // "n" (or no answer) deletes nothing and exits 0.
    Result no = sb.hutch({"container", "prune"}, stdinFrom(answerFile(sb, "n")));
    REQUIRE_RC(no, 0);
    CHECK(no.out == "WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ");
    CHECK(containerNames(sb) == std::vector<std::string>{"ex", "up"});
    hutchOk(sb, {"container", "prune"});  // stdin is /dev/null: EOF = no
    CHECK(containerNames(sb) == std::vector<std::string>{"ex", "up"});

    Result yes = sb.hutch({"container", "prune"}, stdinFrom(answerFile(sb, "y")));
    REQUIRE_RC(yes, 0);
    CHECK(yes.out == "WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] " +
                         exId + "\n");
    CHECK(containerNames(sb) == std::vector<std::string>{"up"});

    Result again = sb.hutch({"container", "prune", "-f"});
    REQUIRE_RC(again, 0);
    CHECK(again.out.empty());
    hutchOk(sb, {"rm", "-f", running});
}

TEST_CASE("e2e: image prune removes dangling images, -a every image no container uses", "[e2e][prune]") {
    Sandbox sb;
    // The arm64 image loses its name to the amd64 one pulled under the same name: dangling.
    std::string dangling = pullWith(sb, {"--platform", "linux/arm64", "busybox-multi"});
    std::string used = pullWith(sb, {"busybox-multi"});  // its amd64 image is busybox's
    REQUIRE(dangling != used);
    REQUIRE(pullWith(sb, {"busybox"}) == used);
    std::string unused = pullWith(sb, {"layered"});
    REQUIRE(unused != used);
    hutchOk(sb, {"run", "--name", "c", "busybox", "true"});

    Result no = sb.hutch({"image", "prune"}, stdinFrom(answerFile(sb, "n")));
    REQUIRE_RC(no, 0);
    CHECK(no.out == "WARNING! This command removes all dangling images.\nAre you sure you want to continue? [y/N] ");
    CHECK(has(out(sb, {"images", "-q", "--no-trunc"}), dangling.substr(0, 12)));

    Result p = sb.hutch({"image", "prune", "-f"});
    REQUIRE_RC(p, 0);
    CHECK(p.out == dangling + "\n");
    std::string ids = out(sb, {"images", "-q", "--no-trunc"});
    CHECK_FALSE(has(ids, dangling.substr(0, 12)));
    CHECK(has(ids, unused.substr(0, 12)));
    CHECK(has(ids, used.substr(0, 12)));

    Result a = sb.hutch({"image", "prune", "-a"}, stdinFrom(answerFile(sb, "y")));
    REQUIRE_RC(a, 0);
    CHECK(a.out == "WARNING! This command removes all images without at least one container associated with them.\n"
                   "Are you sure you want to continue? [y/N] " + unused + "\n");
    ids = out(sb, {"images", "-q", "--no-trunc"});
    CHECK_FALSE(has(ids, unused.substr(0, 12)));
    CHECK(has(ids, used.substr(0, 12)));
    // The used image still runs containers.
    hutchOk(sb, {"run", "--rm", "busybox", "true"});
}

TEST_CASE("e2e: system prune --volumes removes unused volumes and keeps used ones", "[e2e][prune]") {
    Sandbox sb;
    hutchOk(sb, {"volume", "create", "spare"});
    std::string running = runDetached(sb, {"--name", "up", "-v", "kept:/data", "busybox", "sleep", "1000"});
    hutchOk(sb, {"run", "--name", "ex", "busybox", "true"});
    std::string exId = lastLine(out(sb, {"inspect", "--format", "{{.Id}}", "ex"}));

    Result no = sb.hutch({"system", "prune", "--volumes"}, stdinFrom(answerFile(sb, "n")));
    REQUIRE_RC(no, 0);
    CHECK(no.out == "WARNING! This command removes:\n\t- all stopped containers\n"
                    "\t- all networks not used by at least one container\n"
                    "\t- all volumes not used by at least one container\n\t- all dangling images\n"
                    "\t- all dangling build cache\n\nAre you sure you want to continue? [y/N] ");
    CHECK(containerNames(sb) == std::vector<std::string>{"ex", "up"});

    // Without --volumes the volumes stay.
    Result p = sb.hutch({"system", "prune", "-f"});
    REQUIRE_RC(p, 0);
    CHECK(has(p.out, "Deleted Containers\n" + exId + "\n"));
    CHECK_FALSE(has(p.out, "Deleted Volumes"));
    CHECK(has(lastLine(p.out), "Total reclaimed space: "));
    CHECK(lines(out(sb, {"volume", "ls", "-q"})) == std::vector<std::string>{"kept", "spare"});

    Result v = sb.hutch({"system", "prune", "-f", "--volumes"});
    REQUIRE_RC(v, 0);
    CHECK(has(v.out, "Deleted Volumes\nspare\n"));
    CHECK(lines(out(sb, {"volume", "ls", "-q"})) == std::vector<std::string>{"kept"});
    CHECK(containerNames(sb) == std::vector<std::string>{"up"});
    CHECK(has(out(sb, {"images"}), "busybox"));  // used by "up": kept even with -a
    hutchOk(sb, {"system", "prune", "-f", "-a", "--volumes"});
    CHECK(has(out(sb, {"images"}), "busybox"));
    hutchOk(sb, {"rm", "-f", running});
}

TEST_CASE("e2e: system df counts images, containers and volumes", "[e2e][prune]") {
    Sandbox sb;
    Result t = sb.hutch({"system", "df"});
    REQUIRE_RC(t, 0);
    CHECK(t.out == "TYPE           TOTAL       ACTIVE      SIZE        RECLAIMABLE\n"
                   "Images         0           0           0B          0B (0%)\n"
                   "Containers     0           0           0B          0B (0%)\n"
                   "Local Volumes  0           0           0B          0B (0%)\n");

    pullWith(sb, {"busybox"});
    auto m = df(sb);
    CHECK(m["Images"] == "1 0");
    Result t2 = sb.hutch({"system", "df"});
    CHECK_R(t2, has(t2.out, "(100%)"));  // the unused image is all reclaimable

    hutchOk(sb, {"run", "--name", "ex", "-v", "data:/data", "busybox", "sh", "-c", "echo hello > /data/f"});
    std::string running = runDetached(sb, {"--name", "up", "busybox", "sleep", "1000"});
    hutchOk(sb, {"volume", "create", "spare"});
    m = df(sb);
    CHECK(m["Images"] == "1 1");
    CHECK(m["Containers"] == "2 1");
    CHECK(m["Local Volumes"] == "2 1");

    Result j = sb.hutch({"system", "df", "--format", "json"});
    REQUIRE_RC(j, 0);
    auto arr = nlohmann::json::parse(j.out);
    REQUIRE(arr.size() == 3);
    CHECK(arr[2]["Type"] == "Local Volumes");
    CHECK(arr[2]["RawSize"] == 6);  // "hello\n" in volume data

    Result v = sb.hutch({"system", "df", "-v"});
    REQUIRE_RC(v, 0);
    CHECK(has(v.out, "Images space usage:\n\nREPOSITORY"));
    CHECK(has(v.out, "\nContainers space usage:\n\nCONTAINER ID"));
    CHECK(has(v.out, "\nLocal Volumes space usage:\n\nVOLUME NAME"));
    CHECK(has(v.out, "running     up"));

    hutchOk(sb, {"rm", "-f", running});
    m = df(sb);
    CHECK(m["Containers"] == "1 0");
}

TEST_CASE("e2e: system reset empties the store, which still works afterwards", "[e2e][prune]") {
    Sandbox sb;
    pullWith(sb, {"busybox"});
    std::string running = runDetached(sb, {"--name", "up", "-v", "data:/data", "busybox", "sleep", "4711"});
    hutchOk(sb, {"volume", "create", "spare"});

    Result no = sb.hutch({"system", "reset"}, stdinFrom(answerFile(sb, "n")));
    REQUIRE_RC(no, 0);
    CHECK(has(no.out, "WARNING! This will remove:\n        - all containers\n"));
    CHECK(has(no.out, "        - the graphRoot directory: \"" + sb.storageRoot().string() + "\"\n"));
    CHECK(has(no.out, "Are you sure you want to continue? [y/N] "));
    CHECK(containerNames(sb) == std::vector<std::string>{"up"});
    CHECK(lines(out(sb, {"volume", "ls", "-q"})).size() == 2);

    Result r = sb.hutch({"system", "reset", "-f"});
    REQUIRE_RC(r, 0);
    CHECK(r.out.empty());
    CHECK(containerNames(sb).empty());
    CHECK(out(sb, {"images", "-q"}).empty());
    CHECK(out(sb, {"volume", "ls", "-q"}).empty());
    CHECK(findProcesses({"sleep", "4711"}).empty());

    pullWith(sb, {"busybox"});
    Result run = sb.hutch({"run", "--rm", "busybox", "echo", "alive"});
    REQUIRE_RC(run, 0);
    CHECK(run.out == "alive\n");
}

// Issue 13: a changed subuid range was never re-read, because the session's pause process
// (and its id mapping) lived on. `system migrate` stops the containers and ends the session.
TEST_CASE("e2e: system migrate stops running containers and restarts the rootless session", "[e2e][prune]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    runDetached(sb, {"--name", "mig", "busybox", "sleep", "600"});
    auto pausePid = [&] {
        std::ifstream f(sb.dir() / "run" / "hutch" / "pause.pid");
        long pid = 0;
        f >> pid;
        return pid;
    };
    long before = pausePid();
    REQUIRE(before > 0);
    Result m = sb.hutch({"system", "migrate"});
    REQUIRE_RC(m, 0);
    // the old pause process is gone (or a zombie: this machine's init does not reap)
    std::ifstream stat("/proc/" + std::to_string(before) + "/stat");
    std::string statLine;
    std::getline(stat, statLine);
    auto close = statLine.rfind(')');
    CHECK((statLine.empty() || (close != std::string::npos && statLine.substr(close + 2, 1) == "Z")));
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
    CHECK_R(ps, contains(ps.out, "mig Exited"));
    long after = pausePid();  // ps started a new session
    CHECK(after > 0);
    CHECK(after != before);
    Result run = sb.hutch({"run", "--rm", "busybox", "id", "-u"});
    CHECK_R(run, run.out == "0\n");
    Result start = sb.hutch({"start", "mig"});
    CHECK_R(start, start.rc == 0);
    Result rm = sb.hutch({"rm", "-f", "mig"});
    CHECK_R(rm, rm.rc == 0);
}
