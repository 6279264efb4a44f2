// containers/image pkg/sysregistriesv2 testdata, expectations from
// ../shared/conformance/containers-image/REGISTRIES-CONF-EXPECTATIONS.md (sections 1-3).
// Every CHECK/REQUIRE tagged [conformance] is one case of that document.
#include <catch2/catch.hpp>

#include <string>

#include "hutch/common/error.hpp"
#include "hutch/conf/registries.hpp"

using namespace hutch;
using namespace hutch::conf;
using Catch::Matchers::Contains;

namespace {

const std::string kData = std::string(HUTCH_CONFORMANCE_DIR) + "/containers-image/pkg/sysregistriesv2/testdata/";
const std::string kNoDir = "/nonexistent/hutch-test-no-dropins";

RegistriesConf load(const std::string& file, const std::string& dir = "") {
    RegistriesConfLocation loc;
    loc.explicitFile = kData + file;
    loc.dropInDirOverride = dir.empty() ? kNoDir : kData + dir;
    return loadRegistriesConf(loc);
}

/// The error message for loading `file`, "" if it loads.
std::string loadError(const std::string& file, const std::string& dir = "") {
    try {
        load(file, dir);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

std::vector<std::string> prefixes(const RegistriesConf& c) {
    std::vector<std::string> v;
    for (const auto& r : c.registries) v.push_back(r.prefix);
    return v;
}

RegistriesConf inlineConf(const std::string& toml) { return parseRegistriesConf(toml, "inline.conf"); }

}  // namespace

TEST_CASE("conformance 1: parse/validity of each file", "[conformance]") {
    CHECK(load("empty.conf").registries.empty());
    {
        RegistriesConfLocation loc;
        loc.systemFile = kData + "does-not-exist.conf";
        loc.dropInDirOverride = kNoDir;
        CHECK(loadRegistriesConf(loc).registries.empty());  // implicit missing = empty
    }
    CHECK_THAT(loadError("this-does-not-exist.conf"), Contains("no such file or directory"));

    {
        auto c = load("mirrors.conf");
        const Registry* r = c.findRegistry("registry.com");
        const Registry* b = c.findRegistry("blocked.registry.com");
        CHECK((c.registries.size() == 2 && r && r->mirrors.size() == 2 &&
               r->mirrors[0].location == "mirror-1.registry.com" && !r->mirrors[0].insecure &&
               r->mirrors[1].location == "mirror-2.registry.com" && r->mirrors[1].insecure && b && b->blocked));
    }
    CHECK(load("unmarshal.conf").registries.size() == 4);
    CHECK(prefixes(load("invalidate-cache.conf")) ==
          std::vector<std::string>{"blocked.registry.com", "insecure.registry.com", "registry.com",
                                   "untrusted.registry.com"});
    CHECK(load("try-update-cache-valid.conf").registries.size() == 1);
    {
        std::string e = loadError("try-update-cache-invalid.conf");
        CHECK_THAT(e, Contains("try-update-cache-invalid.conf:1:"));
    }
    {
        auto c = load("unqualified-search.conf");
        CHECK((c.registries.size() == 4 &&
               c.unqualifiedSearchRegistries ==
                   std::vector<std::string>{"registry-a.com", "registry-c.com", "registry-d.com"} &&
               c.unqualifiedSearchRegistriesOrigin == kData + "unqualified-search.conf"));
    }
    CHECK_THAT(loadError("invalid-search.conf"), Contains("Invalid unqualified-search-registries entry"));
    CHECK_THAT(loadError("insecure-conflicts.conf"),
               Contains("registry 'registry.com' is defined multiple times with conflicting 'insecure' setting"));
    CHECK_THAT(loadError("blocked-conflicts.conf"),
               Contains("registry 'registry.com' is defined multiple times with conflicting 'blocked' setting"));
    CHECK_THAT(loadError("missing-mirror-location.conf"), Contains("invalid condition: mirror location is unset"));
    CHECK_THAT(loadError("invalid-prefix.conf"), Contains("invalid location"));
    CHECK_THAT(loadError("invalid-config-level-mirror.conf"),
               Contains("pull-from-mirror must not be set for a non-mirror registry \"registry-a.com/foo\""));
    CHECK_THAT(loadError("invalid-conflict-mirror.conf"),
               Contains("cannot set mirror usage mirror-by-digest-only for the registry (\"registry-a.com/foo\") and "
                        "pull-from-mirror for per-mirror (\"mirror-1.registry-a.com\") at the same time"));
    CHECK_THAT(loadError("invalid-value-mirror.conf"),
               Contains("unsupported pull-from-mirror value \"notvalid\" for mirror \"mirror-1.registry-a.com\""));
    CHECK_THAT(loadError("mixing-v1-v2.conf"), Contains("mixing sysregistry v1/v2 is not supported"));
    CHECK_THAT(loadError("mixing-v1-v2-empty.conf"), Contains("mixing sysregistry v1/v2 is not supported"));
    {
        auto c = load("v1-compatibility.conf");
        const Registry* b = c.findRegistry("registry-b.com");
        CHECK((c.registries.size() == 4 &&
               c.unqualifiedSearchRegistries ==
                   std::vector<std::string>{"registry-a.com", "registry-c.com", "registry-d.com"} &&
               b && b->blocked && b->endpoint.insecure));
    }
    CHECK_THAT(loadError("v1-invalid-block.conf"), Contains("invalid location"));
    CHECK_THAT(loadError("v1-invalid-insecure.conf"), Contains("invalid location"));
    CHECK_THAT(loadError("v1-invalid-search.conf"), Contains("invalid location"));
    CHECK_THAT(loadError("invalid-short-name-mode.conf"), Contains("invalid short-name mode"));
    {
        auto c = load("aliases.conf");
        CHECK((c.shortNameMode == ShortNameMode::Enforcing && c.aliases.size() == 4 &&
               c.alias("docker") == "docker.io/library/foo" && c.alias("quay/foo") == "quay.io/library/foo" &&
               c.alias("example") == "example.com/library/foo" && c.aliases.count("empty") == 1 &&
               c.alias("empty").empty()));
    }
    CHECK_THAT(loadError("invalid-aliases.conf"), Contains("must not contain tag"));
    {
        RegistriesConfLocation loc;
        loc.explicitFile = kData + "registries.conf.d/config-3.conf";
        loc.dropInDirOverride = kNoDir;
        CHECK(loadRegistriesConf(loc).shortNameMode == ShortNameMode::Permissive);
    }
    {
        auto c = load("empty.conf", "registries.conf.d");
        bool ignored = true;
        for (const auto& s : c.sources) ignored = ignored && s.find("config-3.ignore") == std::string::npos;
        CHECK((ignored && c.findRegistry("ignore-me-because-i-have-a-wrong-suffix.com") == nullptr));
    }
}

TEST_CASE("conformance 1: parseLocation and parseShortNameMode", "[conformance]") {
    CHECK_THROWS_WITH(inlineConf("[[registry]]\nlocation = \"https://example.com\"\n"),
                      Contains("invalid location 'https://example.com': URI schemes are not supported"));
    auto loc = [](const std::string& l) {
        return inlineConf("[[registry]]\nlocation = \"" + l + "\"\n").registries.at(0).endpoint.location;
    };
    CHECK(loc("john.doe@example.com") == "john.doe@example.com");
    CHECK(loc("example.com/") == "example.com");
    CHECK(loc("example.com//////") == "example.com");
    CHECK(loc("example.com:5000/with/path") == "example.com:5000/with/path");

    CHECK(parseShortNameMode("disabled") == ShortNameMode::Disabled);
    CHECK(parseShortNameMode("enforcing") == ShortNameMode::Enforcing);
    CHECK(parseShortNameMode("permissive") == ShortNameMode::Permissive);
    CHECK_THROWS_AS(parseShortNameMode(""), InvalidArgument);
    CHECK_THROWS_AS(parseShortNameMode("xxx"), InvalidArgument);
}

TEST_CASE("conformance 2: prefix matching", "[conformance]") {
    CHECK(refMatchingPrefix("docker.io", "docker.io") == 9);
    CHECK(refMatchingPrefix("example.com:50000", "example.com:5000") == -1);
    CHECK(refMatchingPrefix("example.com:5000", "example.com") == 11);
    CHECK(refMatchingPrefix("docker.io/libraryy", "docker.io/library") == -1);
    CHECK(refMatchingPrefix("docker.io/library/busybox", "docker.io/library") == 17);
    CHECK((refMatchingPrefix("example.com/foo:bar", "example.com/foo:bar") == 19 &&
           refMatchingPrefix("example.com/foo", "example.com/foo:bar") == -1 &&
           refMatchingPrefix("example.com/foo:bar2", "example.com/foo:bar") == -1));
    const std::string d = "@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    CHECK((refMatchingPrefix("example.com/foo" + d, "example.com/foo" + d) == int(15 + d.size()) &&
           refMatchingPrefix("example.com/foo", "example.com/foo" + d) == -1));
    CHECK((refMatchingPrefix("example.com", "*") == -1 && refMatchingPrefix("docker.io/library/busybox", "*") == -1));
    CHECK(refMatchingPrefix("docker.io", "*.io") == 9);
    CHECK(refMatchingPrefix("example.com/foo", "*.example.com") == -1);
    CHECK(refMatchingPrefix("sub.example.com", "**.example.com") == -1);
    CHECK(refMatchingPrefix("sub.another.example.com", "***.another.example.com") == -1);
    CHECK(refMatchingPrefix("example.net/namespace-ends-in.com/repo", "*.com") == -1);
    CHECK(refMatchingPrefix("sub.example.com/foo/bar", "*.com") == 15);
}

