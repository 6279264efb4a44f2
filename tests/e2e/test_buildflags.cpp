// e2e: podman build's flags that scripts use (podman 4.3, docs podman-build.1.md and
// test/system/070-build.bats): the Containerfile or the context on stdin (`-f -`, `build -`),
// --squash / --squash-all, --ulimit for RUN, --logfile, the --pull spellings; and the
// short-name lookup of local images on a "/" boundary (containers/common libimage
// LookupImage), for every verb that resolves a local image by name. busybox-based and fast.
#include "harness.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

std::string busybox() { return testEnv().registry + "/busybox"; }

RunOptions withStdin(const fs::path& file) {
    RunOptions o;
    o.stdinFile = file.string();
    return o;
}

json inspectImage(const Sandbox& sb, const std::string& name) {
    Result i = sb.hutch({"image", "inspect", name});
    REQUIRE_RC(i, 0);
    return json::parse(i.out).at(0);
}

std::string imageId(const Sandbox& sb, const std::string& name) {
    Result i = sb.hutch({"image", "inspect", "--format", "{{.Id}}", name});
    REQUIRE_RC(i, 0);
    return lastLine(i.out);
}

}  // namespace

TEST_CASE("e2e: build -f - reads the Containerfile from stdin, the context is the directory given",
          "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    auto dir = writeTree(sb, "ctx", {{"f.txt", "from-context\n"}});
    sb.writeFile(sb.dir() / "Cf", "FROM " + busybox() + "\nCOPY f.txt /f.txt\nRUN cat /f.txt\n");
    Result b = sb.hutch({"build", "-f", "-", "-t", "fromstdin", dir.string()}, withStdin(sb.dir() / "Cf"));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "from-context"));  // the RUN's output
    Result r = sb.hutch({"run", "--rm", "fromstdin", "cat", "/f.txt"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "from-context\n");

    // Empty stdin: nothing to build (podman's message depends on whether stdin is a pipe).
    sb.writeFile(sb.dir() / "empty", "");
    Result e = sb.hutch({"build", "-f", "-", dir.string()}, withStdin(sb.dir() / "empty"));
    REQUIRE_RC(e, 125);
}

TEST_CASE("e2e: build - takes the Containerfile or a tar archive of the context on stdin",
          "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    // A Containerfile: built with an empty context.
    sb.writeFile(sb.dir() / "Cf", "FROM " + busybox() + "\nRUN echo built-from-stdin\n");
    Result b = sb.hutch({"build", "-t", "plain", "-"}, withStdin(sb.dir() / "Cf"));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "built-from-stdin"));
    // ... whose COPY finds nothing.
    sb.writeFile(sb.dir() / "CfCopy", "FROM " + busybox() + "\nCOPY f.txt /f.txt\n");
    Result c = sb.hutch({"build", "-"}, withStdin(sb.dir() / "CfCopy"));
    REQUIRE_RC(c, 125);
    CHECK_R(c, contains(c.err, "f.txt"));

    // A tar (and a gzip-compressed one) of the context, its Containerfile in it; -f names
    // another file of the archive.
    auto dir = writeTree(sb, "tctx", {{"Containerfile", "FROM " + busybox() + "\nCOPY f.txt /f.txt\n"},
                                    {"Alt", "FROM " + busybox() + "\nCOPY f.txt /alt.txt\n"},
                                    {"f.txt", "from-tar\n"}});
    const fs::path tar = sb.dir() / "ctx.tar", tgz = sb.dir() / "ctx.tgz";
    hostCommand("tar -C " + dir.string() + " -cf " + tar.string() + " . && tar -C " + dir.string() + " -czf " +
                tgz.string() + " . && chmod 0644 " + tar.string() + " " + tgz.string());
    Result t = sb.hutch({"build", "-t", "fromtar", "-"}, withStdin(tar));
    REQUIRE_RC(t, 0);
    Result rt = sb.hutch({"run", "--rm", "fromtar", "cat", "/f.txt"});
    REQUIRE_RC(rt, 0);
    CHECK_R(rt, rt.out == "from-tar\n");
    Result z = sb.hutch({"build", "-f", "Alt", "-t", "fromtgz", "-"}, withStdin(tgz));
    REQUIRE_RC(z, 0);
    Result rz = sb.hutch({"run", "--rm", "fromtgz", "cat", "/alt.txt"});
    REQUIRE_RC(rz, 0);
    CHECK_R(rz, rz.out == "from-tar\n");

    // Empty stdin is an error.
    sb.writeFile(sb.dir() / "empty", "");
    Result e = sb.hutch({"build", "-"}, withStdin(sb.dir() / "empty"));
    REQUIRE_RC(e, 125);
}

