// registries.conf: file selection, errors with file and line, v1/v2 formats.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/conf/registries.hpp"

using namespace hutch;
using namespace hutch::conf;
using Catch::Matchers::Contains;

namespace {

/// A scratch tree with etc/ and home/ halves, removed on destruction.
struct Tree {
    std::string root;
    Tree() {
        char tmpl[] = "/tmp/hutch-regconf-XXXXXX";
        root = mkdtemp(tmpl);
    }
    ~Tree() { fsutil::removeAll(root); }
    void write(const std::string& rel, const std::string& content) {
        std::string p = root + "/" + rel;
        fsutil::mkdirAll(p.substr(0, p.rfind('/')));
        fsutil::writeFileAtomic(p, content);
    }
    RegistriesConfLocation location() const {
        RegistriesConfLocation loc;
        loc.systemFile = root + "/etc/containers/registries.conf";
        loc.systemDropInDir = root + "/etc/containers/registries.conf.d";
        loc.userFile = root + "/home/.config/containers/registries.conf";
        loc.userDropInDir = root + "/home/.config/containers/registries.conf.d";
        return loc;
    }
};

}  // namespace

TEST_CASE("TOML syntax error names file and line") {
    try {
        parseRegistriesConf("unqualified-search-registries = [\"a.com\"]\n\n[aliases\nx=1\n", "/x/registries.conf");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(e.file() == "/x/registries.conf");
        CHECK(e.line() == 3);
        CHECK_THAT(e.what(), Contains("/x/registries.conf:3:"));
    }
}

TEST_CASE("type errors name file and line") {
    try {
        parseRegistriesConf("[[registry]]\nlocation = \"a.com\"\ninsecure = \"yes\"\n", "f.conf");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(e.line() == 3);
        CHECK_THAT(e.what(), Contains("'insecure' must be a boolean"));
    }
    CHECK_THROWS_WITH(parseRegistriesConf("unqualified-search-registries = \"a.com\"\n", "f.conf"),
                      Contains("f.conf:1: 'unqualified-search-registries' must be an array"));
}

TEST_CASE("mixing v1 and v2 names the file") {
    CHECK_THROWS_WITH(parseRegistriesConf("unqualified-search-registries=[\"a.com\"]\n[registries.search]\n"
                                          "registries=[\"b.com\"]\n",
                                          "/etc/containers/registries.conf"),
                      Contains("/etc/containers/registries.conf") && Contains("mixing sysregistry v1/v2"));
}

TEST_CASE("v1 format as old podman documented it") {
    auto c = parseRegistriesConf(
        "[registries.search]\nregistries = ['docker.io', 'quay.io']\n"
        "[registries.insecure]\nregistries = ['127.0.0.1:5000']\n"
        "[registries.block]\nregistries = ['evil.com']\n",
        "v1.conf");
    CHECK(c.unqualifiedSearchRegistries == std::vector<std::string>{"docker.io", "quay.io"});
    REQUIRE(c.findRegistry("127.0.0.1:5000/busybox"));
    CHECK(c.findRegistry("127.0.0.1:5000/busybox")->endpoint.insecure);
    REQUIRE(c.findRegistry("evil.com/x"));
    CHECK(c.findRegistry("evil.com/x")->blocked);
    CHECK(c.findRegistry("docker.io/library/x") == nullptr);
}

TEST_CASE("v1 format is refused in a drop-in") {
    Tree t;
    t.write("etc/containers/registries.conf", "unqualified-search-registries=[\"a.com\"]\n");
    t.write("etc/containers/registries.conf.d/old.conf", "[registries.search]\nregistries=[\"b.com\"]\n");
    CHECK_THROWS_WITH(loadRegistriesConf(t.location()),
                      Contains("old.conf") && Contains("registry must be in v2 format but is in v1"));
}

