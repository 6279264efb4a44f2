// Reference grammar and normalisation. Vectors from containers/image docker/reference
// normalize_test.go and reference_test.go (TestValidateReferenceName, TestValidateRemoteName,
// TestParseRepositoryInfo, TestParseReferenceWithTagAndDigest, TestNormalizedSplitHostname,
// TestParseDockerRef) and docker/distribution's TestReferenceParse table.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/registry/reference.hpp"

using namespace hutch;
using namespace hutch::registry;
using Catch::Matchers::Contains;

namespace {
bool valid(const std::string& s) {
    try {
        parseNormalizedName(s);
        return true;
    } catch (const InvalidArgument&) {
        return false;
    }
}
const std::string kHex = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
}  // namespace

TEST_CASE("ValidateReferenceName") {
    for (const char* s :
         {"docker/docker", "library/debian", "debian", "localhost/library/debian", "localhost/debian",
          "LOCALDOMAIN/library/debian", "LOCALDOMAIN/debian", "docker.io/docker/docker", "docker.io/library/debian",
          "docker.io/debian", "index.docker.io/docker/docker", "index.docker.io/library/debian",
          "index.docker.io/debian", "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/library/debian",
          "127.0.0.1:5000/debian", "192.168.0.1", "192.168.0.1:80", "192.168.0.1:8/debian",
          "192.168.0.2:25000/debian", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
          "[fc00::1]:5000/docker", "[fc00::1]:5000/docker/docker", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
          "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "Docker/docker",
          "DOCKER/docker"}) {
        INFO(s);
        CHECK(valid(s));
    }
    for (const char* s : {"https://github.com/docker/docker", "docker/Docker", "-docker", "-docker/docker",
                          "-docker.io/docker/docker", "docker///docker", "docker.io/docker/Docker",
                          "docker.io/docker///docker", "[fc00::1]", "[fc00::1]:5000", "fc00::1:5000/debian",
                          "[fe80::1%eth0]:5000/debian", "[2001:db8:3:4::192.0.2.33]:5000/debian",
                          "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"}) {
        INFO(s);
        CHECK_FALSE(valid(s));
    }
}

TEST_CASE("ValidateRemoteName") {
    for (const char* s : {"docker/docker", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
                          "docker-rules/docker", "docker---rules/docker", "doc/docker", "d/docker", "jess/t",
                          "dock__er/docker"}) {
        INFO(s);
        CHECK(valid(s));
    }
    std::string longNs(256, 'a');
    for (const std::string& s :
         {std::string("docker/Docker"), std::string("docker///docker"),
          std::string("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"),
          std::string("-docker/docker"), std::string("docker-/docker"), std::string("-docker-/docker"),
          std::string("____/____"), std::string("_docker/_docker"), std::string("dock..er/docker"),
          std::string("dock_.er/docker"), std::string("dock-.er/docker"), std::string("docker/"),
          longNs + "/docker"}) {
        INFO(s);
        CHECK_FALSE(valid(s));
    }
}

