#include "hutch/registry/curl_lib.hpp"

#include "hutch/common/dynlib.hpp"

namespace hutch::registry {

namespace {

CurlLib load() {
    constexpr const char* so = "libcurl.so.4";
    void* h = dynlib::open(so, "registry access", "libcurl4");
    CurlLib c{};
#define HUTCH_CURL_LOAD(name) c.name = reinterpret_cast<decltype(c.name)>(dynlib::symbol(h, so, "curl_" #name));
    HUTCH_CURL_FUNCTIONS(HUTCH_CURL_LOAD)
#undef HUTCH_CURL_LOAD
    c.global_init(CURL_GLOBAL_DEFAULT);
    return c;
}

}  // namespace

const CurlLib& curl() {
    static const CurlLib lib = load();  // a failed load throws, and the next call tries again
    return lib;
}

}  // namespace hutch::registry
