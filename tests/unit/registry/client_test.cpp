// Registry client against tests/fixtures/fake_registry.py.
#include <catch2/catch.hpp>

#include <fstream>
#include <sys/socket.h>
#include <netinet/in.h>
#include <thread>

#include "fake_registry.hpp"
#include "hutch/common/error.hpp"
#include "hutch/registry/client.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/registry/manifest.hpp"

using namespace hutch;
using namespace hutch::registry;
using hutch::test::FakeRegistry;

namespace {

const std::string kRepo = "test/img";

ClientOptions opts(const FakeRegistry& r) {
    ClientOptions o;
    o.host = r.host();
    o.insecure = true;   // plain http: https is tried first, then http
    o.readAuthFiles = false;
    o.retryBase = std::chrono::milliseconds(10);
    return o;
}

// Reads a blob to the end; returns its length.
uint64_t drain(BlobReader& rd) {
    static char buf[1 << 16];
    uint64_t n = 0;
    while (size_t k = rd.read(buf, sizeof buf)) n += k;
    return n;
}

// Pulls "latest": manifest, config, layer. Returns the layer bytes read.
uint64_t pullLatest(Client& c) {
    auto fm = c.getManifest(kRepo, "latest");
    REQUIRE(fm.mediaType == mediatype::kOciManifest);
    auto m = parseManifest(fm.body, ManifestKind::OciManifest);
    auto cfg = parseImageConfig(c.getBlob(kRepo, m.config.digest, m.config.size));
    CHECK(cfg.architecture == "amd64");
    CHECK(cfg.diffIds.at(0) == m.layers.at(0).digest);
    auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
    uint64_t n = drain(*rd);
    CHECK(n == static_cast<uint64_t>(m.layers[0].size));
    return n;
}

long vmHwmKiB() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

}  // namespace

TEST_CASE("client: anonymous pull of manifest, config and layer", "[client]") {
    FakeRegistry reg({});
    Client c(opts(reg));
    CHECK(pullLatest(c) == 100000);
    auto fm = c.getManifest(kRepo, "latest");
    // By digest: verified against the reference.
    auto byDigest = c.getManifest(kRepo, fm.digest.str());
    CHECK(byDigest.body == fm.body);
    CHECK(byDigest.digest == fm.digest);
}

TEST_CASE("client: registry errors carry status, code and host/repo", "[client]") {
    FakeRegistry reg({});
    Client c(opts(reg));
    try {
        c.getManifest(kRepo, "nosuchtag");
        FAIL("no error");
    } catch (const RegistryError& e) {
        CHECK(e.status() == 404);
        CHECK(e.code() == "MANIFEST_UNKNOWN");
        CHECK(std::string(e.what()) == reg.host() + "/test/img: manifest unknown");
    }
    auto missing = Digest::sha256Of("nothing");
    try {
        c.openBlob(kRepo, missing, 7);
        FAIL("no error");
    } catch (const RegistryError& e) {
        CHECK(e.status() == 404);
        CHECK(e.code() == "BLOB_UNKNOWN");
    }
}

TEST_CASE("client: unreachable registry", "[client]") {
    // A port nobody listens on: bind one, note it, close it.
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    ClientOptions o;
    o.host = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    o.insecure = true;
    o.readAuthFiles = false;
    Client c(o);
    try {
        c.getManifest(kRepo, "latest");
        FAIL("no error");
    } catch (const RegistryError& e) {
        CHECK(e.status() == 0);
        CHECK_THAT(e.what(), Catch::Contains("pinging container registry " + o.host));
    }
}

TEST_CASE("client: https is required unless insecure", "[client]") {
    FakeRegistry reg({});
    auto o = opts(reg);
    o.insecure = false;
    Client c(o);
    CHECK_THROWS_AS(c.getManifest(kRepo, "latest"), RegistryError);
}

TEST_CASE("client: bearer token flow", "[client][auth]") {
    SECTION("anonymous token, 'token' field") {
        FakeRegistry reg({"--auth", "bearer"});
        Client c(opts(reg));
        pullLatest(c);
        auto st = reg.stats();
        // One token for the repository scope, reused for every request.
        CHECK(st["token_requests"] == 1);
        CHECK(st["token_scopes"][0] == "repository:test/img:pull");
    }
    SECTION("credentials sent to the realm, 'access_token' field") {
        FakeRegistry reg({"--auth", "bearer", "--user", "u", "--password", "p w", "--token-field", "access_token"});
        auto o = opts(reg);
        o.creds = Credentials{"u", "p w", ""};
        Client c(o);
        pullLatest(c);
    }
    SECTION("wrong credentials -> AuthError") {
        FakeRegistry reg({"--auth", "bearer", "--user", "u", "--password", "p"});
        auto o = opts(reg);
        o.creds = Credentials{"u", "wrong", ""};
        Client c(o);
        try {
            c.getManifest(kRepo, "latest");
            FAIL("no error");
        } catch (const AuthError& e) {
            CHECK(e.status() == 401);
            CHECK_THAT(e.what(), Catch::Contains("invalid username/password"));
        }
    }
}