TEST_CASE("e2e: build - and -f - explain what is wrong with stdin", "[e2e][buildflags]") {
    Sandbox sb;
    sb.writeFile(sb.dir() / "empty", "");
    Result e = sb.hutch({"build", "-"}, withStdin(sb.dir() / "empty"));
    REQUIRE_RC(e, 125);
    CHECK_R(e, contains(e.err, "build -: stdin is empty: expected a Containerfile or a tar archive of the build context"));
    Result f = sb.hutch({"build", "-f", "-", sb.dir().string()}, withStdin(sb.dir() / "empty"));
    REQUIRE_RC(f, 125);
    CHECK_R(f, contains(f.err, "the Containerfile read from stdin (-f -) is empty"));
    Result both = sb.hutch({"build", "-f", "-", "-"}, withStdin(sb.dir() / "empty"));
    REQUIRE_RC(both, 125);
    CHECK_R(both, contains(both.err, "cannot both be read from stdin"));
    // An instruction error names stdin and the line.
    sb.writeFile(sb.dir() / "bad", "FROM " + busybox() + "\nBOGUS x\n");
    Result bad = sb.hutch({"build", "-f", "-", sb.dir().string()}, withStdin(sb.dir() / "bad"));
    REQUIRE_RC(bad, 125);
    CHECK_R(bad, contains(bad.err, "stdin:2"));
    // A tar without a Containerfile.
    auto dir = writeTree(sb, "noctf", {{"f.txt", "x\n"}});
    const fs::path tar = sb.dir() / "noctf.tar";
    hostCommand("tar -C " + dir.string() + " -cf " + tar.string() + " . && chmod 0644 " + tar.string());
    Result none = sb.hutch({"build", "-"}, withStdin(tar));
    REQUIRE_RC(none, 125);
    CHECK_R(none, contains(none.err, "no Containerfile or Dockerfile specified or found in context directory, the archive on stdin"));
    // Nothing of the temporary contexts is left in the store.
    for (const auto& e2 : fs::directory_iterator(sb.storageRoot()))
        CHECK_FALSE(e2.path().filename().string().rfind("build-context-", 0) == 0);
}

