// Layers out of storage, shared by push and save: an image's layer chain, and one layer's
// diff written (optionally gzip-compressed) to an unlinked temporary file with its digests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <functional>

#include "hutch/common/digest.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/storage/layers.hpp"

namespace hutch::storage {
class Store;
}

namespace hutch::engine {

/// The layers from `topLayer` down to the base, returned base first. Throws Error naming a
/// missing layer.
std::vector<storage::Layer> imageLayers(storage::Store& store, const std::string& topLayer);

/// A layer diff in an unlinked temp file (in the graph root): `digest`/`size` describe the
/// file's bytes (gzip or plain tar), `diffId` the uncompressed tar.
struct ExportedLayer {
    UniqueFd fd;
    Digest diffId, digest;
    int64_t size = 0;
};

/// Writes layer `layerId`'s changeset (Store::layerDiff) to a temp file, gzip-compressed
/// (deterministic: no name, mtime 0) when `gzip`, hashing as it goes. Throws SysError on
/// write errors, Store::layerDiff's errors.
ExportedLayer exportLayer(storage::Store& store, const std::string& layerId, bool gzip);

/// Copies `size` bytes from offset 0 of `fd` to `out` in chunks (pread). Throws SysError.
void readFileChunks(int fd, int64_t size, const std::function<void(const void*, size_t)>& out);

}  // namespace hutch::engine
