// registries.conf parser (conf/registries): one file's TOML text, v1 and v2 formats (the
// first byte's low bit forces v2 as for drop-ins), then registry lookups on the result.
#include "fuzz_util.hpp"
#include "hutch/conf/registries.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    bool forceV2 = data[0] & 1;
    auto in = fuzz::text(data + 1, size - 1);
    conf::RegistriesConf rc;
    try {
        rc = conf::parseRegistriesConf(in, "registries.conf", forceV2);
    } catch (const Error&) {
        return 0;
    }
    for (const char* ref : {"docker.io/library/busybox:latest", "quay.io/a/b@sha256:0", "localhost:5000/x",
                            "sub.example.com/ns/img", "[::1]:5000/x", "x"}) {
        (void)rc.findRegistry(ref);
        (void)rc.alias(ref);
    }
    for (const auto& r : rc.registries) {
        (void)rc.findRegistry(r.prefix);
        (void)conf::refMatchingPrefix(r.prefix + "/img:tag", r.prefix);
    }
    for (const auto& [name, target] : rc.aliases) (void)rc.alias(name);
    return 0;
}
