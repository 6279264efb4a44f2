// Short-name resolution and pull sources. The [conformance] cases are sections 4 and 5 of
// ../shared/conformance/containers-image/REGISTRIES-CONF-EXPECTATIONS.md (data read at run
// time from HUTCH_CONFORMANCE_DIR); the rest are hutch's own scenarios.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/conf/registries.hpp"
#include "hutch/registry/resolver.hpp"

using namespace hutch;
using namespace hutch::registry;
using conf::RegistriesConf;
using conf::ShortNameMode;
using Catch::Matchers::Contains;

namespace {

const std::string kCI = std::string(HUTCH_CONFORMANCE_DIR) + "/containers-image/pkg/";
const std::string kDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

RegistriesConf loadFile(const std::string& path) {
    conf::RegistriesConfLocation loc;
    loc.explicitFile = path;
    loc.dropInDirOverride = "/nonexistent/hutch-no-dropins";
    return conf::loadRegistriesConf(loc);
}

std::vector<std::string> strs(const Resolution& r) {
    std::vector<std::string> v;
    for (const auto& c : r.candidates) v.push_back(c.ref.str());
    return v;
}

std::vector<std::string> sourceNames(const RegistriesConf& c, const std::string& ref) {
    Reference r = parseNormalizedName(ref);
    std::vector<std::string> v;
    for (const auto& s : pullSources(r, c.findRegistry(r.name())))
        v.push_back(s.ref.name() + (s.insecure ? " (insecure)" : ""));
    return v;
}

bool throwsInvalid(std::string_view name, const RegistriesConf& c, ResolveOptions o = {}) {
    try {
        resolve(name, c, o);
        return false;
    } catch (const InvalidArgument&) {
        return true;
    }
}

}  // namespace

TEST_CASE("conformance 4: pull sources from reference", "[conformance]") {
    auto c = loadFile(kCI + "sysregistriesv2/testdata/pull-sources-from-reference.conf");
    REQUIRE(c.registries.size() == 9);
    using V = std::vector<std::string>;
    auto row = [&](const std::string& prefix, const V& digest, const V& tag) {
        INFO(prefix);
        CHECK(sourceNames(c, prefix + "/image@" + kDigest) == digest);
        CHECK(sourceNames(c, prefix + "/image:aaa") == tag);
    };
    const V a = {"mirror-1.registry-a.com/image", "mirror-2.registry-a.com/image (insecure)",
                 "registry-a.com/bar/image"};
    row("registry-a.com/foo", a, a);
    row("registry-b.com/foo", {"mirror-1.registry-b.com/image", "mirror-2.registry-b.com/image", "registry-b.com/bar/image"},
        {"registry-b.com/bar/image"});
    row("registry-b.com/baz", {"mirror-1.registry-b.com/image", "mirror-2.registry-b.com/image", "registry-b.com/bar/image"},
        {"registry-b.com/bar/image"});
    row("registry-c.com/baz", {"mirror-1.registry-c.com/image", "mirror-2.registry-c.com/image", "registry-c.com/bar/image"},
        {"mirror-1.registry-c.com/image", "registry-c.com/bar/image"});
    row("registry-d.com/baz", {"mirror-1.registry-d.com/image", "mirror-2.registry-d.com/image", "registry-d.com/bar/image"},
        {"registry-d.com/bar/image"});
    row("registry-e.com/baz", {"registry-e.com/bar/image"},
        {"mirror-1.registry-e.com/image", "mirror-2.registry-e.com/image", "registry-e.com/bar/image"});
    row("registry-f.com/baz", {"mirror-1.registry-f.com/image", "registry-f.com/bar/image"},
        {"mirror-1.registry-f.com/image", "mirror-2.registry-f.com/image", "registry-f.com/bar/image"});
    row("registry-g.com/baz",
        {"mirror-1.registry-g.com/image", "mirror-3.registry-g.com/image", "mirror-4.registry-g.com/image",
         "registry-g.com/bar/image"},
        {"mirror-2.registry-g.com/image", "mirror-3.registry-g.com/image", "mirror-4.registry-g.com/image",
         "registry-g.com/bar/image"});
}

