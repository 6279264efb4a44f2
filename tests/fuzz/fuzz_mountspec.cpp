// Mount flags of `run` (engine/mountspec): -v/--volume, --mount and --tmpfs values. The
// first byte picks the flag; each line of the rest is one value. Accepted specs are turned
// into OCI mounts and round-tripped through their JSON record.
#include "fuzz_util.hpp"
#include "hutch/engine/spec/mountspec.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    uint8_t which = data[0];
    std::vector<engine::MountSpec> specs;
    for (const auto& value : fuzz::split(fuzz::text(data + 1, size - 1), '\n')) {
        fuzz::expectHutchErrors([&] {
            switch (which % 3) {
                case 0: specs.push_back(engine::parseVolumeFlag(value)); break;
                case 1: specs.push_back(engine::parseMountFlag(value)); break;
                default: specs.push_back(engine::parseTmpfsFlag(value)); break;
            }
        });
        fuzz::expectHutchErrors([&] { engine::checkVolumeName(value); });
    }
    fuzz::expectHutchErrors([&] { engine::checkDuplicateDestinations(specs); });
    for (const auto& m : specs) {
        (void)engine::ociMountFor(m, "/var/lib/hutch/volumes/x/_data");
        auto j = m.toJson();
        fuzz::expectHutchErrors([&] { (void)engine::MountSpec::fromJson(j); });
    }
    return 0;
}
