// libcurl, loaded on first registry access (common/dynlib): the start-up path of run/exec
// does not map curl and its TLS, LDAP, Kerberos and IDN stack (30 libraries).
#pragma once

#define CURL_DISABLE_TYPECHECK  // the type-checking macros would name the symbols directly
#include <curl/curl.h>

namespace hutch::registry {

/// The libcurl functions hutch calls, resolved from libcurl.so.4.
struct CurlLib {
    decltype(&::curl_global_init) global_init;
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_perform) easy_perform;
    decltype(&::curl_easy_pause) easy_pause;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_multi_init) multi_init;
    decltype(&::curl_multi_setopt) multi_setopt;
    decltype(&::curl_multi_add_handle) multi_add_handle;
    decltype(&::curl_multi_remove_handle) multi_remove_handle;
    decltype(&::curl_multi_perform) multi_perform;
    decltype(&::curl_multi_poll) multi_poll;
    decltype(&::curl_multi_info_read) multi_info_read;
    decltype(&::curl_multi_cleanup) multi_cleanup;
    decltype(&::curl_multi_strerror) multi_strerror;
    decltype(&::curl_share_init) share_init;
    decltype(&::curl_share_setopt) share_setopt;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
};

/// The table, loaded (and curl_global_init run) on first call; thread-safe. Throws Error when
/// libcurl.so.4 is missing or lacks a symbol.
const CurlLib& curl();

}  // namespace hutch::registry