TEST_CASE("e2e: build --squash and --squash-all: layers and history as podman's", "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    auto dir = writeTree(sb, "sq",
                       {{"Containerfile", "FROM " + busybox() + "\n"
                                          "RUN echo a > /a && mkdir -p /d && echo gone > /d/gone\n"
                                          "RUN rm /d/gone && echo b > /b\n"
                                          "COPY f.txt /f.txt\n"
                                          "ENV X=1\n"},
                        {"f.txt", "f\n"}});
    pullOk(sb, busybox());
    const json base = inspectImage(sb, busybox());
    const size_t baseLayers = base["RootFS"]["Layers"].size(), baseHistory = base["History"].size();
    REQUIRE(baseLayers == 1);

    auto imageCount = [&]() {
        Result i = sb.hutch({"images", "-a", "-q", "--no-trunc"});
        REQUIRE_RC(i, 0);
        return lines(i.out).size();
    };
    Result plain = sb.hutch({"build", "-q", "-t", "plain", dir.string()});
    REQUIRE_RC(plain, 0);
    const size_t before = imageCount();
    Result sq = sb.hutch({"build", "-q", "--squash", "-t", "sq", dir.string()});
    REQUIRE_RC(sq, 0);
    Result all = sb.hutch({"build", "-q", "--squash-all", "-t", "sqall", dir.string()});
    REQUIRE_RC(all, 0);
    CHECK(imageCount() == before + 2);  // no image per step is left behind without the cache

    CHECK(inspectImage(sb, "plain")["RootFS"]["Layers"].size() == baseLayers + 3);
    // --squash: the base's layer, then one layer for the build's.
    json s = inspectImage(sb, "sq");
    CHECK(s["RootFS"]["Layers"].size() == baseLayers + 1);
    CHECK(s["RootFS"]["Layers"][0] == base["RootFS"]["Layers"][0]);
    // History: the base's entries, then one per instruction, only the last with a layer.
    REQUIRE(s["History"].size() == baseHistory + 4);
    CHECK(s["History"][0]["created_by"] == base["History"][0]["created_by"]);
    for (size_t i = baseHistory; i + 1 < s["History"].size(); ++i) CHECK(s["History"][i].value("empty_layer", false));
    CHECK_FALSE(s["History"].back().value("empty_layer", false));
    CHECK(contains(s["History"].back()["created_by"].get<std::string>(), "ENV X=1"));
    CHECK(contains(s["History"][baseHistory]["created_by"].get<std::string>(), "echo a > /a"));

    // --squash-all: one layer, and only the build's history entries.
    json a = inspectImage(sb, "sqall");
    CHECK(a["RootFS"]["Layers"].size() == 1);
    REQUIRE(a["History"].size() == 4);
    CHECK(contains(a["History"][0]["created_by"].get<std::string>(), "echo a > /a"));
    for (size_t i = 0; i + 1 < a["History"].size(); ++i) CHECK(a["History"][i].value("empty_layer", false));
    CHECK_FALSE(a["History"].back().value("empty_layer", false));
    CHECK(a["Config"]["Env"].dump().find("X=1") != std::string::npos);

    for (const char* img : {"sq", "sqall"}) {
        Result r = sb.hutch({"run", "--rm", img, "sh", "-c", "cat /a /b /f.txt; ls /d; test -e /d/gone || echo no-gone; echo $X"});
        REQUIRE_RC(r, 0);
        CHECK_R(r, r.out == "a\nb\nf\nno-gone\n1\n");
    }

    // A build that changes no file still gets its squashed layer (podman writes it).
    auto envOnly = writeTree(sb, "envonly", {{"Containerfile", "FROM " + busybox() + "\nENV A=1\n"}});
    Result e = sb.hutch({"build", "-q", "--squash", "-t", "envsq", envOnly.string()});
    REQUIRE_RC(e, 0);
    CHECK(inspectImage(sb, "envsq")["RootFS"]["Layers"].size() == baseLayers + 1);

    // The flags podman refuses together.
    Result l = sb.hutch({"build", "--squash", "--layers", dir.string()});
    REQUIRE_RC(l, 125);
    CHECK_R(l, contains(l.err, "cannot specify --squash with --layers and --squash-all with --squash"));
    Result both = sb.hutch({"build", "--squash-all", "--squash", dir.string()});
    REQUIRE_RC(both, 125);
    CHECK_R(both, contains(both.err, "cannot specify --squash with --layers and --squash-all with --squash"));
}

TEST_CASE("e2e: build --ulimit sets the RUN steps' resource limits", "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    auto dir = writeTree(sb, "ul", {{"Containerfile", "FROM " + busybox() + "\n"
                                                    "RUN echo \"n=$(ulimit -n) hn=$(ulimit -Hn) u=$(ulimit -u) c=$(ulimit -c)\"\n"}});
    Result b = sb.hutch({"build", "--no-cache", "--ulimit", "nofile=512:1000", "--ulimit", "nproc=3000",
                         "--ulimit=core=0", dir.string()});
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "n=512 hn=1000 u=3000 c=0"));

    for (const char* bad : {"bogus=1", "nofile=abc", "nofile=10:5", "nofile"}) {
        Result e = sb.hutch({"build", "--no-cache", "--ulimit", bad, dir.string()});
        REQUIRE_RC(e, 125);
        CHECK_R(e, contains(e.err, bad));
    }
}

TEST_CASE("e2e: build --logfile writes the build's output to the file", "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    auto dir = writeTree(sb, "lg", {{"Containerfile", "FROM " + busybox() + "\nRUN echo run-output\n"},
                                  {"Fail", "FROM " + busybox() + "\nRUN exit 3\n"}});
    const fs::path log = sb.dir() / "build.log";
    sb.writeFile(log, "old content that is truncated\n");
    Result b = sb.hutch({"build", "--logfile", log.string(), "-t", "logged", dir.string()});
    REQUIRE_RC(b, 0);
    CHECK_R(b, b.out.empty());
    const std::string text = readFile(log);
    INFO(text);
    CHECK(contains(text, "STEP 1/2: FROM " + busybox()));
    CHECK(contains(text, "run-output"));
    CHECK(contains(text, "Successfully tagged localhost/logged:latest"));
    CHECK(contains(text, imageId(sb, "logged")));  // the image id too
    CHECK_FALSE(contains(text, "old content"));

    // A new file is the user's, mode 0600.
    const fs::path fresh = sb.dir() / "fresh.log";
    Result f = sb.hutch({"build", "-q", "--logfile", fresh.string(), dir.string()});
    REQUIRE_RC(f, 0);
    struct stat st {};
    REQUIRE(::stat(fresh.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_uid == sb.uid());

    // A failing RUN: its exit status; the steps are in the file.
    const fs::path failLog = sb.dir() / "fail.log";
    Result x = sb.hutch({"build", "--logfile", failLog.string(), "-f", (dir / "Fail").string(), dir.string()});
    REQUIRE_RC(x, 3);
    CHECK(contains(readFile(failLog), "STEP 2/2: RUN exit 3"));

    Result bad = sb.hutch({"build", "--logfile", "/nonexistent-dir/x.log", dir.string()});
    REQUIRE_RC(bad, 125);
    CHECK_R(bad, contains(bad.err, "/nonexistent-dir/x.log"));
}

