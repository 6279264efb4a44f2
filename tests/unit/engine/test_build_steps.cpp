// engine/build: the pure parts of the build executor (config instructions -> image config,
// history text, cache keys and index) and COPY's source resolution, content hash and copy
// into a rootfs directory (Docker's directory rules, symlinks kept inside the rootfs).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <string>

#include "hutch/builder/instructions.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/build/build.hpp"
#include "hutch/engine/build/build_cache.hpp"
#include "hutch/engine/build/config_step.hpp"
#include "hutch/engine/build/copy_step.hpp"
#include "hutch/engine/image/image_tree.hpp"

using namespace hutch;
using namespace hutch::engine;
using namespace hutch::engine::build;
using json = nlohmann::json;

namespace {

/// The instructions of a one-stage Dockerfile body (after an implicit FROM).
std::vector<builder::Instruction> instrs(const std::string& body) {
    return builder::loadDockerfile("FROM scratch\n" + body).stages.at(0).commands;
}

json applyAll(const std::string& body, const std::string& format = "oci", std::vector<std::string>* warnings = nullptr) {
    json c = initialConfig(std::nullopt);
    std::vector<std::string> w;
    for (auto in : instrs(body)) {
        builder::expandInstruction(in, builder::ShellLexer{}, builder::envFromMap(envMap(c)));
        applyConfigInstruction(c, in, format, w);
    }
    if (warnings) *warnings = w;
    return c;
}

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/hutch-build-test-XXXXXX";
        REQUIRE(::mkdtemp(t));
        path = t;
    }
    ~TempDir() { fsutil::removeAll(path); }
    void write(const std::string& rel, const std::string& data, unsigned mode = 0644) const {
        std::string p = path + "/" + rel;
        fsutil::mkdirAll(p.substr(0, p.rfind('/')));
        fsutil::writeFileAtomic(p, data, mode, fsutil::Sync::Volatile);
    }
    UniqueFd fd() const { return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); }
};

std::string slurp(const std::string& p) { return fsutil::readFile(p); }

}  // namespace