TEST_CASE("client: basic auth", "[client][auth]") {
    FakeRegistry reg({"--auth", "basic", "--user", "alice", "--password", "secret"});
    auto o = opts(reg);
    o.creds = Credentials{"alice", "secret", ""};
    Client ok(o);
    pullLatest(ok);
    o.creds = std::nullopt;
    Client anon(o);
    try {
        anon.getManifest(kRepo, "latest");
        FAIL("no error");
    } catch (const AuthError& e) {
        CHECK(e.status() == 401);
        CHECK_THAT(e.what(), Catch::Contains(reg.host() + "/test/img"));
    }
}

TEST_CASE("client: blob redirects never carry Authorization to another host", "[client][auth]") {
    FakeRegistry reg({"--auth", "bearer", "--redirect", "--big-mib", "2"});
    Client c(opts(reg));
    pullLatest(c);
    auto big = parseManifest(c.getManifest(kRepo, "big").body, ManifestKind::OciManifest);
    auto rd = c.openBlob(kRepo, big.layers[0].digest, big.layers[0].size);
    CHECK(drain(*rd) == 2u << 20);
    auto st = reg.stats();
    CHECK(st["redirected_requests"].get<int>() >= 3);   // config, layer, big layer
    CHECK(st["redirected_with_auth"] == 0);
}

TEST_CASE("client: retries 5xx and 429, then gives up", "[client]") {
    SECTION("two 500s then success") {
        FakeRegistry reg({"--fail", "2", "--fail-status", "500"});
        Client c(opts(reg));
        pullLatest(c);
        CHECK(reg.stats()["failed"] == 2);
    }
    SECTION("429 with Retry-After") {
        FakeRegistry reg({"--fail", "2", "--fail-status", "429"});
        Client c(opts(reg));
        pullLatest(c);
    }
    SECTION("a 503 that persists is reported after maxTries") {
        FakeRegistry reg({"--fail", "100", "--fail-status", "503"});
        Client c(opts(reg));
        try {
            c.getManifest(kRepo, "latest");
            FAIL("no error");
        } catch (const RegistryError& e) {
            CHECK(e.status() == 503);
            CHECK(e.code() == "UNAVAILABLE");
        }
        CHECK(reg.stats()["failed"] == 3);
    }
}

TEST_CASE("client: wrong digest served", "[client][digest]") {
    FakeRegistry reg({"--bad-digest"});
    Client c(opts(reg));
    // The manifest body does not match Docker-Content-Digest.
    CHECK_THROWS_AS(c.getManifest(kRepo, "latest"), DigestMismatch);
    // Fetch the real manifest from a healthy server to learn the digests.
    FakeRegistry good({});
    Client g(opts(good));
    auto fm = g.getManifest(kRepo, "latest");
    CHECK_THROWS_AS(c.getManifest(kRepo, fm.digest.str()), DigestMismatch);
    auto m = parseManifest(fm.body, ManifestKind::OciManifest);
    auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
    char buf[4096];
    try {
        while (rd->read(buf, sizeof buf) > 0) {
        }
        FAIL("read reached EOF without a mismatch");
    } catch (const DigestMismatch& e) {
        CHECK_THAT(e.what(), Catch::Contains(m.layers[0].digest.str()));
    }
    CHECK_THROWS_AS(c.getBlob(kRepo, m.config.digest, m.config.size), DigestMismatch);
    // Wrong size in the descriptor is caught too.
    auto rd2 = g.openBlob(kRepo, m.layers[0].digest, m.layers[0].size - 1);
    CHECK_THROWS_AS(drain(*rd2), DigestMismatch);
}

TEST_CASE("client: schema 1 is refused clearly", "[client]") {
    FakeRegistry reg({});
    Client c(opts(reg));
    CHECK_THROWS_WITH(c.getManifest(kRepo, "schema1"), Catch::Contains("manifest schema 1") &&
                                                            Catch::Contains("is not supported"));
}

