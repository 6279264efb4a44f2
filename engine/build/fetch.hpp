// ADD <url>: downloads an http(s) source with libcurl.
#pragma once

#include <string>

namespace hutch::engine::build {

/// Downloads `url` into the file `dest` (mode 0600, as Docker gives URL sources). Returns
/// the file name the URL implies (its last path component, "" when it has none). Throws
/// Error naming the URL and the HTTP status or curl error.
std::string fetchUrl(const std::string& url, const std::string& dest);

/// True for a source that ADD fetches: starts with http:// or https://.
bool isUrl(const std::string& src);

}  // namespace hutch::engine::build
