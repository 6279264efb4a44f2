#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

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

namespace {

nlohmann::json readJson(const std::string& path) {
    return nlohmann::json::parse(fsutil::readFile(path));
}

unsigned modeOf(const std::string& path) {
    return static_cast<unsigned>(fs::status(path).permissions()) & 0777;
}

}  // namespace

TEST_CASE("storeCredentials creates the file, its directory and the podman format", "[auth][login]") {
    TempDir d;
    const std::string file = d.path + "/run/containers/auth.json";
    storeCredentials(file, "reg.example:5000", "alice", "s3cret:x");
    CHECK(modeOf(file) == 0600);
    CHECK(modeOf(d.path + "/run/containers") == 0700);
    CHECK(modeOf(d.path + "/run") == 0700);
    auto j = readJson(file);
    CHECK(j == nlohmann::json::parse(R"({"auths":{"reg.example:5000":{"auth":")" + base64Encode("alice:s3cret:x") +
                                     R"("}}})"));
    auto c = lookupCredentialsIn("reg.example:5000", {file});
    REQUIRE(c);
    CHECK(c->username == "alice");
    CHECK(c->password == "s3cret:x");
    // Tab-indented, as podman writes it.
    CHECK(fsutil::readFile(file).find("\n\t\"auths\"") != std::string::npos);
}

TEST_CASE("storeCredentials keeps the other entries and keys of the file", "[auth][login]") {
    TempDir d;
    const std::string file = d.path + "/auth.json";
    fsutil::writeFileAtomic(file, R"({"auths":{"other.example":{"auth":")" + base64Encode("bob:pw") +
                                      R"(","email":"b@x"},"reg.example":{"identitytoken":"tok","auth":""}},
                                      "credHelpers":{"gcr.io":"gcloud"},"custom":[1,2]})",
                            0644);
    storeCredentials(file, "reg.example", "carol", "pw2");
    auto j = readJson(file);
    CHECK(j["credHelpers"] == nlohmann::json{{"gcr.io", "gcloud"}});
    CHECK(j["custom"] == nlohmann::json::array({1, 2}));
    CHECK(j["auths"]["other.example"]["email"] == "b@x");
    // The entry written is replaced as a whole (the identity token goes).
    CHECK(j["auths"]["reg.example"] == nlohmann::json{{"auth", base64Encode("carol:pw2")}});
    CHECK(modeOf(file) == 0600);
    CHECK(lookupCredentialsIn("other.example", {file})->username == "bob");
    CHECK(readAuthEntry(file, "reg.example")->username == "carol");
    CHECK_FALSE(readAuthEntry(file, "reg.example/ns"));
    CHECK_FALSE(readAuthEntry(d.path + "/missing.json", "reg.example"));
}

TEST_CASE("removeCredentials and removeAllCredentials", "[auth][login]") {
    TempDir d;
    const std::string file = d.path + "/auth.json";
    CHECK_FALSE(removeCredentials(file, "reg.example"));
    CHECK_FALSE(fs::exists(file));   // nothing to remove: no file made
    storeCredentials(file, "reg.example", "a", "b");
    storeCredentials(file, "reg.example/team", "c", "d");
    fsutil::writeFileAtomic(file, [&] {
        auto j = readJson(file);
        j["auths"]["https://legacy.example"] = {{"auth", base64Encode("e:f")}};
        j["credHelpers"] = nlohmann::json::object();
        return j.dump();
    }());
    CHECK_FALSE(removeCredentials(file, "nowhere.example"));
    CHECK(removeCredentials(file, "reg.example"));
    auto j = readJson(file);
    CHECK_FALSE(j["auths"].contains("reg.example"));
    CHECK(j["auths"].contains("reg.example/team"));   // only the exact key goes
    CHECK(removeCredentials(file, "legacy.example"));  // an old-style URL key for the same host
    CHECK_FALSE(readJson(file)["auths"].contains("https://legacy.example"));
    removeAllCredentials(file);
    j = readJson(file);
    CHECK(j["auths"] == nlohmann::json::object());
    CHECK(j.contains("credHelpers"));
    // A missing file gets an empty auths, as podman's logout --all writes it.
    const std::string fresh = d.path + "/new/auth.json";
    removeAllCredentials(fresh);
    CHECK(readJson(fresh) == nlohmann::json::parse(R"({"auths":{}})"));
}