TEST_CASE("conformance 4: rewriteReference", "[conformance]") {
    auto ref = [](const std::string& s) { return parseNormalizedName(s); };
    CHECK(rewriteReference(ref("docker.io/library/image"), "docker.io/library", "example.com").str() ==
          "example.com/image");
    CHECK(rewriteReference(ref("docker.io/library/image"), "docker.io", "example.com").str() ==
          "example.com/library/image");
    CHECK(rewriteReference(ref("another.sub.example.io:5000/library/prefix/image:latest"), "*.sub.example.io",
                           "example.com")
              .str() == "example.com:5000/library/prefix/image:latest");
    CHECK(rewriteReference(ref("another.sub.example.io:5000/library/prefix/image:latest"), "*.sub.example.io", "")
              .str() == "another.sub.example.io:5000/library/prefix/image:latest");
    CHECK_THROWS_AS(rewriteReference(ref("docker.io/library/image"), "docker.io/library", "example.com/"), Error);
    CHECK_THROWS_AS(rewriteReference(ref("example.com/foo/image"), "example.com//foo", "example.com"), Error);
    CHECK_THROWS_AS(rewriteReference(ref("example.com/foo/image"), "example.com/f", "example.com"), Error);
    CHECK_THROWS_AS(rewriteReference(ref("docker.io/library/image"), "example.com", "example.com"), Error);
    CHECK_THROWS_AS(rewriteReference(ref("docker.io/library/image"), "*.com", "example.com"), Error);
}

TEST_CASE("conformance 5: resolve with aliases.conf", "[conformance]") {
    auto c = loadFile(kCI + "shortnames/testdata/aliases.conf");
    CHECK(strs(resolve("docker", c, {})) == std::vector<std::string>{"docker.io/library/foo:latest"});
    CHECK(strs(resolve("docker:tag", c, {})) == std::vector<std::string>{"docker.io/library/foo:tag"});
    CHECK(strs(resolve("quay/foo", c, {})) == std::vector<std::string>{"quay.io/library/foo:latest"});
    CHECK(strs(resolve("registry.com/repo/image", c, {})) ==
          std::vector<std::string>{"registry.com/repo/image:latest"});
    CHECK((strs(resolve("docker@" + kDigest, c, {})) ==
               std::vector<std::string>{"docker.io/library/foo@" + kDigest} &&
           strs(resolve("registry.com/repo/image@" + kDigest, c, {})) ==
               std::vector<std::string>{"registry.com/repo/image@" + kDigest}));
    CHECK(throwsInvalid("doesnotexist", c));
    CHECK(throwsInvalid("", c));
    CHECK(throwsInvalid("Invalid#$", c));
    CHECK(resolve("docker", c, {}).how == "alias");
}

TEST_CASE("conformance 5: IsShortName", "[conformance]") {
    RegistriesConf c;
    for (const std::string& s : {std::string("fedora"), std::string("fedora:latest"), std::string("library/fedora"), "busybox@" + kDigest,
                                "busybox:latest@" + kDigest}) {
        INFO(s);
        CHECK(isShortName(s));
    }
    for (const char* s : {"quay.io/fedora", "docker.io/fedora", "localhost/fedora", "localhost:5000/fedora:latest",
                          "example.foo.this.may.be.garbage.but.maybe.not:1234/fedora:latest"}) {
        INFO(s);
        CHECK(!isShortName(s));
    }
    for (const char* s : {"", "$$$", "::", "docker://quay.io/library/foo:bar", " "}) {
        INFO(s);
        CHECK((!isShortName(s) && throwsInvalid(s, c)));
    }
}

TEST_CASE("conformance 5: short-name mode matrix", "[conformance]") {
    for (const char* file : {"no-reg.conf", "one-reg.conf", "two-reg.conf"}) {
        RegistriesConf c = loadFile(kCI + "shortnames/testdata/" + file);
        size_t nsearch = c.unqualifiedSearchRegistries.size();
        for (ShortNameMode m : {ShortNameMode::Permissive, ShortNameMode::Disabled, ShortNameMode::Enforcing}) {
            c.shortNameMode = m;
            INFO(file << " mode " << int(m));
            CHECK(strs(resolve("repo/image", c, {})) == std::vector<std::string>{"quay.io/repo/image:latest"});
            bool expectError = nsearch == 0 || (nsearch == 2 && m == ShortNameMode::Enforcing);
            if (expectError) {
                CHECK(throwsInvalid("foo", c));
            } else {
                CHECK(resolve("foo", c, {}).candidates.size() == nsearch);
            }
        }
        c.shortNameMode = ShortNameMode::Invalid;
        INFO(file << " invalid mode");
        CHECK((throwsInvalid("repo/image", c) && throwsInvalid("foo", c)));
    }
}

TEST_CASE("conformance 5: ResolveLocally", "[conformance]") {
    RegistriesConf c = loadFile(kCI + "shortnames/testdata/two-reg.conf");
    auto names = [&](const std::string& n) {
        std::vector<std::string> v;
        for (const auto& r : resolveLocally(n, c)) v.push_back(r.str());
        return v;
    };
    CHECK(names("foo") ==
          std::vector<std::string>{"localhost/foo:latest", "quay.io/foo:latest", "registry.com/foo:latest"});
    CHECK(names("repo/image") ==
          std::vector<std::string>{"quay.io/repo/image:latest", "localhost/repo/image:latest",
                                   "quay.io/repo/image:latest", "registry.com/repo/image:latest"});
    CHECK(names("localhost/foo") == std::vector<std::string>{"localhost/foo:latest"});
}