TEST_CASE("system file plus system and user drop-ins, in name order") {
    Tree t;
    t.write("etc/containers/registries.conf", "unqualified-search-registries=[\"a.com\"]\n");
    t.write("etc/containers/registries.conf.d/20-b.conf", "unqualified-search-registries=[\"b.com\"]\n");
    t.write("etc/containers/registries.conf.d/10-a.conf",
            "unqualified-search-registries=[\"x.com\"]\n[aliases]\nfoo=\"x.com/foo\"\n");
    t.write("etc/containers/registries.conf.d/30-c.conf.disabled", "unqualified-search-registries=[\"no.com\"]\n");
    t.write("home/.config/containers/registries.conf.d/05-u.conf", "[aliases]\nfoo=\"user.com/foo\"\n");
    auto c = loadRegistriesConf(t.location());
    CHECK(c.unqualifiedSearchRegistries == std::vector<std::string>{"b.com"});
    CHECK(c.alias("foo") == "user.com/foo");  // user dir after system dir
    REQUIRE(c.sources.size() == 4);
    CHECK(c.sources[0] == t.root + "/etc/containers/registries.conf");
    CHECK(c.sources[1] == t.root + "/etc/containers/registries.conf.d/10-a.conf");
    CHECK(c.sources[2] == t.root + "/etc/containers/registries.conf.d/20-b.conf");
    CHECK(c.sources[3] == t.root + "/home/.config/containers/registries.conf.d/05-u.conf");
    CHECK(c.shortNameMode == ShortNameMode::Permissive);
}

TEST_CASE("a user registries.conf hides the system file and the system drop-ins") {
    Tree t;
    t.write("etc/containers/registries.conf", "unqualified-search-registries=[\"docker.io\"]\n");
    t.write("etc/containers/registries.conf.d/shortnames.conf",
            "[aliases]\n\"busybox\"=\"docker.io/library/busybox\"\n");
    t.write("home/.config/containers/registries.conf",
            "unqualified-search-registries=[\"127.0.0.1:5000\"]\n[[registry]]\nlocation=\"127.0.0.1:5000\"\n"
            "insecure=true\n");
    t.write("home/.config/containers/registries.conf.d/u.conf", "short-name-mode=\"disabled\"\n");
    auto c = loadRegistriesConf(t.location());
    CHECK(c.unqualifiedSearchRegistries == std::vector<std::string>{"127.0.0.1:5000"});
    CHECK(c.alias("busybox").empty());
    CHECK(c.shortNameMode == ShortNameMode::Disabled);
    CHECK(c.sources == std::vector<std::string>{t.root + "/home/.config/containers/registries.conf",
                                                t.root + "/home/.config/containers/registries.conf.d/u.conf"});
}

TEST_CASE("an explicit file must exist; drop-in dirs are still read") {
    Tree t;
    auto loc = t.location();
    loc.explicitFile = t.root + "/nope.conf";
    CHECK_THROWS_AS(loadRegistriesConf(loc), ConfigError);
    t.write("mine.conf", "unqualified-search-registries=[\"127.0.0.1:5000\"]\n");
    t.write("etc/containers/registries.conf.d/shortnames.conf", "[aliases]\nbusybox=\"docker.io/library/busybox\"\n");
    loc.explicitFile = t.root + "/mine.conf";
    auto c = loadRegistriesConf(loc);
    CHECK(c.unqualifiedSearchRegistries == std::vector<std::string>{"127.0.0.1:5000"});
    CHECK(c.alias("busybox") == "docker.io/library/busybox");  // as upstream with CONTAINERS_REGISTRIES_CONF
}

TEST_CASE("fromEnvironment honours CONTAINERS_REGISTRIES_CONF and XDG_CONFIG_HOME") {
    const char* oldConf = getenv("CONTAINERS_REGISTRIES_CONF");
    const char* oldXdg = getenv("XDG_CONFIG_HOME");
    std::string saveConf = oldConf ? oldConf : "", saveXdg = oldXdg ? oldXdg : "";
    setenv("CONTAINERS_REGISTRIES_CONF", "/a/b.conf", 1);
    setenv("XDG_CONFIG_HOME", "/cfg", 1);
    auto loc = RegistriesConfLocation::fromEnvironment();
    CHECK(loc.explicitFile == "/a/b.conf");
    CHECK(loc.userFile == "/cfg/containers/registries.conf");
    CHECK(loc.userDropInDir == "/cfg/containers/registries.conf.d");
    CHECK(loc.systemFile == "/etc/containers/registries.conf");
    if (oldConf) setenv("CONTAINERS_REGISTRIES_CONF", saveConf.c_str(), 1); else unsetenv("CONTAINERS_REGISTRIES_CONF");
    if (oldXdg) setenv("XDG_CONFIG_HOME", saveXdg.c_str(), 1); else unsetenv("XDG_CONFIG_HOME");
}

TEST_CASE("alias validation reports every bad entry") {
    try {
        parseRegistriesConf("[aliases]\na=\"quay.io/x:1\"\nb=\"fedora\"\n\"c.com/x\"=\"quay.io/x\"\n", "al.conf");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), Contains("must not contain tag") && Contains("must contain registry and repository") &&
                                 Contains("must not contain registry"));
    }
}
