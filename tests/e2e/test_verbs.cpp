// e2e: the verbs rename, diff, port --all, wait --condition, mount/unmount and unshare, as the
// unprivileged test user. Expectations are podman 4.3's; cases tagged [podman-ref] were
// checked against podman too (HUTCH_E2E_BINARY=tests/e2e/podman-shim.sh).
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

std::vector<std::string> sortedLines(const std::string& s) {
    auto v = lines(s);
    std::sort(v.begin(), v.end());
    return v;
}

/// A JSON array of strings as a set (podman's vfs diff lists in no fixed order).
std::set<std::string> asSet(const json& j) {
    std::set<std::string> out;
    if (j.is_array())
        for (const auto& x : j) out.insert(x.get<std::string>());
    return out;
}

/// `sh -c SCRIPT` inside `hutch unshare`, with $B set to the binary under test and its store
/// flags (the session's environment names the store: CONTAINERS_GRAPHROOT/RUNROOT).
Result unshareSh(const Sandbox& sb, const std::string& script) {
    std::string b = "B() { '" + hutchBinary() + "' --root \"$CONTAINERS_GRAPHROOT\" --runroot \"$CONTAINERS_RUNROOT\" \"$@\"; }; ";
    return sb.hutch({"unshare", "sh", "-c", b + script});
}

/// Two free-looking TCP ports for -p (random in 20000..29999, distinct).
std::pair<int, int> twoPorts() {
    std::mt19937 rng(std::random_device{}());
    int a = 20000 + static_cast<int>(rng() % 5000);
    return {a, a + 1 + static_cast<int>(rng() % 4000)};
}

}  // namespace

