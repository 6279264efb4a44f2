// registry::Uploader against the real registry (Debian's docker-registry) when
// HUTCH_TEST_REGISTRY names it: existence checks, monolithic and chunked uploads, a
// cross-repository mount, a refused digest, and a manifest PUT read back by digest.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <random>

#include "hutch/common/error.hpp"
#include "hutch/registry/client.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/upload.hpp"

using namespace hutch;
using namespace hutch::registry;

namespace {

std::optional<std::string> realRegistry() {
    const char* r = std::getenv("HUTCH_TEST_REGISTRY");
    if (!r || !*r) return std::nullopt;
    return std::string(r);
}

std::string randomBytes(size_t n) {
    std::mt19937_64 g(std::random_device{}());
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(g());
    return s;
}

std::string uniqueRepo(const std::string& base) {
    return "uploadtest/" + base + std::to_string(std::random_device{}() % 1000000000);
}

}  // namespace

TEST_CASE("real registry: blobs upload monolithic and chunked, mount across repositories", "[upload][real]") {
    auto host = realRegistry();
    if (!host) FAIL("HUTCH_TEST_REGISTRY is not set: run scripts/test.sh, which starts and seeds the registry");
    ClientOptions o;
    o.host = *host;
    o.insecure = true;
    o.readAuthFiles = false;
    Client c(o);
    const std::string repoA = uniqueRepo("a"), repoB = uniqueRepo("b");
    Uploader a(c, repoA);

    const std::string small = randomBytes(3000);
    const Digest ds = Digest::sha256Of(small);
    CHECK_FALSE(a.blobExists(ds));
    a.uploadBlob(ds, small);
    CHECK(a.blobExists(ds));
    CHECK(a.patchesSent() == 0);
    CHECK(c.getBlob(repoA, ds, static_cast<int64_t>(small.size())) == small);

    SECTION("chunked from a file") {
        const std::string big = randomBytes(10000);
        const Digest db = Digest::sha256Of(big);
        char path[] = "/tmp/hutch-upload-XXXXXX";
        int fd = ::mkstemp(path);
        REQUIRE(fd >= 0);
        ::unlink(path);
        REQUIRE(::write(fd, big.data(), big.size()) == static_cast<ssize_t>(big.size()));
        Uploader chunked(c, repoA);
        chunked.setChunkSize(4096);
        chunked.uploadBlob(db, fd, static_cast<int64_t>(big.size()));
        ::close(fd);
        CHECK(chunked.patchesSent() == 3);
        CHECK(c.getBlob(repoA, db, static_cast<int64_t>(big.size())) == big);
    }
    SECTION("mounted into another repository") {
        Uploader b(c, repoB);
        CHECK_FALSE(b.blobExists(ds));
        CHECK(b.mountBlob(ds, repoA));
        CHECK(b.blobExists(ds));
        // A blob the source does not have is not mounted (the registry opens a session instead).
        CHECK_FALSE(b.mountBlob(Digest::sha256Of(randomBytes(10)), repoA));
    }
    SECTION("bytes that do not match the digest are refused") {
        Uploader bad(c, repoA);
        REQUIRE_THROWS_AS(bad.uploadBlob(Digest::sha256Of("something else"), randomBytes(100)), RegistryError);
    }
    SECTION("a manifest PUT by tag reads back with its digest and media type") {
        const std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
        const Digest dc = Digest::sha256Of(config);
        a.uploadBlob(dc, config);
        const std::string manifest = std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)") +
                                     R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                                     dc.str() + R"(","size":)" + std::to_string(config.size()) +
                                     R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
                                     ds.str() + R"(","size":)" + std::to_string(small.size()) + "}]}";
        Digest dm = a.putManifest("v1", mediatype::kOciManifest, manifest);
        CHECK(dm == Digest::sha256Of(manifest));
        auto fm = c.getManifest(repoA, "v1");
        CHECK(fm.body == manifest);
        CHECK(fm.digest == dm);
        CHECK(fm.mediaType == std::string(mediatype::kOciManifest));
    }
}

TEST_CASE("uploader: an unknown registry host fails naming it", "[upload]") {
    ClientOptions o;
    o.host = "nosuchhost.invalid:5000";
    o.insecure = true;
    o.readAuthFiles = false;
    o.maxTries = 1;
    Client c(o);
    Uploader u(c, "x/y");
    try {
        u.blobExists(Digest::sha256Of("x"));
        FAIL("no error");
    } catch (const RegistryError& e) {
        CHECK(std::string(e.what()).find("nosuchhost.invalid:5000") != std::string::npos);
    }
}