TEST_CASE("a broken auth file is never overwritten", "[auth][login]") {
    TempDir d;
    const std::string file = d.path + "/auth.json";
    for (std::string text : {"{not json", "[1,2]", R"({"auths":[]})"}) {
        fsutil::writeFileAtomic(file, text);
        CHECK_THROWS_AS(storeCredentials(file, "reg.example", "a", "b"), ConfigError);
        CHECK_THROWS_WITH(storeCredentials(file, "reg.example", "a", "b"), Catch::Contains(file));
        CHECK_THROWS_AS(removeAllCredentials(file), ConfigError);
        CHECK(fsutil::readFile(file) == text);
    }
}

TEST_CASE("namespaced keys: the most specific one in each file wins", "[auth][login]") {
    TempDir d;
    const std::string first = d.path + "/first.json", second = d.path + "/second.json";
    storeCredentials(first, "reg.example", "host", "1");
    storeCredentials(first, "reg.example/team", "team", "2");
    storeCredentials(second, "reg.example/team/app", "app", "3");
    CHECK(lookupCredentialsIn("reg.example", "team/app", {first})->username == "team");
    CHECK(lookupCredentialsIn("reg.example", "team", {first})->username == "team");
    CHECK(lookupCredentialsIn("reg.example", "teams/app", {first})->username == "host");
    CHECK(lookupCredentialsIn("reg.example", "", {first})->username == "host");
    // Files in order first: the first file's match is used even if a later one is more specific.
    CHECK(lookupCredentialsIn("reg.example", "team/app", {first, second})->username == "team");
    CHECK(lookupCredentialsIn("reg.example", "team/app", {second, first})->username == "app");
    CHECK_FALSE(lookupCredentialsIn("other.example", "team/app", {first, second}));
}

TEST_CASE("parseAuthKey: login's argument as a key and a host", "[auth][login]") {
    auto k = parseAuthKey("127.0.0.1:5000");
    CHECK(k.key == "127.0.0.1:5000");
    CHECK(k.host == "127.0.0.1:5000");
    k = parseAuthKey("https://reg.example:443/v2/");
    CHECK(k.key == "reg.example:443");
    CHECK(k.host == "reg.example:443");
    k = parseAuthKey("http://reg.example");
    CHECK(k.key == "reg.example");
    k = parseAuthKey("reg.example/team/app");
    CHECK(k.key == "reg.example/team/app");
    CHECK(k.host == "reg.example");
    CHECK_THROWS_AS(parseAuthKey("reg.example/app:tag"), InvalidArgument);
    CHECK_THROWS_AS(parseAuthKey("reg.example/app@sha256:abc"), InvalidArgument);
    CHECK_THROWS_AS(parseAuthKey("reg.example/App"), InvalidArgument);
    CHECK_THROWS_AS(parseAuthKey("/x"), InvalidArgument);
}

TEST_CASE("an authfile option is the only file read and the file written; a missing one is refused", "[auth][login]") {
    TempDir d;
    EnvVar e1("REGISTRY_AUTH_FILE", std::nullopt), e2("XDG_RUNTIME_DIR", d.path + "/run");
    CHECK(authFilesFor(d.path + "/mine.json") == std::vector<std::string>{d.path + "/mine.json"});
    CHECK(authFilesFor("") == authFilePaths());
    CHECK(authFileToWrite("") == d.path + "/run/containers/auth.json");
    CHECK(authFileToWrite(d.path + "/mine.json") == d.path + "/mine.json");
    {
        EnvVar e3("REGISTRY_AUTH_FILE", d.path + "/env.json");
        CHECK(authFileToWrite("") == d.path + "/env.json");
    }
    checkAuthFile("");
    CHECK_THROWS_WITH(checkAuthFile(d.path + "/mine.json"),
                      "stat " + d.path + "/mine.json: no such file or directory");
    fsutil::writeFileAtomic(d.path + "/mine.json", "{}");
    checkAuthFile(d.path + "/mine.json");
}
