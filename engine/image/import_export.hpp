// `hutch import` and `hutch export` (podman import/export): a container's root filesystem as
// one tar, and a root filesystem tar (plain, gzip, xz, bzip2 or zstd) as a one-layer image.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// podman import's options.
struct ImportOptions {
    std::string source;                ///< a file path, or "-" for standard input
    std::string reference;             ///< new image name ("" = none); see commitImageName
    std::vector<std::string> changes;  ///< -c: Dockerfile instructions (applyChanges)
    std::string message;               ///< -m: the history entry's comment
};

/// Imports the tarball as a new image and returns its id (64 hex): the stream is
/// decompressed (libarchive's filters) to an unlinked temp file while its diffID is
/// computed, applied as a base layer (id = diffID; an existing one is reused), and the image
/// written with a config for this host (architecture, os linux, the changes applied) and the
/// history entry podman writes ("/bin/sh -c #(nop) ADD file:<diffID hex> in / ", comment
/// "imported from tarball" or -m). Throws InvalidArgument naming the source when it is not
/// a (compressed) tar or a change is bad, SysError when it cannot be read, the store's errors.
std::string importImage(Context& ctx, const ImportOptions& o);

/// Writes the container's root filesystem (its image's layers and its changes, as the
/// container sees them) as one uncompressed tar through `out` (layer_tar.hpp's rules, every
/// file an addition). The container may run; a stopped one is mounted for the export and
/// unmounted after. Throws NotFound naming the container, layer_tar.hpp's errors, whatever
/// `out` throws.
void exportContainer(Context& ctx, const std::string& container, const std::function<void(const void*, size_t)>& out);

}  // namespace hutch::engine