TEST_CASE("e2e: build --pull spellings as podman 4.3's", "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    // The local busybox is replaced by an image with /marker under the same name: a build
    // that pulls gets the registry's busybox (no marker), one that does not gets the marker.
    auto mk = writeTree(sb, "mk", {{"Containerfile", "FROM " + busybox() + "\nRUN touch /marker\n"}});
    Result m = sb.hutch({"build", "-q", "-t", busybox() + ":latest", mk.string()});
    REQUIRE_RC(m, 0);
    auto dir = writeTree(sb, "pl", {{"Containerfile", "FROM " + busybox() + "\n"
                                                    "RUN if test -e /marker; then echo BASE=local; else echo BASE=pulled; fi\n"},
                                  {"Missing", "FROM " + testEnv().registry + "/nosuchimage-hutch\nRUN true\n"}});
    auto base = [&](const std::vector<std::string>& flags) {
        std::vector<std::string> args{"build", "--no-cache"};
        args.insert(args.end(), flags.begin(), flags.end());
        args.push_back(dir.string());
        Result r = sb.hutch(args);
        REQUIRE_RC(r, 0);
        for (const auto& l : lines(r.out))  // the output line, not the STEP line that shows the command
            if (l == "BASE=local" || l == "BASE=pulled") return l.substr(5);
        return std::string("?");
    };
    // Those that never pull a base that is there (run first: a pull replaces it).
    for (const char* f : {"", "--pull=false", "--pull=missing", "--pull=newer", "--pull=never", "--pull=NEVER", "--pull-never"}) {
        INFO(f);
        CHECK(base(f[0] ? std::vector<std::string>{f} : std::vector<std::string>{}) == "local");
    }
    CHECK(base({"--pull"}) == "pulled");  // a bare --pull is --pull=true: always

    auto missing = [&](const std::vector<std::string>& flags) {
        std::vector<std::string> args{"build", "-f", (dir / "Missing").string()};
        args.insert(args.end(), flags.begin(), flags.end());
        args.push_back(dir.string());
        return sb.hutch(args);
    };
    for (const char* f : {"--pull=never", "--pull-never"}) {
        Result n = missing({f});
        REQUIRE_RC(n, 125);
        CHECK_R(n, contains(n.err, "creating build container: " + testEnv().registry + "/nosuchimage-hutch: image not known"));
    }
    Result tried = missing({"--pull=false"});  // missing: a pull is tried, and fails
    REQUIRE_RC(tried, 125);
    CHECK_R(tried, !contains(tried.err, "image not known"));
    for (const auto& two : std::vector<std::vector<std::string>>{{"--pull=never", "--pull-always"}, {"--pull", "--pull-never"}}) {
        Result t = missing(two);
        REQUIRE_RC(t, 125);
        CHECK_R(t, contains(t.err, "can only set one of 'pull' or 'pull-always' or 'pull-never'"));
    }
    // --pull takes its value only after "=": `--pull never DIR` is two contexts.
    Result sp = sb.hutch({"build", "--pull", "never", dir.string()});
    REQUIRE_RC(sp, 125);
}

