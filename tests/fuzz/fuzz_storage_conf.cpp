// storage.conf parser (conf/storage_conf) on arbitrary TOML text.
#include "fuzz_util.hpp"
#include "hutch/conf/storage_conf.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::expectHutchErrors([&] { (void)conf::parseStorageConf(fuzz::text(data, size), "storage.conf"); });
    return 0;
}