TEST_CASE("e2e: rename by name or id, running or stopped; taken, bad and unknown names", "[e2e][verbs][podman-ref]") {
    Sandbox sb;
    hutchOk(sb, {"run", "--name", "a", "busybox", "true"});
    std::string bid = runDetached(sb, {"--name", "b", "busybox", "sleep", "300"});

    Result taken = sb.hutch({"rename", "a", "b"});
    CHECK_R(taken, taken.rc == 125);
    CHECK_R(taken, contains(taken.err, "name b already in use"));
    CHECK_R(taken, contains(taken.err, "container already exists"));
    Result unknown = sb.hutch({"rename", "nope", "x"});
    CHECK_R(unknown, unknown.rc == 125);
    CHECK_R(unknown, contains(unknown.err, "no container with name or ID \"nope\" found: no such container"));
    Result bad = sb.hutch({"rename", "a", "bad<>:name"});
    CHECK_R(bad, bad.rc == 125);
    CHECK_R(bad, contains(bad.err, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"));
    Result self = sb.hutch({"rename", "a", "a"});
    CHECK_R(self, self.rc == 0);

    // The running one, by id prefix: ps and inspect show the new name, the old one is free.
    Result byId = sb.hutch({"rename", bid.substr(0, 12), "c"});
    REQUIRE_RC(byId, 0);
    CHECK_R(byId, byId.out.empty());
    Result ps = sb.hutch({"ps", "--format", "{{.Names}}"});
    CHECK_R(ps, ps.out == "c\n");
    Result insp = sb.hutch({"inspect", "--format", "{{.Name}}", bid});
    CHECK_R(insp, insp.out == "c\n");
    Result old = sb.hutch({"inspect", "b"});
    CHECK_R(old, old.rc == 125);
    Result stopped = sb.hutch({"rename", "a", "b"});
    REQUIRE_RC(stopped, 0);
    Result all = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    CHECK_R(all, sortedLines(all.out) == std::vector<std::string>{"b", "c"});
    // still the same container under its new name
    hutchOk(sb, {"rm", "-f", "c"});
    Result left = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    CHECK_R(left, left.out == "b\n");
}

TEST_CASE("e2e: diff lists a container's changes and an image's layer; json; errors", "[e2e][verbs][podman-ref]") {
    Sandbox sb;
    hutchOk(sb, {"run", "--name", "d", "busybox", "sh", "-c",
                  "touch /newf; rm /etc/group; mkdir -p /nd/sub; echo x > /nd/sub/f; "
                  "echo y >> /etc/passwd; touch /tmp/t"});
    const std::vector<std::string> expect = {"A /nd",   "A /nd/sub", "A /nd/sub/f", "A /newf",    "A /tmp/t",
                                             "C /etc",  "C /etc/passwd", "C /tmp",  "D /etc/group"};
    Result d = sb.hutch({"diff", "d"});
    REQUIRE_RC(d, 0);
    CHECK_R(d, sortedLines(d.out) == expect);

    Result j = sb.hutch({"diff", "--format", "json", "d"});
    REQUIRE_RC(j, 0);
    json body;
    REQUIRE_NOTHROW(body = json::parse(j.out));
    CHECK(asSet(body["added"]) == std::set<std::string>{"/nd", "/nd/sub", "/nd/sub/f", "/newf", "/tmp/t"});
    CHECK(asSet(body["changed"]) == std::set<std::string>{"/etc", "/etc/passwd", "/tmp"});
    CHECK(asSet(body["deleted"]) == std::set<std::string>{"/etc/group"});
    CHECK_R(j, contains(j.out, "\n     \"changed\": [\n          \""));  // podman's 5-space indent

    // An image: its top layer against its parent (busybox has one layer: all added).
    Result img = sb.hutch({"diff", "busybox"});
    REQUIRE_RC(img, 0);
    auto il = lines(img.out);
    CHECK_R(img, std::find(il.begin(), il.end(), "A /bin/sh") != il.end());
    CHECK_R(img, std::all_of(il.begin(), il.end(), [](const std::string& l) { return l.rfind("A /", 0) == 0; }));
    // A committed image's top layer is the container's changes.
    hutchOk(sb, {"commit", "-q", "d", "dimg"});
    Result ci = sb.hutch({"diff", "dimg"});
    REQUIRE_RC(ci, 0);
    CHECK_R(ci, sortedLines(ci.out) == expect);

    // A container that changed nothing the runtime does not make itself: no added file.
    hutchOk(sb, {"run", "--name", "quiet", "busybox", "true"});
    Result q = sb.hutch({"diff", "--format", "json", "quiet"});
    REQUIRE_RC(q, 0);
    CHECK_R(q, !contains(q.out, "\"added\""));

    Result none = sb.hutch({"diff", "nope"});
    CHECK_R(none, none.rc == 125);
    CHECK_R(none, contains(none.err, "nope not found"));
    Result fmt = sb.hutch({"diff", "--format", "{{.Path}}", "d"});
    CHECK_R(fmt, fmt.rc == 125);
    CHECK_R(fmt, contains(fmt.err, "only supported value for '--format' is 'json'"));
}

TEST_CASE("e2e: diff lists in podman's overlay order, a whiteout where its name sorts", "[e2e][verbs]") {
    Sandbox sb;
    hutchOk(sb, {"run", "--name", "d", "busybox", "sh", "-c",
                  "touch /newf; rm /etc/group; mkdir -p /nd/sub; echo x > /nd/sub/f; "
                  "echo y >> /etc/passwd; touch /tmp/t; touch /usr/zz"});
    Result d = sb.hutch({"diff", "d"});
    REQUIRE_RC(d, 0);
    CHECK_R(d, d.out ==
                   "C /etc\nD /etc/group\nC /etc/passwd\nA /nd\nA /nd/sub\nA /nd/sub/f\nA /newf\n"
                   "C /tmp\nA /tmp/t\nC /usr\nA /usr/zz\n");
    Result j = sb.hutch({"diff", "--format", "json", "d"});
    CHECK_R(j, j.out ==
                   "{\n     \"changed\": [\n          \"/etc\",\n          \"/etc/passwd\",\n          \"/tmp\",\n"
                   "          \"/usr\"\n     ],\n     \"added\": [\n          \"/nd\",\n          \"/nd/sub\",\n"
                   "          \"/nd/sub/f\",\n          \"/newf\",\n          \"/tmp/t\",\n          \"/usr/zz\"\n"
                   "     ],\n     \"deleted\": [\n          \"/etc/group\"\n     ]\n}\n");
}

TEST_CASE("e2e: port --all lists every running container's ports by id", "[e2e][verbs][podman-ref]") {
    Sandbox sb;
    auto [p1, p2] = twoPorts();
    std::string a = runDetached(sb, {"-p", std::to_string(p1) + ":80", "busybox", "sleep", "300"});
    std::string b = runDetached(sb, {"-p", std::to_string(p2) + ":81/udp", "busybox", "sleep", "300"});
    runDetached(sb, {"busybox", "sleep", "300"});
    Result all = sb.hutch({"port", "--all"});
    REQUIRE_RC(all, 0);
    std::vector<std::pair<std::string, std::string>> want = {
        {a, a.substr(0, 12) + "\t80/tcp -> 0.0.0.0:" + std::to_string(p1)},
        {b, b.substr(0, 12) + "\t81/udp -> 0.0.0.0:" + std::to_string(p2)}};
    std::sort(want.begin(), want.end());
    CHECK_R(all, all.out == want[0].second + "\n" + want[1].second + "\n");
    Result shortFlag = sb.hutch({"port", "-a"});
    CHECK_R(shortFlag, shortFlag.out == all.out);

    Result withName = sb.hutch({"port", "-a", a});
    CHECK_R(withName, withName.rc == 125);
    CHECK_R(withName, contains(withName.err, "no arguments are needed with --all"));
    Result noArgs = sb.hutch({"port"});
    CHECK_R(noArgs, noArgs.rc == 125);
    CHECK_R(noArgs, contains(noArgs.err, "you must supply a running container name or id"));
    hutchOk(sb, {"rm", "-f", "-a"});
}

TEST_CASE("e2e: wait --condition, several containers, --interval, unknown container", "[e2e][verbs][podman-ref]") {
    Sandbox sb;
    // w1 still runs when it is waited for below (a slow `run -d` must not outlast it).
    runDetached(sb, {"--name", "w2", "busybox", "sh", "-c", "exit 4"});
    runDetached(sb, {"--name", "w1", "busybox", "sh", "-c", "sleep 2; exit 3"});
    Result running = sb.hutch({"wait", "--condition", "running", "w1"});
    REQUIRE_RC(running, 0);
    CHECK_R(running, running.out == "-1\n");
    Result both = sb.hutch({"wait", "w1", "w2"});
    REQUIRE_RC(both, 0);
    CHECK_R(both, both.out == "3\n4\n");
    Result either = sb.hutch({"wait", "--condition", "running", "--condition", "exited", "w2"});
    CHECK_R(either, (either.rc == 0 && either.out == "4\n"));
    Result list = sb.hutch({"wait", "--condition", "stopped,running", "-i", "100", "w1"});
    CHECK_R(list, (list.rc == 0 && list.out == "3\n"));

    Result unknown = sb.hutch({"wait", "w1", "nope"});
    CHECK_R(unknown, unknown.rc == 125);
    CHECK_R(unknown, unknown.out.empty());
    CHECK_R(unknown, contains(unknown.err, "no container with name or ID \"nope\" found: no such container"));
    Result bogus = sb.hutch({"wait", "--condition", "bogus", "w1"});
    CHECK_R(bogus, bogus.rc == 125);
    CHECK_R(bogus, contains(bogus.err, "unknown container state: bogus"));
    Result interval = sb.hutch({"wait", "-i", "abc", "w1"});
    CHECK_R(interval, interval.rc == 125);
    CHECK_R(interval, contains(interval.err, "time: invalid duration \"abc\""));
    Result noName = sb.hutch({"wait"});
    CHECK_R(noName, noName.rc == 125);
}

TEST_CASE("e2e: unshare runs a command as root of the session with the store's environment", "[e2e][verbs][podman-ref]") {
    Sandbox sb;
    Result id = sb.hutch({"unshare", "id", "-u"});
    REQUIRE_RC(id, 0);
    CHECK_R(id, id.out == "0\n");

    Result map = sb.hutch({"unshare", "cat", "/proc/self/uid_map"});
    REQUIRE_RC(map, 0);
    std::vector<std::vector<std::string>> rows;
    for (const auto& l : lines(map.out)) {
        std::istringstream in(l);
        std::vector<std::string> f;
        for (std::string w; in >> w;) f.push_back(w);
        rows.push_back(f);
    }
    long first = -1;
    {
        std::ifstream f("/etc/subuid");
        for (std::string line; std::getline(f, line);)
            if (line.rfind(sb.user() + ":", 0) == 0) first = std::stol(line.substr(sb.user().size() + 1));
    }
    REQUIRE(first > 0);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == std::vector<std::string>{"0", std::to_string(sb.uid()), "1"});
    CHECK(rows[1] == std::vector<std::string>{"1", std::to_string(first), "65536"});

    Result env = sb.hutch({"unshare", "sh", "-c", "echo \"$CONTAINERS_GRAPHROOT\"; echo \"$CONTAINERS_RUNROOT\""});
    REQUIRE_RC(env, 0);
    CHECK_R(env, env.out == sb.storageRoot().string() + "\n" + sb.runRoot().string() + "\n");

    Result code = sb.hutch({"unshare", "sh", "-c", "exit 3"});
    CHECK_R(code, code.rc == 3);
    Result missing = sb.hutch({"unshare", "no-such-command-here"});
    CHECK_R(missing, missing.rc == 127);
    Result notExec = sb.hutch({"unshare", "/etc"});
    CHECK_R(notExec, notExec.rc == 126);
    Result flag = sb.hutch({"unshare", "--no-such-flag"});
    CHECK_R(flag, flag.rc == 125);

    // No command: $SHELL, reading its commands from stdin.
    sb.writeFile(sb.dir() / "script", "echo in-shell $(id -u)\n");
    RunOptions o;
    o.extraEnv = {"SHELL=/bin/sh"};
    o.stdinFile = (sb.dir() / "script").string();
    Result shell = sb.hutch({"unshare"}, o);
    REQUIRE_RC(shell, 0);
    CHECK_R(shell, shell.out == "in-shell 0\n");
}

TEST_CASE("e2e: mount needs unshare rootless; inside it shows the rootfs, unmount releases it", "[e2e][verbs][podman-ref]") {
    Sandbox sb;
    hutchOk(sb, {"run", "--name", "m", "busybox", "sh", "-c", "echo mounted-content > /marker"});
    runDetached(sb, {"--name", "r", "busybox", "sleep", "300"});

    for (const auto& args : std::vector<std::vector<std::string>>{{"mount", "m"}, {"mount"}}) {
        Result outside = sb.hutch(args);
        CHECK_R(outside, outside.rc == 125);
        CHECK_R(outside, contains(outside.err, "mount\" in rootless mode, must execute `"));
        CHECK_R(outside, contains(outside.err, " unshare` first"));
    }

    Result in = unshareSh(sb,
                          "set -e; dir=$(B mount m); echo \"dir=$dir\"; cat \"$dir/marker\"; "
                          "B mount | grep -q \"$dir\" && echo listed; "
                          "B unmount m; if B mount | grep -q \"$dir\"; then echo still-listed; fi; "
                          "rdir=$(B mount r); B unmount r; test -e \"$rdir/bin/sh\" && echo running-kept; "
                          "B umount nope || echo umount-rc=$?");
    REQUIRE_RC(in, 0);
    auto l = lines(in.out);
    REQUIRE(l.size() >= 5);
    CHECK_R(in, l[0].rfind("dir=/", 0) == 0);
    CHECK_R(in, contains(l[0], sb.storageRoot().string()));
    CHECK_R(in, l[1] == "mounted-content");
    CHECK_R(in, l[2] == "listed");
    CHECK_R(in, l[3] == "m");  // unmount names the container as given
    CHECK_R(in, !contains(in.out, "still-listed"));
    CHECK_R(in, contains(in.out, "\nr\nrunning-kept\n"));
    CHECK_R(in, contains(in.out, "umount-rc=125"));
    CHECK_R(in, contains(in.err, "no container with name or ID \"nope\" found"));
    hutchOk(sb, {"rm", "-f", "-a"});
}
