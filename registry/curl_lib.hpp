// libcurl, loaded on first registry access (common/dynlib): the start-up path of run/exec
// does not map curl and its TLS, LDAP, Kerberos and IDN stack (30 libraries).
#pragma once

#define CURL_DISABLE_TYPECHECK  // the type-checking macros would name the symbols directly
#include <curl/curl.h>

namespace hutch::registry {

// Every libcurl function hutch calls, without its "curl_" prefix.
#define HUTCH_CURL_FUNCTIONS(X) \
    X(global_init) X(easy_init) X(easy_setopt) X(easy_getinfo) X(easy_perform) X(easy_pause) \
    X(easy_cleanup) X(easy_strerror) X(multi_init) X(multi_setopt) X(multi_add_handle) \
    X(multi_remove_handle) X(multi_perform) X(multi_poll) X(multi_info_read) X(multi_cleanup) \
    X(multi_strerror) X(share_init) X(share_setopt) X(slist_append) X(slist_free_all)

/// The libcurl functions hutch calls, resolved from libcurl.so.4: `curl().easy_init()` is
/// curl_easy_init().
struct CurlLib {
#define HUTCH_CURL_MEMBER(name) decltype(&::curl_##name) name;
    HUTCH_CURL_FUNCTIONS(HUTCH_CURL_MEMBER)
#undef HUTCH_CURL_MEMBER
};

/// The table, loaded (and curl_global_init run) on first call; thread-safe. Throws Error when
/// libcurl.so.4 is missing or lacks a symbol.
const CurlLib& curl();

}  // namespace hutch::registry
