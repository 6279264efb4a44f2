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

/// How a layer's whiteouts are represented in the directory it is applied to.
enum class WhiteoutFormat {
    /// Applied (vfs): the directory holds the parent's files, whiteouts remove them.
    Apply,
    /// overlayfs (Documentation/filesystems/overlayfs.rst "whiteouts and opaque
    /// directories"): the directory is the layer's own, initially empty, diff; `.wh.NAME`
    /// becomes a 0/0 character device NAME and `.wh..wh..opq` sets the opaque xattr on its
    /// directory. Tar xattrs in the trusted.overlay. and user.overlay. namespaces are dropped
    /// (a layer must not forge overlay metadata).
    Overlay,
    /// Plain extraction (`volume import`, as a tar tool does): `.wh.` names are ordinary
    /// entries, nothing is removed or marked.
    None,
};

/// Options of applyLayer.
struct ApplyOptions {
    WhiteoutFormat whiteouts = WhiteoutFormat::Apply;
    /// Opaque-directory xattr for WhiteoutFormat::Overlay: "trusted.overlay.opaque" for a
    /// mount by real root, "user.overlay.opaque" for a `userxattr` mount (user namespace).
    std::string opaqueXattr = "trusted.overlay.opaque";
};

/// Applies the layer tar stream `diff` (gzip, zstd or plain; detected from its bytes) onto
/// the existing directory `root` (image-spec layer.md):
///  - whiteouts (WhiteoutFormat::Apply, the default) `.wh.<name>` remove lower content; `.wh..wh..opq` clears the lower content
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
/// With WhiteoutFormat::Overlay whiteouts are recorded instead (see WhiteoutFormat).
ApplyResult applyLayer(const std::string& root, const ReadFn& diff, const ApplyOptions& opts = {});

}  // namespace hutch::storage
