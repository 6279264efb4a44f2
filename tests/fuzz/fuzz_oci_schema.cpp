// OCI image-spec schema validation (registry/oci_schema): oci::validate(mediaType, body)
// with the media type chosen by the first input byte, the rest being the JSON body.
#include "fuzz_util.hpp"
#include "hutch/registry/oci_schema.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    static const char* const kTypes[] = {
        "application/vnd.oci.descriptor.v1+json",
        "application/vnd.oci.layout.header.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.container.image.v1+json",
    };
    const char* type = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
    std::string body(fuzz::text(data + 1, size - 1));
    fuzz::expectHutchErrors([&] { registry::oci::validate(type, body); });
    (void)registry::oci::validMediaType(body);
    return 0;
}
