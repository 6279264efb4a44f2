// Validation of OCI image-spec documents against the rules of the image-spec JSON schemas
// (schema/*.json, draft-04) plus the extra checks of image-spec's schema/validator.go
// (digest algorithms sha256/sha512 must be well formed, descriptor "data" must be valid
// base64, config Env entries must be KEY=VALUE).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hutch::registry::oci {

/// Each throws InvalidArgument "<json path>: <reason>" on the first violation.
void validateDescriptor(const nlohmann::json& j, const std::string& path = "descriptor");
void validateManifest(const nlohmann::json& j);
void validateIndex(const nlohmann::json& j);
void validateConfig(const nlohmann::json& j);
void validateLayout(const nlohmann::json& j);

/// Parses `body` and validates it as `mediaType` (the OCI descriptor, layout, index,
/// manifest or config media type; Docker's manifest, manifest list and config types map to
/// their OCI equivalents). Throws InvalidArgument for invalid JSON, unknown media type or
/// a violation.
void validate(const std::string& mediaType, const std::string& body);

/// True when `s` matches the descriptor mediaType pattern (RFC 6838 type/subtype).
bool validMediaType(const std::string& s);

}  // namespace hutch::registry::oci