// Short names find local images on a "/" boundary (libimage's lookup after its candidates).
TEST_CASE("e2e: a short name finds the only local image whose repository ends in /NAME, for every verb",
          "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string id = pullOk(sb, reg + "/busybox");
    hutchOk(sb, {"tag", reg + "/busybox", reg + "/lab/busybox"});
    hutchOk(sb, {"untag", id, reg + "/busybox"});

    CHECK(imageId(sb, "busybox") == id);
    CHECK(imageId(sb, "lab/busybox") == id);
    Result r = sb.hutch({"run", "--rm", "busybox", "echo", "ran"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "ran\n");
    Result c = sb.hutch({"run", "--name", "c1", "busybox", "true"});
    REQUIRE_RC(c, 0);
    Result ci = sb.hutch({"container", "inspect", "--format", "{{.Image}}", "c1"});
    REQUIRE_RC(ci, 0);
    CHECK_R(ci, lastLine(ci.out) == id);
    hutchOk(sb, {"rm", "c1"});
    Result h = sb.hutch({"history", "-q", "--no-trunc", "busybox"});
    REQUIRE_RC(h, 0);
    CHECK_R(h, lines(h.out).at(0) == id);
    hutchOk(sb, {"tag", "busybox", "copy"});
    CHECK(imageId(sb, "copy") == id);
    hutchOk(sb, {"rmi", "copy"});
    Result s = sb.hutch({"save", "-o", (sb.dir() / "bb.tar").string(), "busybox"});
    REQUIRE_RC(s, 0);
    const std::string manifest = hostCommand("tar -xOf " + (sb.dir() / "bb.tar").string() + " manifest.json");
    CHECK(contains(manifest, reg + "/lab/busybox:latest"));
    auto dir = writeTree(sb, "from", {{"Containerfile", "FROM busybox\nRUN true\n"}});
    hutchOk(sb, {"build", "-q", "--pull=never", dir.string()});
    // Nothing was pulled on the way.
    Result names = sb.hutch({"images", "--format", "{{.Repository}}:{{.Tag}}"});
    REQUIRE_RC(names, 0);
    CHECK_R(names, !contains(names.out, reg + "/busybox:"));

    Result rmi = sb.hutch({"rmi", "busybox"});
    REQUIRE_RC(rmi, 0);
    CHECK_R(rmi, contains(rmi.out, "Untagged: " + reg + "/lab/busybox:latest"));
}

TEST_CASE("e2e: a short name matches whole repository components and the tag", "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string id = pullOk(sb, reg + "/busybox");
    hutchOk(sb, {"tag", reg + "/busybox", reg + "/lab/busybox"});
    hutchOk(sb, {"untag", id, reg + "/busybox"});
    for (const char* name : {"sybox", "b/busybox", "busybox:1", "lab/busybox:2", "ab/busybox"}) {
        INFO(name);
        Result i = sb.hutch({"image", "inspect", name});
        CHECK_R(i, i.rc == 125);
        Result r = sb.hutch({"run", "--rm", "--pull=never", name, "true"});
        CHECK_R(r, r.rc == 125);
    }
    Result rmi = sb.hutch({"rmi", "sybox"});
    CHECK_R(rmi, rmi.rc == 1);
    CHECK(imageId(sb, "busybox") == id);  // still there
}

TEST_CASE("e2e: with several local images ending in /NAME the first stored wins, after the exact candidates",
          "[e2e][buildflags][podman-ref]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string first = pullOk(sb, reg + "/busybox");
    auto dir = writeTree(sb, "second", {{"Containerfile", "FROM " + reg + "/busybox\nRUN touch /second\n"}});
    Result b = sb.hutch({"build", "-q", "-t", "second", dir.string()});
    REQUIRE_RC(b, 0);
    const std::string second = lastLine(b.out);
    REQUIRE(second != first);
    // The first image stored gets the name that sorts last, the second the one that sorts first.
    hutchOk(sb, {"tag", first, "zz/busybox"});
    hutchOk(sb, {"untag", first, reg + "/busybox"});
    hutchOk(sb, {"tag", second, reg + "/aa/busybox"});
    CHECK(imageId(sb, "busybox") == first);
    Result r = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "test -e /second && echo second || echo first"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "first\n");
    CHECK(imageId(sb, "aa/busybox") == second);
    // A name that is one of the candidates (localhost/busybox) wins over the suffix match.
    hutchOk(sb, {"tag", second, "busybox"});
    CHECK(imageId(sb, "busybox") == second);
    // rmi of the short name removes the name it resolved to.
    Result rmi = sb.hutch({"rmi", "busybox"});
    REQUIRE_RC(rmi, 0);
    CHECK_R(rmi, contains(rmi.out, "Untagged: localhost/busybox:latest"));
    CHECK(imageId(sb, "busybox") == first);
}
