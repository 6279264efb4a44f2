#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/registry/auth.hpp"

using namespace hutch;
using namespace hutch::registry;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/hutch-auth-XXXXXX";
        path = mkdtemp(t);
    }
    ~TempDir() { fs::remove_all(path); }
};

// Sets an environment variable for the scope, restoring the old value.
struct EnvVar {
    std::string name;
    std::optional<std::string> old;
    EnvVar(std::string n, const std::optional<std::string>& v) : name(std::move(n)) {
        if (const char* o = getenv(name.c_str())) old = o;
        if (v) setenv(name.c_str(), v->c_str(), 1);
        else unsetenv(name.c_str());
    }
    ~EnvVar() {
        if (old) setenv(name.c_str(), old->c_str(), 1);
        else unsetenv(name.c_str());
    }
};

}  // namespace

TEST_CASE("base64", "[auth]") {
    CHECK(base64Encode("") == "");
    CHECK(base64Encode("f") == "Zg==");
    CHECK(base64Encode("fo") == "Zm8=");
    CHECK(base64Encode("foo") == "Zm9v");
    CHECK(base64Encode("user:pa ss") == "dXNlcjpwYSBzcw==");
    CHECK(base64Decode("dXNlcjpwYSBzcw==").value() == "user:pa ss");
    CHECK(base64Decode("Zm8").value() == "fo");
    CHECK_FALSE(base64Decode("Zm9v!").has_value());
}

TEST_CASE("WWW-Authenticate parsing", "[auth]") {
    auto c = parseChallenges(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
    REQUIRE(c.size() == 1);
    CHECK(c[0].scheme == "bearer");
    CHECK(c[0].params.at("realm") == "https://auth.docker.io/token");
    CHECK(c[0].params.at("service") == "registry.docker.io");
    CHECK(c[0].params.at("scope") == "repository:library/busybox:pull");
    c = parseChallenges(R"(Basic realm="Registry Realm", Bearer Realm=x, service="a \"q\"")");
    REQUIRE(c.size() == 2);
    CHECK(c[0].scheme == "basic");
    CHECK(c[0].params.at("realm") == "Registry Realm");
    CHECK(c[1].params.at("realm") == "x");
    CHECK(c[1].params.at("service") == "a \"q\"");
}

TEST_CASE("normalizeAuthKey", "[auth]") {
    CHECK(normalizeAuthKey("https://index.docker.io/v1/") == "docker.io");
    CHECK(normalizeAuthKey("index.docker.io") == "docker.io");
    CHECK(normalizeAuthKey("registry-1.docker.io") == "docker.io");
    CHECK(normalizeAuthKey("http://127.0.0.1:5000/v2/") == "127.0.0.1:5000");
    CHECK(normalizeAuthKey("quay.io") == "quay.io");
}

TEST_CASE("lookupCredentials follows containers' file order", "[auth]") {
    TempDir d;
    std::string runtimeDir = d.path + "/run", config = d.path + "/config", home = d.path + "/home";
    fsutil::mkdirAll(runtimeDir + "/containers");
    fsutil::mkdirAll(config + "/containers");
    fsutil::mkdirAll(home + "/.docker");
    fsutil::writeFileAtomic(runtimeDir + "/containers/auth.json",
                            R"({"auths":{"reg.example:5000":{"auth":")" + base64Encode("alice:s3cret:x") + R"("}}})");
    fsutil::writeFileAtomic(config + "/containers/auth.json",
                            R"({"auths":{"reg.example:5000":{"auth":")" + base64Encode("bob:pw") + R"("},
                                "other.example":{"auth":")" + base64Encode("carol:pw2") + R"("}}})");
    fsutil::writeFileAtomic(home + "/.docker/config.json",
                            R"({"auths":{"https://index.docker.io/v1/":{"auth":")" + base64Encode("dave:hub") +
                                R"("},"tok.example":{"identitytoken":"refresh-123"}}})");
    EnvVar e1("REGISTRY_AUTH_FILE", std::nullopt), e2("XDG_RUNTIME_DIR", runtimeDir), e3("XDG_CONFIG_HOME", config),
        e4("HOME", home);

    auto paths = authFilePaths();
    REQUIRE(paths.size() == 3);
    CHECK(paths[0] == runtimeDir + "/containers/auth.json");

    auto c = lookupCredentials("reg.example:5000");
    REQUIRE(c);
    CHECK(c->username == "alice");
    CHECK(c->password == "s3cret:x");   // only the first ':' separates
    CHECK(lookupCredentials("other.example")->username == "carol");
    auto hub = lookupCredentials("docker.io");
    REQUIRE(hub);
    CHECK(hub->username == "dave");
    CHECK(lookupCredentials("tok.example")->identityToken == "refresh-123");
    CHECK_FALSE(lookupCredentials("nowhere.example"));

    // REGISTRY_AUTH_FILE replaces the runtime-dir file.
    std::string custom = d.path + "/custom.json";
    fsutil::writeFileAtomic(custom, R"({"auths":{"reg.example:5000":{"auth":")" + base64Encode("erin:pw") + R"("}}})");
    {
        EnvVar e5("REGISTRY_AUTH_FILE", custom);
        CHECK(lookupCredentials("reg.example:5000")->username == "erin");
        CHECK(authFilePaths()[0] == custom);
    }
    // A broken file is an error naming it.
    fsutil::writeFileAtomic(custom, "{not json");
    EnvVar e6("REGISTRY_AUTH_FILE", custom);
    CHECK_THROWS_AS(lookupCredentials("reg.example:5000"), ConfigError);
    CHECK_THROWS_WITH(lookupCredentials("reg.example:5000"), Catch::Contains(custom));
}
