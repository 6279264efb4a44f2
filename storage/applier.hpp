// Layer applier: applies an OCI layer tar stream (image-spec layer.md "Applying Changesets")
// onto a directory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "hutch/common/digest.hpp"

namespace hutch::storage {

/// Pulls up to n bytes of a stream into buf; returns 0 at EOF. May throw (the error is
/// passed through applyLayer unchanged).
using ReadFn = std::function<size_t(void* buf, size_t n)>;

/// What applying a layer produced.
struct ApplyResult {
    Digest diffId;                   ///< sha256 of the uncompressed tar stream (image-spec config.md "rootfs")
    uint64_t uncompressedSize = 0;   ///< bytes of the uncompressed tar stream
};

/// Applies the layer tar stream `diff` (gzip, zstd or plain; detected from its bytes) onto
/// the existing directory `root` (image-spec layer.md):
///  - whiteouts `.wh.<name>` remove lower content; `.wh..wh..opq` clears the lower content
///    of its directory but keeps entries of this layer; both work in any tar order;
///  - every path (entry names, hardlink targets, parents) is resolved inside `root`
///    (openat2 RESOLVE_IN_ROOT); symlinks are stored as they are and never followed at the
///    final component; ".." above the root in an entry name is an error;
///  - owners (lchown before chmod, so setuid/setgid survive), modes, xattrs (including
///    security.capability) and mtimes (directories after their content) are restored;
///  - device nodes are created with mknod, or skipped (debug log) when that gives EPERM.
/// The whole stream is read and hashed, also past the tar end-of-archive marker.
/// Throws InvalidArgument naming the entry for a malformed archive (bad whiteout, path
/// escaping the root, bad device numbers), SysError naming the path for I/O failures, and
/// whatever `diff` throws. On error the directory is left partially applied: callers remove it.
ApplyResult applyLayer(const std::string& root, const ReadFn& diff);

}  // namespace hutch::storage