TEST_CASE("ParseRepositoryInfo") {
    struct Case {
        const char *remote, *familiar, *full, *ambiguous, *domain;
    };
    const Case cases[] = {
        {"fooo", "localhost/fooo", "localhost/fooo", "localhost/fooo", "localhost"},
        {"fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "localhost"},
        {"fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN"},
        {"fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN"},
        {"fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar", "docker.io"},
        {"library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io"},
        {"nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "", "docker.io"},
        {"other/library", "other/library", "docker.io/other/library", "", "docker.io"},
        {"private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", "",
         "127.0.0.1:8000"},
        {"privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "", "127.0.0.1:8000"},
        {"private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", "", "example.com"},
        {"privatebase", "example.com/privatebase", "example.com/privatebase", "", "example.com"},
        {"private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "",
         "example.com:8000"},
        {"privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", "", "example.com:8000"},
        {"library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base",
         "index.docker.io/library/ubuntu-12.04-base", "docker.io"},
        {"library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io"},
        {"library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", "", "docker.io"},
        {"store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", "", "docker.io"},
        {"bar", "Foo/bar", "Foo/bar", "", "Foo"},
        {"bar", "FOO/bar", "FOO/bar", "", "FOO"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> inputs = {c.familiar, c.full};
        if (*c.ambiguous) inputs.push_back(c.ambiguous);
        for (const auto& in : inputs) {
            INFO(in);
            Reference r = parseNormalizedName(in);
            CHECK(r.familiarName() == c.familiar);
            CHECK(r.str() == c.full);
            CHECK(r.domain == c.domain);
            CHECK(r.path == c.remote);
        }
    }
}

TEST_CASE("ParseReferenceWithTagAndDigest") {
    const std::string s = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
    Reference r = parseNormalized(s);
    CHECK(r.str() == "docker.io/library/" + s);
    CHECK(r.tag == "latest");
    CHECK(r.digest == "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa");
    CHECK_THROWS_AS(parseNormalized("-foo"), InvalidArgument);
}

TEST_CASE("NormalizedSplitHostname") {
    const std::vector<std::array<const char*, 3>> cases = {
        {"test.com/foo", "test.com", "foo"},
        {"test_com/foo", "docker.io", "test_com/foo"},
        {"docker/migrator", "docker.io", "docker/migrator"},
        {"test.com:8080/foo", "test.com:8080", "foo"},
        {"test-com:8080/foo", "test-com:8080", "foo"},
        {"foo", "docker.io", "library/foo"},
        {"xn--n3h.com/foo", "xn--n3h.com", "foo"},
        {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"},
        {"docker.io/foo", "docker.io", "library/foo"},
        {"docker.io/library/foo", "docker.io", "library/foo"},
        {"docker.io/library/foo/bar", "docker.io", "library/foo/bar"},
    };
    for (const auto& [in, domain, path] : cases) {
        INFO(in);
        Reference r = parseNormalizedName(in);
        CHECK(r.domain == domain);
        CHECK(r.path == path);
    }
}

TEST_CASE("ParseDockerRef-like normalisation with the default tag") {
    const std::string d = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";
    CHECK(parseNormalized("busybox").str() == "docker.io/library/busybox:latest");
    CHECK(parseNormalized("busybox:latest").str() == "docker.io/library/busybox:latest");
    CHECK(parseNormalized("busybox@" + d).str() == "docker.io/library/busybox@" + d);
    CHECK(parseNormalized("library/busybox").str() == "docker.io/library/busybox:latest");
    CHECK(parseNormalized("docker.io/busybox").str() == "docker.io/library/busybox:latest");
    CHECK(parseNormalized("docker.io/library/busybox").str() == "docker.io/library/busybox:latest");
    CHECK(parseNormalized("docker.io/busybox:latest").str() == "docker.io/library/busybox:latest");
    CHECK(parseNormalized("library/busybox:latest").str() == "docker.io/library/busybox:latest");
    CHECK(parseNormalized("gcr.io/library/busybox").str() == "gcr.io/library/busybox:latest");
    CHECK(parseNormalized("127.0.0.1:5000/busybox").str() == "127.0.0.1:5000/busybox:latest");
    CHECK(parseNormalized("127.0.0.1:5000/busybox").domain == "127.0.0.1:5000");
    CHECK(parseNormalized("redis@sha256:" + kHex).str() == "docker.io/library/redis@sha256:" + kHex);
    CHECK(parseNormalized("dmcgowan/myapp").str() == "docker.io/dmcgowan/myapp:latest");
    CHECK(parseNormalized("dbcc1").str() == "docker.io/library/dbcc1:latest");
}

TEST_CASE("reference grammar (distribution TestReferenceParse)") {
    using conf::parseReference;
    auto ok = [](const std::string& s, const std::string& domain, const std::string& path, const std::string& tag,
                 const std::string& digest) {
        INFO(s);
        auto r = parseReference(s);
        CHECK(r.domain == domain);
        CHECK(r.path == path);
        CHECK(r.tag == tag);
        CHECK(r.digest == digest);
    };
    auto bad = [](const std::string& s, const std::string& msg) {
        INFO(s);
        CHECK_THROWS_WITH(parseReference(s), Contains(msg));
    };
    const std::string f64(64, 'f');
    ok("test_com", "", "test_com", "", "");
    ok("test.com:tag", "", "test.com", "tag", "");
    ok("test.com:5000", "", "test.com", "5000", "");
    ok("test.com/repo:tag", "test.com", "repo", "tag", "");
    ok("test:5000/repo", "test:5000", "repo", "", "");
    ok("test:5000/repo:tag", "test:5000", "repo", "tag", "");
    ok("test:5000/repo@sha256:" + f64, "test:5000", "repo", "", "sha256:" + f64);
    ok("test:5000/repo:tag@sha256:" + f64, "test:5000", "repo", "tag", "sha256:" + f64);
    ok("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "", "");
    ok("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", "");
    ok("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
       "test.example.com", "");
    ok("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", "");
    ok("foo_bar.com:8080", "", "foo_bar.com", "8080", "");
    ok("foo/foo_bar.com:8080", "foo", "foo_bar.com", "8080", "");
    ok("lowercase:Uppercase", "", "lowercase", "Uppercase", "");
    ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", "", "");
    bad("", "repository name must have at least one component");
    bad(":justtag", "invalid reference format");
    bad("@sha256:" + f64, "invalid reference format");
    bad("repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length");
    bad("validname@invaliddigest:" + f64, "unsupported digest algorithm");
    bad("Uppercase:tag", "repository name must be lowercase");
    bad("test:5000/Uppercase/lowercase:tag", "repository name must be lowercase");
    bad("aa/asdf$$^/aa", "invalid reference format");
    bad("[fe80::1%eth0]:5000/repo", "invalid reference format");
    std::string longName;
    for (int i = 0; i < 128; i++) longName += "a/";
    bad(longName + "a:tag", "must not be more than 255 characters");
    longName.clear();
    for (int i = 0; i < 127; i++) longName += "a/";
    ok(longName + "a:tag-puts-this-over-max", "a", longName.substr(2) + "a", "tag-puts-this-over-max", "");
}

TEST_CASE("parseNamed requires the canonical form") {
    CHECK(conf::parseNamed("docker.io/library/busybox:1").tag == "1");
    CHECK_THROWS_WITH(conf::parseNamed("busybox"), Contains("must be canonical"));
    CHECK_THROWS_AS(conf::parseNamed("docker.io/busybox"), InvalidArgument);
}
