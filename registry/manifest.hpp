// Manifests and indexes: OCI image-spec manifest.md / image-index.md / descriptor.md and the
// Docker "schema 2" equivalents (manifest v2, manifest list).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hutch/common/digest.hpp"
#include "hutch/registry/platform.hpp"

namespace hutch::registry {

namespace mediatype {
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr const char* kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// The Accept header value for manifest requests (all four supported types, schema1 last
/// so a registry that only has schema 1 answers with it and we can say so clearly).
std::string acceptHeader();
}  // namespace mediatype

/// A content descriptor (descriptor.md). `platform` is set only for index entries that
/// carry one.
struct Descriptor {
    std::string mediaType;
    Digest digest;
    int64_t size = 0;
    std::optional<Platform> platform;
    std::map<std::string, std::string> annotations;
    std::vector<std::string> urls;
};

enum class ManifestKind { OciManifest, OciIndex, DockerManifest, DockerManifestList };

/// True for the two index kinds.
bool isIndexKind(ManifestKind k);

/// Decides what a manifest body is from the Content-Type the registry sent (`mediaType`,
/// may be empty or generic such as application/json) and, failing that, the body's own
/// "mediaType" field and shape (OCI allows mediaType to be absent: "manifests" -> index,
/// "config"+"layers" -> manifest). Throws Error "manifest schema 1 (<type>) is not
/// supported..." for Docker schema 1, InvalidArgument for invalid JSON or an unknown type.
ManifestKind classifyManifest(const std::string& mediaType, const std::string& body);

/// An image manifest (OCI or Docker v2 schema 2).
struct ImageManifest {
    ManifestKind kind;
    std::string mediaType;
    Descriptor config;
    std::vector<Descriptor> layers;
};

/// An index (OCI image index or Docker manifest list).
struct ImageIndex {
    ManifestKind kind;
    std::vector<Descriptor> manifests;
};

/// True for the layer media types hutch can unpack: OCI's tar, tar+gzip and tar+zstd (also
/// "nondistributable"), Docker's rootfs.diff.tar[.gzip] and rootfs.foreign.diff.tar[.gzip].
/// Encrypted layers and any other type are not layers hutch knows.
bool isLayerMediaType(const std::string& mediaType);

/// Parses an image manifest body. Checks schemaVersion 2, the descriptor rules
/// (mediaType pattern, size >= 0 integer, digest grammar) and that layer media types are
/// layers (isLayerMediaType). Throws InvalidArgument naming the field ("layers[1].digest:
/// ...", "manifest.layers[0]: layer sha256:... has unsupported media type \"x/y\"").
ImageManifest parseManifest(const std::string& body, ManifestKind kind);

/// Parses an index / manifest list. Throws InvalidArgument naming the field.
ImageIndex parseIndex(const std::string& body, ManifestKind kind);

/// Picks the index entry for `want` as containers/image does: for each platform of
/// wantedPlatforms(want) in order, the first entry with that os, architecture and variant
/// (so linux/arm64/v8 takes an arm64 "v8" entry before one without a variant, wherever
/// they are in the index). Throws NotFound listing the platforms the index has.
const Descriptor& choosePlatform(const ImageIndex& index, const Platform& want);

}  // namespace hutch::registry
