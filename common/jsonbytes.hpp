// Lossless JSON for hutch's own records (container records, the bundle's config.json, exec
// process files, monitor lines, volume records, store metadata). JSON strings must be UTF-8,
// but a container's arguments, environment, labels... are bytes: `run busybox echo $'caf\xe9'`
// must reach execve unchanged. Every record is therefore written with jsonbytes::dump and read
// with jsonbytes::parse, which map each byte of a string that is not part of valid UTF-8 to a
// code point of Unicode's last private-use block (U+10FF80 + byte - 0x80) and back. Valid
// UTF-8 text is written unchanged (so records written before stay readable), except those
// rare private-use code points themselves, escaped byte by byte so that the mapping reverses.
// User-facing JSON (inspect, --format json) is not this: it replaces invalid bytes with U+FFFD
// (see dumpReplacing), as podman's Go encoding/json does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hutch::jsonbytes {

/// `s` as valid UTF-8: invalid bytes (and the bytes of U+10FF80..U+10FFFF) become
/// U+10FF80..U+10FFFF. Identity on any other valid UTF-8 string.
std::string escape(std::string_view s);
/// Inverse of escape: each U+10FF80..U+10FFFF becomes the byte 0x80..0xFF. Other text is kept.
std::string unescape(std::string_view s);

/// Serialises `j` (json or ordered_json) like j.dump(indent) with every string and object
/// key passed through escape(): never throws nlohmann's type_error 316 (invalid UTF-8).
std::string dump(const nlohmann::json& j, int indent = -1);
std::string dump(const nlohmann::ordered_json& j, int indent = -1);
/// json::parse(text) with every string and object key passed through unescape(). Throws
/// nlohmann::json::parse_error as json::parse does.
nlohmann::json parse(std::string_view text);

/// j.dump(indent) with invalid UTF-8 replaced by U+FFFD, as Go's encoding/json writes it: for
/// JSON shown to a person (inspect, --format json) and for image configs and manifests, which
/// other tools read. Never throws.
std::string dumpReplacing(const nlohmann::json& j, int indent = -1);
std::string dumpReplacing(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace hutch::jsonbytes