TEST_CASE("client: index with amd64 and arm64", "[client][platform]") {
    FakeRegistry reg({});
    Client c(opts(reg));
    auto fm = c.getManifest(kRepo, "multi");
    REQUIRE(fm.mediaType == mediatype::kOciIndex);
    auto idx = parseIndex(fm.body, ManifestKind::OciIndex);
    REQUIRE(idx.manifests.size() == 2);
    for (std::string arch : {"amd64", "arm64"}) {
        const auto& d = choosePlatform(idx, {"linux", arch, ""});
        auto m = c.getManifest(kRepo, d.digest.str());
        CHECK(m.digest == d.digest);
        auto mm = parseManifest(m.body, classifyManifest(m.mediaType, m.body));
        auto cfg = parseImageConfig(c.getBlob(kRepo, mm.config.digest, mm.config.size));
        CHECK(cfg.architecture == arch);
    }
    CHECK_THROWS_WITH(choosePlatform(idx, {"linux", "ppc64le", ""}), Catch::Contains("linux/arm64/v8"));
}

TEST_CASE("client: a dropped connection is resumed with Range", "[client]") {
    SECTION("server honours Range") {
        FakeRegistry reg({"--big-mib", "8", "--drop"});
        Client c(opts(reg));
        auto m = parseManifest(c.getManifest(kRepo, "big").body, ManifestKind::OciManifest);
        auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
        CHECK(drain(*rd) == 8u << 20);
        CHECK(reg.stats()["range_requests"] == 1);
    }
    SECTION("server ignores Range: the bytes already read are skipped") {
        FakeRegistry reg({"--big-mib", "8", "--drop", "--no-range"});
        Client c(opts(reg));
        auto m = parseManifest(c.getManifest(kRepo, "big").body, ManifestKind::OciManifest);
        auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
        CHECK(drain(*rd) == 8u << 20);   // and the digest matched
        CHECK(reg.stats()["range_requests"] == 0);
    }
}

namespace {
/// Sets HUTCH_REGISTRY_STALL_TIMEOUT for the scope of the object.
struct StallTimeout {
    explicit StallTimeout(const char* v) { ::setenv("HUTCH_REGISTRY_STALL_TIMEOUT", v, 1); }
    ~StallTimeout() { ::unsetenv("HUTCH_REGISTRY_STALL_TIMEOUT"); }
};
}  // namespace

