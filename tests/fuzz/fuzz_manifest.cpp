// Manifest, index and image-config parsers (registry/manifest, registry/image_config), as
// a pull meets them: classify the body (with the Content-Type chosen by the first byte),
// parse it as what it claims to be, pick a platform from an index; and parse it as a config.
#include "fuzz_util.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/registry/manifest.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    static const char* const kTypes[] = {
        "",
        "application/json",
        registry::mediatype::kOciManifest,
        registry::mediatype::kOciIndex,
        registry::mediatype::kDockerManifest,
        registry::mediatype::kDockerManifestList,
        registry::mediatype::kDockerSchema1Signed,
    };
    const char* type = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
    std::string body(fuzz::text(data + 1, size - 1));
    fuzz::expectHutchErrors([&] {
        auto kind = registry::classifyManifest(type, body);
        if (registry::isIndexKind(kind)) {
            auto index = registry::parseIndex(body, kind);
            registry::Platform want;
            want.os = "linux";
            want.architecture = "amd64";
            (void)registry::choosePlatform(index, want);
        } else {
            (void)registry::parseManifest(body, kind);
        }
    });
    fuzz::expectHutchErrors([&] { (void)registry::parseImageConfig(body); });
    return 0;
}