TEST_CASE("conformance 5: alias values and keys", "[conformance]") {
    auto value = [](const std::string& v) -> std::string {  // "" = error
        try {
            return conf::parseRegistriesConf("[aliases]\nkey=\"" + v + "\"\n", "a.conf").alias("key");
        } catch (const ConfigError&) {
            return "";
        }
    };
    for (const char* v : {"docker.io/library/fedora", "localhost/fedora", "localhost:5000/fedora",
                          "localhost:5000/namespace/fedora"}) {
        INFO(v);
        CHECK(value(v) == v);
    }
    for (const std::string& v : {std::string("docker.io/library/fedora:latest"), "docker.io/library/fedora@" + kDigest,
                                std::string("fedora"), std::string("library/fedora"), std::string("$$4455%%"),
                                std::string("docker://foo"), std::string("docker-archive://foo")}) {
        INFO(v);
        CHECK(value(v).empty());
    }
    // "" is not an error: it resets the alias.
    CHECK(conf::parseRegistriesConf("[aliases]\nkey=\"\"\n", "a.conf").aliases.count("key") == 1);
    CHECK(value("docker.io/fedora") == "docker.io/library/fedora");

    auto keyOk = [](const std::string& k) {
        try {
            conf::parseRegistriesConf("[aliases]\n\"" + k + "\"=\"quay.io/x\"\n", "a.conf");
            return true;
        } catch (const ConfigError&) {
            return false;
        }
    };
    for (const char* k : {"library/fedora", "fedora", "1234567489"}) {
        INFO(k);
        CHECK(keyOk(k));
    }
    for (const std::string& k : {std::string("fedora:latest"), "fedora@" + kDigest, std::string("quay.io/fedora"),
                                std::string("$$4455%%"), std::string("docker://foo"), std::string("")}) {
        INFO(k);
        CHECK(!keyOk(k));
    }
}

// ---- hutch scenarios ----

namespace {
struct Tree {
    std::string root;
    Tree() {
        char tmpl[] = "/tmp/hutch-resolver-XXXXXX";
        root = mkdtemp(tmpl);
    }
    ~Tree() { fsutil::removeAll(root); }
    void write(const std::string& rel, const std::string& content) {
        std::string p = root + "/" + rel;
        fsutil::mkdirAll(p.substr(0, p.rfind('/')));
        fsutil::writeFileAtomic(p, content);
    }
    conf::RegistriesConfLocation location() const {
        conf::RegistriesConfLocation loc;
        loc.systemFile = root + "/etc/containers/registries.conf";
        loc.systemDropInDir = root + "/etc/containers/registries.conf.d";
        loc.userFile = root + "/home/.config/containers/registries.conf";
        loc.userDropInDir = root + "/home/.config/containers/registries.conf.d";
        return loc;
    }
};
}  // namespace

TEST_CASE("busybox resolves through the user's search registry despite the system shortnames.conf") {
    Tree t;
    t.write("etc/containers/registries.conf", "unqualified-search-registries=[\"docker.io\"]\n");
    t.write("etc/containers/registries.conf.d/shortnames.conf",
            "[aliases]\n\"busybox\"=\"docker.io/library/busybox\"\n\"debian\"=\"docker.io/library/debian\"\n");
    {
        // Without a user file the system alias wins.
        Resolution r = resolve("busybox", conf::loadRegistriesConf(t.location()), {});
        CHECK(r.how == "alias");
        CHECK(strs(r) == std::vector<std::string>{"docker.io/library/busybox:latest"});
    }
    t.write("home/.config/containers/registries.conf",
            "unqualified-search-registries = [\"127.0.0.1:5000\"]\n\n[[registry]]\nlocation = \"127.0.0.1:5000\"\n"
            "insecure = true\n");
    Resolution r = resolve("busybox", conf::loadRegistriesConf(t.location()), {});
    CHECK(r.how == "search");
    REQUIRE(r.candidates.size() == 1);
    const Candidate& c = r.candidates[0];
    CHECK(c.ref.str() == "127.0.0.1:5000/busybox:latest");
    REQUIRE(c.sources.size() == 1);
    CHECK(c.sources[0].host == "127.0.0.1:5000");
    CHECK(c.sources[0].ref.path == "busybox");
    CHECK(c.sources[0].insecure);
    CHECK_FALSE(c.sources[0].mirror);
}

