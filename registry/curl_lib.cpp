#include "hutch/registry/curl_lib.hpp"

#include "hutch/common/dynlib.hpp"

namespace hutch::registry {

namespace {

CurlLib load() {
    constexpr const char* so = "libcurl.so.4";
    void* h = dynlib::open(so, "registry access", "libcurl4");
    CurlLib c{};
    auto get = [&](auto& fn, const char* name) { fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dynlib::symbol(h, so, name)); };
    get(c.global_init, "curl_global_init");
    get(c.easy_init, "curl_easy_init");
    get(c.easy_setopt, "curl_easy_setopt");
    get(c.easy_getinfo, "curl_easy_getinfo");
    get(c.easy_perform, "curl_easy_perform");
    get(c.easy_pause, "curl_easy_pause");
    get(c.easy_cleanup, "curl_easy_cleanup");
    get(c.easy_strerror, "curl_easy_strerror");
    get(c.multi_init, "curl_multi_init");
    get(c.multi_setopt, "curl_multi_setopt");
    get(c.multi_add_handle, "curl_multi_add_handle");
    get(c.multi_remove_handle, "curl_multi_remove_handle");
    get(c.multi_perform, "curl_multi_perform");
    get(c.multi_poll, "curl_multi_poll");
    get(c.multi_info_read, "curl_multi_info_read");
    get(c.multi_cleanup, "curl_multi_cleanup");
    get(c.multi_strerror, "curl_multi_strerror");
    get(c.share_init, "curl_share_init");
    get(c.share_setopt, "curl_share_setopt");
    get(c.slist_append, "curl_slist_append");
    get(c.slist_free_all, "curl_slist_free_all");
    c.global_init(CURL_GLOBAL_DEFAULT);
    return c;
}

}  // namespace

const CurlLib& curl() {
    static const CurlLib lib = load();  // a failed load throws, and the next call tries again
    return lib;
}

}  // namespace hutch::registry
