// Writing a new image into the store from a config and an optional new top layer: the
// common end of `hutch commit` and `hutch build` (API3.md). Manifests describe every layer
// of the image as an uncompressed tar (digest = diffID); the compressed blobs are made at
// push time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hutch/engine/core/context.hpp"
#include "hutch/storage/layers.hpp"

namespace hutch::engine {

/// How a new image is written: format "oci" or "docker" (manifest and config media types).
struct ImageCommit {
    std::string baseImageId;              ///< "" = FROM scratch
    std::optional<storage::Layer> layer;  ///< new top layer (its parent is the base's top), nullopt = config-only change
    nlohmann::json config;                ///< the full image config to store; commitImage sets
                                          ///< rootfs.diff_ids and appends `historyEntry` to `history`
    nlohmann::json historyEntry;          ///< {"created","created_by","comment"?,"empty_layer"?}
    std::string format = "oci";           ///< "oci" | "docker"
    std::vector<std::string> names;       ///< full names (localhost/x:latest), may be empty
};

/// Media types of the manifest, the config and an uncompressed layer for `format` ("oci" or
/// "docker"). Throws InvalidArgument for another format.
struct MediaTypes {
    std::string manifest, config, layer;
};
MediaTypes mediaTypesFor(const std::string& format);

/// Writes the image and returns its id (64 hex, the sha256 of the compact config JSON):
///  - rootfs = {"type":"layers","diff_ids": the diffIDs of the layer chain in the store
///    (the base image's layers, then `layer`)}; `history` gets `historyEntry` appended
///    ("empty_layer": true added when there is no new layer); `created` is set from
///    historyEntry's when it has one;
///  - big data "config" and "manifest" (image-spec manifest or docker schema 2, each layer
///    an uncompressed tar descriptor: digest = diffID, size = uncompressed bytes);
///  - the image record with `names` (taken from other images), manifest digest recorded.
/// Throws NotFound (base image or a layer of its chain), InvalidArgument (bad format,
/// `layer` not on the base image's top layer).
std::string commitImage(Context& ctx, const ImageCommit& c);

}  // namespace hutch::engine
