// The client against the real registry (Debian's docker-registry) when HUTCH_TEST_REGISTRY
// names it (scripts/registry.sh + scripts/make-images.py seed it). Skipped otherwise.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "hutch/common/error.hpp"
#include "hutch/registry/client.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/registry/manifest.hpp"

using namespace hutch;
using namespace hutch::registry;

namespace {

std::optional<std::string> realRegistry() {
    const char* r = std::getenv("HUTCH_TEST_REGISTRY");
    if (!r || !*r) return std::nullopt;
    return std::string(r);
}

long hwmKiB() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// Resolves repo:tag to an image manifest for `want`, fetches and checks config and layers.
ImageManifest pull(Client& c, const std::string& repo, const Platform& want, ImageConfig* cfgOut = nullptr) {
    auto fm = c.getManifest(repo, "latest");
    auto kind = classifyManifest(fm.mediaType, fm.body);
    if (isIndexKind(kind)) {
        auto idx = parseIndex(fm.body, kind);   // choosePlatform returns a reference into it
        Digest d = choosePlatform(idx, want).digest;
        fm = c.getManifest(repo, d.str());
        kind = classifyManifest(fm.mediaType, fm.body);
    }
    auto m = parseManifest(fm.body, kind);
    auto cfg = parseImageConfig(c.getBlob(repo, m.config.digest, m.config.size));
    CHECK(cfg.diffIds.size() == m.layers.size());
    for (const auto& l : m.layers) {
        if (l.size > (32 << 20)) continue;   // big layers: see the memory test
        auto rd = c.openBlob(repo, l.digest, l.size);
        char buf[65536];
        int64_t n = 0;
        while (size_t k = rd->read(buf, sizeof buf)) n += k;
        CHECK(n == l.size);
    }
    if (cfgOut) *cfgOut = cfg;
    return m;
}

}  // namespace

TEST_CASE("real registry: every seeded image kind pulls and verifies", "[client][real]") {
    auto host = realRegistry();
    if (!host) FAIL("HUTCH_TEST_REGISTRY is not set: run scripts/test.sh, which starts and seeds the registry");
    ClientOptions o;
    o.host = *host;
    o.insecure = true;
    o.readAuthFiles = false;
    Client c(o);
    Platform amd{"linux", "amd64", ""}, arm{"linux", "arm64", ""};
    CHECK(pull(c, "busybox", amd).kind == ManifestKind::DockerManifest);
    CHECK(pull(c, "busybox-oci", amd).kind == ManifestKind::OciManifest);
    CHECK(pull(c, "busybox-zstd", amd).layers.at(0).mediaType == "application/vnd.oci.image.layer.v1.tar+zstd");
    CHECK(pull(c, "layered", amd).layers.size() == 4);
    for (std::string repo : {"busybox-multi", "busybox-list"}) {
        ImageConfig a, b;
        pull(c, repo, amd, &a);
        pull(c, repo, arm, &b);
        CHECK(a.architecture == "amd64");
        CHECK(b.architecture == "arm64");
    }
    CHECK_THROWS_AS(pull(c, "busybox-multi", {"linux", "s390x", ""}), NotFound);
    try {
        c.getManifest("does-not-exist", "latest");
        FAIL("no error");
    } catch (const RegistryError& e) {
        CHECK(e.status() == 404);
        CHECK((e.code() == "NAME_UNKNOWN" || e.code() == "MANIFEST_UNKNOWN"));
    }
}

TEST_CASE("real registry: the ~200 MiB layer streams in flat memory", "[client][real][memory]") {
    if (const char* nb = std::getenv("HUTCH_TEST_NO_BIG"); nb && std::string(nb) == "1") {
        WARN("left out: HUTCH_TEST_NO_BIG=1 (scripts/test.sh did not seed the big image)");
        return;
    }
    auto host = realRegistry();
    if (!host) FAIL("HUTCH_TEST_REGISTRY is not set: run scripts/test.sh, which starts and seeds the registry");
    ClientOptions o;
    o.host = *host;
    o.insecure = true;
    o.readAuthFiles = false;
    Client c(o);
    FetchedManifest fm;
    try {
        fm = c.getManifest("big", "latest");
    } catch (const RegistryError& e) {
        if (e.status() != 404) throw;
        FAIL("no big image in the registry: seed it with scripts/registry.sh seed --big (" << e.what() << ")");
    }
    auto m = parseManifest(fm.body, classifyManifest(fm.mediaType, fm.body));
    const Descriptor* bigL = nullptr;
    for (const auto& l : m.layers)
        if (!bigL || l.size > bigL->size) bigL = &l;
    REQUIRE(bigL);
    { std::ofstream("/proc/self/clear_refs") << "5"; }
    long before = hwmKiB();
    auto rd = c.openBlob("big", bigL->digest, bigL->size);
    char buf[65536];
    int64_t n = 0;
    while (size_t k = rd->read(buf, sizeof buf)) n += k;
    CHECK(n == bigL->size);
    long growth = hwmKiB() - before;
    INFO("layer " << bigL->size << " bytes, VmHWM growth " << growth << " KiB");
    CHECK(growth < 16 * 1024);
}