TEST_CASE("client: a registry that stops sending fails after the stall timeout", "[client][stall]") {
    StallTimeout t("1");
    SECTION("every request stalls: an error naming the registry and the blob, in bounded time") {
        FakeRegistry reg({"--big-mib", "4", "--stall", "always"});
        Client c(opts(reg));
        auto m = parseManifest(c.getManifest(kRepo, "big").body, ManifestKind::OciManifest);
        const std::string blob = m.layers[0].digest.str();
        auto start = std::chrono::steady_clock::now();
        std::string err;
        try {
            auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
            drain(*rd);
        } catch (const RegistryError& e) {
            err = e.what();
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        CHECK_THAT(err, Catch::Contains(reg.host()) && Catch::Contains(blob) &&
                            Catch::Contains("no data received for 1 seconds"));
        CHECK(secs < 10);  // maxTries (3) stalls of 1 s, plus backoff
        CHECK(reg.stats()["stalls"] >= 1);
    }
    SECTION("one stall: the blob is resumed from where it stopped") {
        FakeRegistry reg({"--big-mib", "4", "--stall", "once"});
        Client c(opts(reg));
        auto m = parseManifest(c.getManifest(kRepo, "big").body, ManifestKind::OciManifest);
        auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
        CHECK(drain(*rd) == 4u << 20);
        CHECK(reg.stats()["range_requests"] == 1);
    }
    SECTION("a bad value is an error naming the variable") {
        StallTimeout bad("soon");
        CHECK_THROWS_WITH(http::stallTimeoutSeconds(), Catch::Contains("HUTCH_REGISTRY_STALL_TIMEOUT=soon"));
    }
}

TEST_CASE("client: concurrent blob streams on one client", "[client]") {
    FakeRegistry reg({"--auth", "bearer", "--big-mib", "4"});
    Client c(opts(reg));
    auto m = parseManifest(c.getManifest(kRepo, "big").body, ManifestKind::OciManifest);
    std::vector<std::thread> ts;
    std::atomic<int> ok{0};
    std::mutex errMu;
    std::string firstErr;
    for (int i = 0; i < 4; ++i)
        ts.emplace_back([&] {
            try {
                auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
                char buf[32768];
                uint64_t n = 0;
                while (size_t k = rd->read(buf, sizeof buf)) n += k;
                if (n == 4u << 20) ++ok;
            } catch (const std::exception& e) {
                std::lock_guard lk(errMu);
                firstErr = e.what();
            }
        });
    for (auto& t : ts) t.join();
    INFO(firstErr);
    CHECK(ok == 4);
}

TEST_CASE("client: streaming a 64 MiB blob keeps memory flat", "[client][memory]") {
    FakeRegistry reg({"--big-mib", "64"});
    Client c(opts(reg));
    auto m = parseManifest(c.getManifest(kRepo, "big").body, ManifestKind::OciManifest);
    // Reset the peak-RSS mark (best effort) so the measurement is this transfer's.
    { std::ofstream("/proc/self/clear_refs") << "5"; }
    long before = vmHwmKiB();
    REQUIRE(before > 0);
    auto rd = c.openBlob(kRepo, m.layers[0].digest, m.layers[0].size);
    char buf[65536];
    uint64_t n = 0;
    while (size_t k = rd->read(buf, sizeof buf)) n += k;
    CHECK(n == 64u << 20);
    long growth = vmHwmKiB() - before;
    INFO("VmHWM growth " << growth << " KiB");
    CHECK(growth < 16 * 1024);
    // Control: holding the same blob in memory does move the mark.
    long before2 = vmHwmKiB();
    std::string whole = c.getBlob(kRepo, m.layers[0].digest, m.layers[0].size);
    CHECK(whole.size() == 64u << 20);
    CHECK(vmHwmKiB() - before2 > 48 * 1024);
}

TEST_CASE("client: checkCredentials verifies a login as the registry sees it", "[client][auth][login]") {
    SECTION("basic: right, wrong, none") {
        FakeRegistry reg({"--auth", "basic", "--user", "alice", "--password", "secret"});
        auto o = opts(reg);
        o.creds = Credentials{"alice", "secret", ""};
        Client(o).checkCredentials();
        o.creds = Credentials{"alice", "wrong", ""};
        CHECK_THROWS_AS(Client(o).checkCredentials(), AuthError);
        o.creds = std::nullopt;
        CHECK_THROWS_AS(Client(o).checkCredentials(), AuthError);
    }
    SECTION("bearer: a token without scope, then GET /v2/ with it") {
        FakeRegistry reg({"--auth", "bearer", "--user", "u", "--password", "p"});
        auto o = opts(reg);
        o.creds = Credentials{"u", "p", ""};
        Client(o).checkCredentials();
        auto st = reg.stats();
        CHECK(st["token_requests"] == 1);
        CHECK(st["token_scopes"][0] == "");
        o.creds = Credentials{"u", "wrong", ""};
        try {
            Client(o).checkCredentials();
            FAIL("no error");
        } catch (const AuthError& e) {
            CHECK(e.status() == 401);
            CHECK_THAT(e.what(), Catch::Contains("invalid username/password"));
        }
    }
    SECTION("a registry without authentication accepts anything") {
        FakeRegistry reg({});
        auto o = opts(reg);
        o.creds = Credentials{"whoever", "whatever", ""};
        Client(o).checkCredentials();
    }
    SECTION("an unreachable registry is not an authentication failure") {
        ClientOptions o;
        o.host = "127.0.0.1:1";
        o.insecure = true;
        o.readAuthFiles = false;
        o.maxTries = 1;
        o.creds = Credentials{"u", "p", ""};
        try {
            Client(o).checkCredentials();
            FAIL("no error");
        } catch (const AuthError&) {
            FAIL("AuthError for an unreachable registry");
        } catch (const RegistryError& e) {
            CHECK_THAT(e.what(), Catch::Contains("pinging container registry 127.0.0.1:1"));
        }
    }
}

TEST_CASE("client: plain http without insecure says why https failed", "[client][tls]") {
    FakeRegistry reg({});
    auto o = opts(reg);
    o.insecure = false;
    o.maxTries = 1;
    try {
        Client(o).checkCredentials();
        FAIL("no error");
    } catch (const RegistryError& e) {
        CHECK_THAT(e.what(), Catch::Contains("pinging container registry " + reg.host()));
        CHECK_THAT(e.what(), Catch::Contains("--tls-verify=false"));
    }
}