TEST_CASE("conformance 3: find-registry.conf with registries.conf.d", "[conformance]") {
    auto c = load("find-registry.conf", "registries.conf.d");
    CHECK(c.registries.size() == 19);
    auto loc = [&](const std::string& ref) -> std::string {
        const Registry* r = c.findRegistry(ref);
        return r ? r->endpoint.location + " (" + r->prefix + ")" : "nil";
    };
    CHECK(loc("simple-prefix.com/foo/bar:latest") == "registry.com:5000 (simple-prefix.com)");
    CHECK((loc("simple-prefix.com/") != "nil" && loc("simple-prefix.com") != "nil"));
    CHECK(loc("not.so.simple-prefix.com/") == "subdomain-prefix.com (*.so.simple-prefix.com)");
    CHECK((loc("not.quite.simple-prefix.com/") == "subdomain-prefix-2.com (*.simple-prefix.com)" &&
           loc("not.quite.simple-prefix.com:5000/with/path/and/beyond:tag") ==
               "subdomain-prefix-2.com (*.simple-prefix.com)"));
    CHECK(loc("really.not.quite.simple-prefix.com:5000/with/path/and/beyond:tag") ==
          "subdomain-prefix-1-overridden-by-dropin-location.com (*.not.quite.simple-prefix.com)");
    CHECK(loc("foo.docker.io:5000/omg/wtf/bbq:foo") == "subdomain-prefix-2.com (*.docker.io)");
    CHECK(loc("foo.bar.example.com:6000/omg/wtf/bbq@sha256:aaaa") ==
          "subdomain-prefix-3-overridden-by-dropin-location.com (*.bar.example.com)");
    CHECK(loc("foo.bar.docker.io:5000/omg/wtf/bbq:foo") == "subdomain-prefix-4.com (*.bar.docker.io)");
    CHECK(loc("foo.bar.example.com:5000/omg/wtf/bbq:foo") ==
          "subdomain-prefix-5.com (foo.bar.example.com:5000)");
    CHECK(loc("simple-prefix.comx") == "nil");
    CHECK(loc("complex-prefix.com:4000/with/path/and/beyond:tag") ==
          "another-registry.com:5000 (complex-prefix.com:4000/with/path)");
    CHECK(loc("no-prefix.com/foo:tag") == "no-prefix.com (no-prefix.com)");
    CHECK(loc("empty-prefix.com/foo:tag") == "empty-prefix.com (empty-prefix.com)");
}

