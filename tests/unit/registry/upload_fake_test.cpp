// registry::Uploader against tests/fixtures/fake_registry.py: bearer tokens with the push
// scope (and a mount source's pull scope), basic auth, chunked uploads, refused credentials.
#include <catch2/catch.hpp>

#include <chrono>

#include "fake_registry.hpp"
#include "hutch/common/error.hpp"
#include "hutch/registry/client.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/upload.hpp"

using namespace hutch;
using namespace hutch::registry;
using hutch::test::FakeRegistry;

namespace {

ClientOptions fakeOpts(const FakeRegistry& r) {
    ClientOptions o;
    o.host = r.host();
    o.insecure = true;
    o.readAuthFiles = false;
    o.retryBase = std::chrono::milliseconds(10);
    return o;
}

bool hasScope(const nlohmann::json& st, const std::string& s) {
    for (const auto& x : st["token_scopes"])
        if (x == s) return true;
    return false;
}

}  // namespace

TEST_CASE("uploader with bearer tokens: push scope, mount scope, chunks, manifest", "[upload]") {
    FakeRegistry reg({"--auth", "bearer"});
    Client c(fakeOpts(reg));
    // A blob the seeded repository has (its layer), to mount elsewhere.
    auto fm = c.getManifest("test/img", "latest");
    auto m = parseManifest(fm.body, classifyManifest(fm.mediaType, fm.body));
    const Digest layer = m.layers.at(0).digest;

    Uploader up(c, "pushed/app");
    up.setChunkSize(1000);
    CHECK_FALSE(up.blobExists(layer));
    CHECK(up.mountBlob(layer, "test/img"));
    CHECK(up.blobExists(layer));

    const std::string cfg(2500, 'c');
    const Digest dc = Digest::sha256Of(cfg);
    up.uploadBlob(dc, cfg);
    CHECK(up.patchesSent() == 3);
    CHECK(c.getBlob("pushed/app", dc, static_cast<int64_t>(cfg.size())) == cfg);

    const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                             dc.str() + R"(","size":2500},"layers":[]})";
    Digest dm = up.putManifest("v1", mediatype::kOciManifest, body);
    auto back = c.getManifest("pushed/app", "v1");
    CHECK(back.digest == dm);
    CHECK(back.mediaType == std::string(mediatype::kOciManifest));

    auto st = reg.stats();
    CHECK(hasScope(st, "repository:pushed/app:pull,push"));
    CHECK(hasScope(st, "repository:pushed/app:pull,push repository:test/img:pull"));
    CHECK(st["mounts"] == 1);
    CHECK(st["patches"] == 3);
    CHECK(st["uploads"] == 1);
    CHECK(st["manifest_puts"] == 1);
}

TEST_CASE("uploader with basic auth, and refused credentials", "[upload]") {
    FakeRegistry reg({"--auth", "basic", "--user", "alice", "--password", "secret"});
    SECTION("the right credentials upload") {
        auto o = fakeOpts(reg);
        o.creds = Credentials{"alice", "secret", ""};
        Client c(o);
        Uploader up(c, "basic/app");
        const std::string data = "hello";
        up.uploadBlob(Digest::sha256Of(data), data);
        CHECK(up.blobExists(Digest::sha256Of(data)));
        CHECK(reg.stats()["uploads"] == 1);
    }
    SECTION("wrong ones fail with an AuthError naming the registry") {
        auto o = fakeOpts(reg);
        o.creds = Credentials{"alice", "wrong", ""};
        Client c(o);
        Uploader up(c, "basic/app");
        try {
            up.uploadBlob(Digest::sha256Of("x"), std::string("x"));
            FAIL("no error");
        } catch (const AuthError& e) {
            CHECK(std::string(e.what()).find(reg.host()) != std::string::npos);
        }
        CHECK(reg.stats()["uploads"] == 0);
    }
}
