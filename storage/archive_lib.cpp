#include "hutch/storage/archive_lib.hpp"

#include "hutch/common/dynlib.hpp"

namespace hutch::storage {

namespace {

ArchiveLib load() {
    constexpr const char* so = "libarchive.so.13";
    void* h = dynlib::open(so, "reading and writing tar archives", "libarchive13");
    ArchiveLib a{};
#define HUTCH_ARCHIVE_LOAD(name) \
    a.name = reinterpret_cast<decltype(a.name)>(dynlib::symbol(h, so, "archive_" #name));
    HUTCH_ARCHIVE_FUNCTIONS(HUTCH_ARCHIVE_LOAD)
#undef HUTCH_ARCHIVE_LOAD
    return a;
}

}  // namespace

const ArchiveLib& arc() {
    static const ArchiveLib lib = load();  // a failed load throws, and the next call tries again
    return lib;
}

}  // namespace hutch::storage