TEST_CASE("search order, docker.io normalisation, tags and digests") {
    RegistriesConf c = conf::parseRegistriesConf(
        "unqualified-search-registries=[\"127.0.0.1:5000\", \"docker.io\"]\n", "s.conf");
    c.shortNameMode = ShortNameMode::Permissive;
    CHECK(strs(resolve("busybox:1.36", c, {})) ==
          std::vector<std::string>{"127.0.0.1:5000/busybox:1.36", "docker.io/library/busybox:1.36"});
    CHECK(strs(resolve("busybox@" + kDigest, c, {})) ==
          std::vector<std::string>{"127.0.0.1:5000/busybox@" + kDigest, "docker.io/library/busybox@" + kDigest});
    Resolution r = resolve("busybox", c, {});
    CHECK(r.origin == "s.conf");
    REQUIRE(r.candidates.size() == 2);
    CHECK(r.candidates[1].sources.at(0).host == "docker.io");
    CHECK_FALSE(r.candidates[1].sources.at(0).insecure);
    // enforcing: several candidates need a prompt; with a TTY hutch returns them all.
    c.shortNameMode = ShortNameMode::Enforcing;
    CHECK_THROWS_WITH(resolve("busybox", c, ResolveOptions{false}), Contains("cannot prompt without a TTY"));
    CHECK(resolve("busybox", c, ResolveOptions{true}).candidates.size() == 2);
}

TEST_CASE("blocked registries") {
    RegistriesConf c = conf::parseRegistriesConf(
        "unqualified-search-registries=[\"evil.com\", \"good.com\"]\n"
        "[[registry]]\nlocation=\"evil.com\"\nblocked=true\n",
        "b.conf");
    c.shortNameMode = ShortNameMode::Permissive;
    Resolution r = resolve("x", c, {});
    CHECK(strs(r) == std::vector<std::string>{"good.com/x:latest"});
    REQUIRE(r.skipped.size() == 1);
    CHECK_THAT(r.skipped[0], Contains("evil.com is blocked"));
    CHECK_THROWS_WITH(resolve("evil.com/x", c, {}), Contains("registry evil.com is blocked"));
}

TEST_CASE("a blocked registry's mirrors are still used; only its own location is blocked") {
    RegistriesConf c = conf::parseRegistriesConf(
        "[[registry]]\nlocation=\"evil.com\"\nblocked=true\n"
        "[[registry.mirror]]\nlocation=\"m1.example.com/evil\"\n"
        "[[registry.mirror]]\nlocation=\"evil.com/mirror\"\n"          // inside the blocked registry
        "[[registry.mirror]]\nlocation=\"m2.example.com\"\ninsecure=true\n"
        "[[registry]]\nlocation=\"only.com\"\nblocked=true\n"
        "[[registry.mirror]]\nlocation=\"only.com/m\"\n",
        "b.conf");
    Resolution r = resolve("evil.com/x", c, {});
    REQUIRE(r.candidates.size() == 1);
    CHECK(r.skipped.empty());
    const auto& src = r.candidates[0].sources;
    REQUIRE(src.size() == 4);
    CHECK(src[0].ref.str() == "m1.example.com/evil/x:latest");
    CHECK(src[0].blocked.empty());
    CHECK(src[1].ref.str() == "evil.com/mirror/x:latest");
    CHECK_THAT(src[1].blocked, Contains("registry evil.com is blocked in b.conf"));
    CHECK(src[2].host == "m2.example.com");
    CHECK(src[2].blocked.empty());
    CHECK_FALSE(src[3].mirror);
    CHECK_THAT(src[3].blocked, Contains("registry evil.com is blocked in b.conf"));
    // Every location blocked: nothing to try.
    CHECK_THROWS_WITH(resolve("only.com/x", c, {}), Contains("registry only.com is blocked"));
}

TEST_CASE("mirrors come first, mirror-by-digest-only respected, fully-qualified gives one candidate") {
    RegistriesConf c = conf::parseRegistriesConf(
        "[[registry]]\nprefix=\"docker.io\"\nlocation=\"docker.io\"\n"
        "[[registry.mirror]]\nlocation=\"127.0.0.1:5000/hub\"\ninsecure=true\n"
        "[[registry]]\nlocation=\"quay.io\"\nmirror-by-digest-only=true\n"
        "[[registry.mirror]]\nlocation=\"m.example.com\"\n",
        "m.conf");
    Resolution r = resolve("docker.io/library/alpine:3", c, {});
    CHECK(r.how == "fully-qualified");
    REQUIRE(r.candidates.size() == 1);
    const auto& s = r.candidates[0].sources;
    REQUIRE(s.size() == 2);
    CHECK((s[0].mirror && s[0].insecure && s[0].host == "127.0.0.1:5000" && s[0].ref.str() == "127.0.0.1:5000/hub/library/alpine:3"));
    CHECK((!s[1].mirror && !s[1].insecure && s[1].ref.str() == "docker.io/library/alpine:3"));
    CHECK(resolve("quay.io/a/b:1", c, {}).candidates[0].sources.size() == 1);
    CHECK(resolve("quay.io/a/b@" + kDigest, c, {}).candidates[0].sources.size() == 2);
}
