// OCI image-spec schema vectors and spec examples (../shared/conformance/image-spec).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/registry/oci_schema.hpp"

namespace fs = std::filesystem;
using namespace hutch;
using namespace hutch::registry;

namespace {

const std::string kDir = std::string(HUTCH_CONFORMANCE_DIR) + "/image-spec";

std::string mediaTypeForVector(const std::string& name) {
    if (name.rfind("config-", 0) == 0) return "application/vnd.oci.image.config.v1+json";
    if (name.rfind("descriptor-", 0) == 0) return "application/vnd.oci.descriptor.v1+json";
    if (name.rfind("imageindex-", 0) == 0) return "application/vnd.oci.image.index.v1+json";
    if (name.rfind("imagelayout-", 0) == 0) return "application/vnd.oci.layout.header.v1+json";
    if (name.rfind("manifest-", 0) == 0) return "application/vnd.oci.image.manifest.v1+json";
    if (name.find("BackwardsCompatibilityImageIndex") != std::string::npos) return "application/vnd.oci.image.index.v1+json";
    if (name.find("BackwardsCompatibilityManifest") != std::string::npos) return "application/vnd.oci.image.manifest.v1+json";
    if (name.find("BackwardsCompatibilityConfig") != std::string::npos) return "application/vnd.oci.image.config.v1+json";
    return "";
}

// image-spec backwards_compatibility_test.go compatMap: docker types -> OCI.
std::string convertDockerTypes(std::string s) {
    const std::pair<const char*, const char*> map[] = {
        {"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json"},
        {"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"},
        {"application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.oci.image.layer.v1.tar+gzip"},
        {"application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"},
    };
    for (auto [from, to] : map)
        for (size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, std::strlen(from), to);
    return s;
}

}  // namespace

TEST_CASE("image-spec schema vectors", "[conformance][oci]") {
    REQUIRE(fs::is_directory(kDir + "/vectors"));
    int total = 0, passed = 0;
    std::vector<std::string> failures;
    for (const auto& e : fs::directory_iterator(kDir + "/vectors")) {
        std::string name = e.path().filename();
        bool valid = name.size() > 11 && name.compare(name.size() - 11, 11, "-valid.json") == 0;
        bool invalid = name.find("-invalid.json") != std::string::npos;
        if (!valid && !invalid) continue;
        std::string mt = mediaTypeForVector(name);
        REQUIRE(!mt.empty());
        std::string body = fsutil::readFile(e.path());
        if (name.rfind("backwards_compatibility-", 0) == 0) body = convertDockerTypes(body);
        ++total;
        std::string err;
        try {
            oci::validate(mt, body);
        } catch (const InvalidArgument& ex) {
            err = ex.what();
        }
        bool ok = valid ? err.empty() : !err.empty();
        if (ok) ++passed;
        else failures.push_back(name + (err.empty() ? ": accepted" : ": " + err));
    }
    for (const auto& f : failures) UNSCOPED_INFO(f);
    WARN("image-spec vectors: " << passed << "/" << total << " pass");
    CHECK(total == 71);
    CHECK(failures.empty());
}

TEST_CASE("image-spec backwards-compat bodies hash to their recorded digests", "[conformance][oci]") {
    auto j = nlohmann::json::parse(fsutil::readFile(kDir + "/vectors/backwards_compatibility-digests.json"));
    REQUIRE(j.size() == 4);
    for (const auto& e : j) {
        std::string body = fsutil::readFile(kDir + "/vectors/" + e["file"].get<std::string>());
        CHECK(Digest::sha256Of(body).str() == e["sha256_of_exact_bytes"].get<std::string>());
    }
}

TEST_CASE("image-spec spec examples validate", "[conformance][oci]") {
    auto j = nlohmann::json::parse(fsutil::readFile(kDir + "/spec-examples/expectations.json"));
    int total = 0, passed = 0;
    for (const auto& e : j) {
        std::string file = e["file"];
        ++total;
        INFO(file);
        try {
            oci::validate(e["mediatype"], fsutil::readFile(kDir + "/spec-examples/" + file));
            ++passed;
        } catch (const InvalidArgument& ex) {
            FAIL_CHECK(file << ": " << ex.what());
        }
    }
    WARN("image-spec spec examples: " << passed << "/" << total << " pass");
    CHECK(total == 13);
}

TEST_CASE("validation errors name the field", "[oci]") {
    try {
        oci::validate("application/vnd.oci.image.manifest.v1+json",
                      R"({"schemaVersion":2,"config":{"mediaType":"a/b","size":"1","digest":"sha256:x"},"layers":[]})");
        FAIL("accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("manifest.config.size") != std::string::npos);
    }
}