TEST_CASE("build config: ENV, LABEL, EXPOSE, VOLUME, USER, STOPSIGNAL, MAINTAINER", "[build]") {
    json c = applyAll("ENV A=1 B=two\nENV A=3\nLABEL x=y \"k k\"=v\nEXPOSE 80 53/UDP\nVOLUME /data\n"
                      "USER nobody\nSTOPSIGNAL SIGINT\nMAINTAINER me@example.com\n");
    const json& cfg = c["config"];
    CHECK(cfg["Env"] == json::array({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=3", "B=two"}));
    CHECK(cfg["Labels"]["x"] == "y");
    CHECK(cfg["Labels"]["k k"] == "v");
    CHECK(cfg["ExposedPorts"].contains("80/tcp"));
    CHECK(cfg["ExposedPorts"].contains("53/udp"));
    CHECK(cfg["Volumes"].contains("/data"));
    CHECK(cfg["User"] == "nobody");
    CHECK(cfg["StopSignal"] == "SIGINT");
    CHECK(c["author"] == "me@example.com");
    CHECK(envMap(c).at("B") == "two");
}

TEST_CASE("build config: CMD and ENTRYPOINT forms, ENTRYPOINT resets CMD", "[build]") {
    json c = applyAll("CMD [\"a\", \"b\"]\n");
    CHECK(c["config"]["Cmd"] == json::array({"a", "b"}));
    c = applyAll("CMD echo hi\n");
    CHECK(c["config"]["Cmd"] == json::array({"/bin/sh", "-c", "echo hi"}));
    c = applyAll("CMD [\"x\"]\nENTRYPOINT [\"/ep\"]\n");
    CHECK(c["config"]["Entrypoint"] == json::array({"/ep"}));
    CHECK_FALSE(c["config"].contains("Cmd"));
    c = applyAll("ENTRYPOINT [\"/ep\"]\nCMD [\"arg\"]\n");
    CHECK(c["config"]["Cmd"] == json::array({"arg"}));
}

TEST_CASE("build config: WORKDIR resolves against the current one", "[build]") {
    CHECK(applyAll("WORKDIR /a\nWORKDIR b\nWORKDIR ../c\n")["config"]["WorkingDir"] == "/a/c");
    CHECK(applyAll("WORKDIR rel\n")["config"]["WorkingDir"] == "/rel");
    CHECK(resolveWorkdir("/x", "/abs/./y/") == "/abs/y");
}

TEST_CASE("build config: HEALTHCHECK, SHELL, ONBUILD kept for docker, warned about for oci", "[build]") {
    const std::string body = "SHELL [\"/bin/bash\", \"-c\"]\nHEALTHCHECK --interval=5s CMD true\nONBUILD RUN x\nCMD y\n";
    std::vector<std::string> w;
    json oci = applyAll(body, "oci", &w);
    CHECK_FALSE(oci["config"].contains("Healthcheck"));
    CHECK_FALSE(oci["config"].contains("Shell"));
    CHECK_FALSE(oci["config"].contains("OnBuild"));
    REQUIRE(w.size() == 3);
    CHECK(w[1] == "HEALTHCHECK is not supported for OCI image format and will be ignored. Must use `docker` format");
    CHECK(oci["config"]["Cmd"] == json::array({"/bin/sh", "-c", "y"}));
    json d = applyAll(body, "docker", &w);
    CHECK(w.empty());
    CHECK(d["config"]["Shell"] == json::array({"/bin/bash", "-c"}));
    CHECK(d["config"]["Healthcheck"]["Test"] == json::array({"CMD-SHELL", "true"}));
    CHECK(d["config"]["Healthcheck"]["Interval"] == 5000000000LL);
    CHECK(d["config"]["OnBuild"] == json::array({"RUN x"}));
    CHECK(d["config"]["Cmd"] == json::array({"/bin/bash", "-c", "y"}));  // the SHELL applies
}

TEST_CASE("build config: bad EXPOSE, non-config instructions", "[build]") {
    CHECK_THROWS_AS(applyAll("EXPOSE 80/xyz\n"), InvalidArgument);
    json c = initialConfig(std::nullopt);
    std::vector<std::string> w;
    for (const auto& in : instrs("RUN x\nCOPY a b\nARG Z\n")) CHECK_FALSE(applyConfigInstruction(c, in, "oci", w));
}

TEST_CASE("build history: created_by and step text as podman writes them", "[build]") {
    auto v = instrs("env A=1\nRUN apt-get update && \\\n    true\nCOPY a /dst/\nRUN [\"/bin/echo\", \"x\"]\n");
    CHECK(createdBy(v[0]) == "/bin/sh -c #(nop) ENV A=1");
    CHECK(stepText(v[0]) == "ENV A=1");
    CHECK(createdBy(v[1]).rfind("/bin/sh -c apt-get update && ", 0) == 0);
    CHECK(createdBy(v[2], "file:abc") == "/bin/sh -c #(nop) COPY file:abc in /dst/ ");
    CHECK(runArgv(v[3].as<builder::RunInstr>()->cmd, initialConfig(std::nullopt)) ==
          std::vector<std::string>{"/bin/echo", "x"});
    CHECK(runArgv(v[1].as<builder::RunInstr>()->cmd, initialConfig(std::nullopt)).at(0) == "/bin/sh");
}

TEST_CASE("build tags: unqualified names go to localhost", "[build]") {
    CHECK(normalizeTag("pkgtest") == "localhost/pkgtest:latest");
    CHECK(normalizeTag("pkg:1.0") == "localhost/pkg:1.0");
    CHECK(normalizeTag("127.0.0.1:5000/x") == "127.0.0.1:5000/x:latest");
    CHECK(normalizeTag("localhost/y:2") == "localhost/y:2");
    CHECK_THROWS_AS(normalizeTag("Bad Name"), InvalidArgument);
}

TEST_CASE("build cache: keys and the index file", "[build]") {
    const std::string k = stepKey("p", "RUN x", {"B=2", "A=1"}, "", "oci");
    CHECK(k.size() == 64);
    CHECK(k == stepKey("p", "RUN x", {"A=1", "B=2"}, "", "oci"));
    CHECK(k != stepKey("q", "RUN x", {"A=1", "B=2"}, "", "oci"));
    CHECK(k != stepKey("p", "RUN x", {"A=1", "B=3"}, "", "oci"));
    CHECK(k != stepKey("p", "RUN x", {"A=1", "B=2"}, "file:1", "oci"));
    CHECK(k != stepKey("p", "RUN x", {"A=1", "B=2"}, "", "docker"));

    TempDir d;
    std::set<std::string> images{"img1", "img2"};
    BuildCache cache(d.path + "/build-cache.json", [&](const std::string& id) { return images.count(id) > 0; });
    CHECK_FALSE(cache.lookup("k1"));
    cache.store("k1", "img1");
    cache.store("k2", "img2");
    CHECK(cache.lookup("k1") == std::optional<std::string>("img1"));
    images.erase("img1");
    CHECK_FALSE(cache.lookup("k1"));  // its image is gone
    cache.store("k3", "img2");
    CHECK(json::parse(slurp(d.path + "/build-cache.json"))["steps"].size() == 2);  // k1 dropped
    fsutil::writeFileAtomic(d.path + "/build-cache.json", "not json", 0600);
    CHECK_FALSE(cache.lookup("k2"));  // a damaged index is only a lost cache, not a failed build
    cache.store("k4", "img2");         // and is replaced by a good one
    CHECK(cache.lookup("k4") == std::optional<std::string>("img2"));
}

TEST_CASE("build copy: globs, .dockerignore and missing sources", "[build]") {
    TempDir ctx;
    ctx.write("a.txt", "a");
    ctx.write("b.txt", "b");
    ctx.write(".hidden.txt", "h");
    ctx.write("secret.txt", "s");
    ctx.write("dir/x", "x");
    auto ignore = builder::DockerIgnore::parse("secret*\n");
    auto fd = ctx.fd();
    SourceRoot root{fd.get(), ctx.path, &ignore};
    auto srcs = resolveSources(root, {"*.txt"});
    std::vector<std::string> rels;
    for (auto& s : srcs) rels.push_back(s.rel);
    CHECK(rels == std::vector<std::string>{".hidden.txt", "a.txt", "b.txt"});
    auto dir = resolveSources(root, {"./dir/"});
    REQUIRE(dir.size() == 1);
    CHECK(dir[0].rel == "dir");
    CHECK(dir[0].dir);
    CHECK_THROWS_AS(resolveSources(root, {"secret.txt"}), NotFound);
    CHECK_THROWS_AS(resolveSources(root, {"nope*"}), NotFound);

    const std::string h1 = contentHash(root, srcs);
    CHECK(h1.rfind("multi:", 0) == 0);
    CHECK(contentHash(root, dir).rfind("dir:", 0) == 0);
    CHECK(contentHash(root, resolveSources(root, {"a.txt"})).rfind("file:", 0) == 0);
    ctx.write("secret.txt", "changed");  // excluded: no effect
    CHECK(contentHash(root, resolveSources(root, {"*.txt"})) == h1);
    ctx.write("b.txt", "B");
    CHECK(contentHash(root, resolveSources(root, {"*.txt"})) != h1);
    ::chmod((ctx.path + "/a.txt").c_str(), 0600);
    const std::string h2 = contentHash(root, resolveSources(root, {"*.txt"}));
    ::chmod((ctx.path + "/a.txt").c_str(), 0644);
    CHECK(contentHash(root, resolveSources(root, {"*.txt"})) != h2);
}

TEST_CASE("build copy: Docker's destination rules into a rootfs", "[build]") {
    TempDir ctx, rootfs;
    ctx.write("f.txt", "file", 0750);
    ctx.write("d/one", "1");
    ctx.write("d/sub/two", "2");
    ctx.write("d/skip.log", "no");
    auto ignore = builder::DockerIgnore::parse("**/*.log\n");
    auto cfd = ctx.fd();
    SourceRoot root{cfd.get(), ctx.path, &ignore};
    fsutil::mkdirAll(rootfs.path + "/existing");
    auto rfd = rootfs.fd();
    auto copy = [&](std::vector<std::string> src, const std::string& dest, const std::string& workdir = "") {
        CopyOptions o;
        o.dest = dest;
        o.workdir = workdir;
        copyInto(rfd.get(), rootfs.path, root, resolveSources(root, src), o);
    };
    copy({"f.txt"}, "/new/name");  // dest without '/': the file's new name
    CHECK(slurp(rootfs.path + "/new/name") == "file");
    struct stat st {};
    REQUIRE(::stat((rootfs.path + "/new/name").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(st.st_uid == 0);
    copy({"f.txt"}, "/existing");  // an existing directory: into it
    CHECK(slurp(rootfs.path + "/existing/f.txt") == "file");
    copy({"f.txt"}, "rel/", "/work");  // relative to WORKDIR
    CHECK(slurp(rootfs.path + "/work/rel/f.txt") == "file");
    copy({"d"}, "/copied");  // a directory's content, not the directory itself
    CHECK(slurp(rootfs.path + "/copied/one") == "1");
    CHECK(slurp(rootfs.path + "/copied/sub/two") == "2");
    CHECK_FALSE(fsutil::exists(rootfs.path + "/copied/skip.log"));
    CHECK_FALSE(fsutil::exists(rootfs.path + "/copied/d"));
    CHECK_THROWS_AS(copy({"f.txt", "d"}, "/multi"), InvalidArgument);  // several sources need a dir dest
    copy({"f.txt", "d"}, "/multi/");
    CHECK(slurp(rootfs.path + "/multi/f.txt") == "file");
    CHECK(slurp(rootfs.path + "/multi/one") == "1");

    SECTION("--chmod and --chown") {
        CopyOptions o;
        o.dest = "/owned";
        o.uid = 1000;
        o.gid = 1001;
        o.chmod = 0600;
        copyInto(rfd.get(), rootfs.path, root, resolveSources(root, {"f.txt"}), o);
        REQUIRE(::stat((rootfs.path + "/owned").c_str(), &st) == 0);
        CHECK(st.st_uid == 1000);
        CHECK(st.st_gid == 1001);
        CHECK((st.st_mode & 07777) == 0600);
    }
    SECTION("a symlink in the rootfs never leads outside it") {
        TempDir outside;
        REQUIRE(::symlink(outside.path.c_str(), (rootfs.path + "/escape").c_str()) == 0);
        copy({"f.txt"}, "/escape/");
        CHECK_FALSE(fsutil::exists(outside.path + "/f.txt"));
        CHECK(slurp(rootfs.path + outside.path + "/f.txt") == "file");  // resolved inside the rootfs
        REQUIRE(::symlink("/etc", (rootfs.path + "/etclink").c_str()) == 0);
        copy({"f.txt"}, "/etclink/passwd-test");
        CHECK_FALSE(fsutil::exists("/etc/passwd-test"));
    }
}

TEST_CASE("build copy: a ! exception re-includes only what it names", "[build][dockerignore]") {
    TempDir ctx, rootfs;
    ctx.write("keep.txt", "k");
    ctx.write("secret.txt", "s");
    ctx.write("secrets/id_rsa", "key");
    ctx.write("node_modules/keep/a.js", "a");
    ctx.write("node_modules/drop/b.js", "b");
    ctx.write("node_modules/keep/b.css", "c");
    auto cfd = ctx.fd();
    auto rfd = rootfs.fd();
    auto copyAll = [&](const builder::DockerIgnore& ig, const std::string& dest) {
        SourceRoot root{cfd.get(), ctx.path, &ig};
        CopyOptions o;
        o.dest = dest;
        copyInto(rfd.get(), rootfs.path, root, resolveSources(root, {"."}), o);
    };
    SECTION("** then !./keep.txt: only keep.txt") {
        auto ig = builder::DockerIgnore::parse("**\n!./keep.txt\n");
        copyAll(ig, "/a/");
        CHECK(slurp(rootfs.path + "/a/keep.txt") == "k");
        CHECK_FALSE(fsutil::exists(rootfs.path + "/a/secret.txt"));
        CHECK_FALSE(fsutil::exists(rootfs.path + "/a/secrets"));
        CHECK_FALSE(fsutil::exists(rootfs.path + "/a/node_modules"));
        SourceRoot root{cfd.get(), ctx.path, &ig};
        const std::string h = contentHash(root, resolveSources(root, {"."}));
        ctx.write("secrets/id_rsa", "other key");  // excluded: the cache key does not change
        CHECK(contentHash(root, resolveSources(root, {"."})) == h);
        ctx.write("keep.txt", "K");
        CHECK(contentHash(root, resolveSources(root, {"."})) != h);
        CHECK_THROWS_AS(resolveSources(root, {"secret.txt"}), NotFound);
    }
    SECTION("an excluded directory is walked for its exceptions, and made only when one is found") {
        auto ig = builder::DockerIgnore::parse("node_modules\nsecret*\n!node_modules/keep/*.js\n");
        copyAll(ig, "/b/");
        CHECK(slurp(rootfs.path + "/b/keep.txt") == "k");
        CHECK_FALSE(fsutil::exists(rootfs.path + "/b/secret.txt"));
        CHECK_FALSE(fsutil::exists(rootfs.path + "/b/secrets"));
        CHECK(slurp(rootfs.path + "/b/node_modules/keep/a.js") == "a");
        CHECK_FALSE(fsutil::exists(rootfs.path + "/b/node_modules/keep/b.css"));
        CHECK_FALSE(fsutil::exists(rootfs.path + "/b/node_modules/drop"));
        // Named as a source: the excluded directory with its re-included content.
        SourceRoot root{cfd.get(), ctx.path, &ig};
        CopyOptions o;
        o.dest = "/c/";
        copyInto(rfd.get(), rootfs.path, root, resolveSources(root, {"node_modules"}), o);
        CHECK(slurp(rootfs.path + "/c/keep/a.js") == "a");
        CHECK_FALSE(fsutil::exists(rootfs.path + "/c/drop"));
    }
}

TEST_CASE("build images: untagged images with a descendant are intermediate", "[build]") {
    auto img = [](std::string id, std::vector<std::string> names, std::vector<std::string> diffs, int history) {
        engine::ImageInfo i;
        i.id = std::move(id);
        i.names = std::move(names);
        i.layerDiffIds = std::move(diffs);
        i.config["history"] = json::array();
        for (int h = 0; h < history; ++h) i.config["history"].push_back({{"created_by", "step " + std::to_string(h)}});
        return i;
    };
    std::vector<engine::ImageInfo> v{
        img("base", {"r/base:1"}, {"d1"}, 1),  // tagged: never hidden
        img("env", {}, {"d1"}, 2),              // config-only step on base
        img("run", {}, {"d1", "d2"}, 3),        // a layer on env
        img("final", {"localhost/x:latest"}, {"d1", "d2"}, 4),
        img("dangling", {}, {"d9"}, 1),         // no child: shown
    };
    CHECK(intermediateImageIds(v) == std::set<std::string>{"env", "run"});
    // The parent chain rmi walks: the nearest ancestor, then its own.
    CHECK(parentImageId(v, "final") == std::optional<std::string>("run"));
    CHECK(parentImageId(v, "run") == std::optional<std::string>("env"));
    CHECK(parentImageId(v, "env") == std::optional<std::string>("base"));
    CHECK_FALSE(parentImageId(v, "base"));
    CHECK_FALSE(parentImageId(v, "dangling"));
    CHECK(hasChildImage(v, "run"));
    CHECK_FALSE(hasChildImage(v, "final"));
    v.push_back(img("other", {"localhost/y:latest"}, {"d1"}, 3));  // a second build on env
    v[5].config["history"][2] = {{"created_by", "other step"}};
    std::vector<engine::ImageInfo> withoutFinal{v[0], v[1], v[2], v[4], v[5]};
    CHECK(hasChildImage(withoutFinal, "env"));       // env has "other" below it: it stays
    CHECK_FALSE(hasChildImage(withoutFinal, "run"));
}

TEST_CASE("build copy: --chown owners as buildah gives them", "[build][chown]") {
    TempDir rootfs;
    rootfs.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nua:x:1:7::/:/bin/sh\n");
    rootfs.write("etc/group", "root:x:0:\ng7:x:7:\nstaff:x:50:\n");
    using P = std::pair<uid_t, gid_t>;
    CHECK(copyOwner(rootfs.path, "12") == P{12, 12});   // numeric, no group: gid = uid
    CHECK(copyOwner(rootfs.path, "12:") == P{12, 12});
    CHECK(copyOwner(rootfs.path, "1") == P{1, 1});      // even when passwd gives uid 1 group 7
    CHECK(copyOwner(rootfs.path, "12:34") == P{12, 34});
    CHECK(copyOwner(rootfs.path, "ua") == P{1, 7});     // a name: its primary group
    CHECK(copyOwner(rootfs.path, "ua:0") == P{1, 0});
    CHECK(copyOwner(rootfs.path, "ua:staff") == P{1, 50});
    CHECK(copyOwner(rootfs.path, "12:staff") == P{12, 50});
    CHECK_THROWS_AS(copyOwner(rootfs.path, "nosuch"), InvalidArgument);
    CHECK_THROWS_AS(copyOwner(rootfs.path, ":"), InvalidArgument);
}