TEST_CASE("conformance 3: drop-in merging", "[conformance]") {
    auto c = load("base-for-registries.d.conf", "registries.conf.d");
    CHECK((c.unqualifiedSearchRegistries == std::vector<std::string>{"example-overwrite.com"} &&
           c.unqualifiedSearchRegistriesOrigin == kData + "registries.conf.d/config-1.conf"));
    CHECK(prefixes(c) == std::vector<std::string>{"*.bar.example.com", "*.docker.com",
                                                  "*.not.quite.simple-prefix.com", "1.com", "2.com", "base.com"});
    {
        const Registry* b = c.findRegistry("base.com");
        CHECK((b && b->blocked && !b->endpoint.insecure));
    }
    CHECK(load("base-for-registries.d.conf", "registries.conf.d-usr1").unqualifiedSearchRegistries ==
          std::vector<std::string>{"example.com"});
    CHECK(load("base-for-registries.d.conf", "registries.conf.d-usr2").unqualifiedSearchRegistries.empty());

    CHECK(load("cred-helper.conf").credentialHelpers == std::vector<std::string>{"helper-1", "helper-2"});
    CHECK(load("empty.conf").credentialHelpers == std::vector<std::string>{"containers-auth.json"});
    CHECK(load("cred-helper.conf", "registries.conf.d-empty-helpers").credentialHelpers ==
          std::vector<std::string>{"containers-auth.json"});
    CHECK(load("cred-helper.conf", "registries.conf.d").credentialHelpers ==
          std::vector<std::string>{"dropin-1", "dropin-2"});

    auto a = load("aliases.conf", "registries.conf.d");
    CHECK(a.aliases.size() == 8);
    CHECK(a.alias("docker") == "docker.io/library/config1");
    CHECK(a.alias("config1") == "config1.com/image");
    CHECK(a.alias("barz") == "barz.com/config2");
    CHECK(a.alias("config2") == "config2.com/image");
    CHECK((a.aliases.count("example") == 1 && a.alias("example").empty()));
    CHECK(a.shortNameMode == ShortNameMode::Permissive);
    CHECK(a.alias("added3") == "xxx.com/image");
}
