// Deterministic layer tar writer (image-spec layer.md "Creating" changesets): the inverse of
// the applier. Two inputs:
//  - an overlay layer's own directory (its diff/ or a container's upper dir): every entry is
//    a change; 0/0 character devices are whiteouts, the `trusted.overlay.opaque` /
//    `user.overlay.opaque` xattr ("y") marks an opaque directory;
//  - for vfs, a layer's full tree compared with its parent's full tree.
//
// Output rules (same on-disk content -> same bytes; applying the tar and writing the result
// again gives the same bytes):
//  - PAX restricted (ustar headers; a pax header only where needed: xattrs, long names, big
//    ids or sizes), no uname/gname, no atime/ctime, mtime in whole seconds;
//  - depth first, the names of each directory sorted by byte order of the emitted name, a
//    directory right before its content (the order of Go's filepath.Walk, as docker and
//    containers/storage write layers), the opaque marker `DIR/.wh..wh..opq` right after DIR;
//  - whiteouts as empty regular files `.wh.NAME` (mode 0, owner 0:0, mtime 0);
//  - a regular file with several names in the tar is written once, the later names as
//    hardlink entries to the first path written;
//  - xattrs sorted by name, except the overlay ones (trusted.overlay.*, user.overlay.*);
//  - sockets are skipped (tar cannot hold them); the root directory itself is not written.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "hutch/common/fscopy.hpp"
#include "hutch/storage/applier.hpp"

namespace hutch::storage {

/// Consumes `n` bytes of the tar stream. May throw; the error is passed through unchanged.
using WriteFn = std::function<void(const void* data, size_t n)>;

/// What writing a layer tar produced.
struct LayerTarResult : ApplyResult {
    size_t entries = 0;  ///< tar entries written (0: no changes; the stream is then only the end marker)
};

/// Writes the changeset held in the overlay layer directory `diffDir` (a layer's diff/ or a
/// container's upper dir) through `out`; returns the diffID (sha256 of the bytes written),
/// the byte count and the entry count. Throws SysError naming the path on I/O errors, Error
/// for libarchive failures, and whatever `out` throws.
/// With `unshift` (a container layer with its own id mapping, Driver::shiftLayer), the owners
/// are written as the container sees them: each id mapped back through it.
LayerTarResult writeOverlayDiff(const std::string& diffDir, const WriteFn& out, const fsutil::IdShift* unshift = nullptr);

/// Writes the changes of the tree `layerDir` relative to the tree `parentDir` ("" = no
/// parent: everything is added): entries added or changed (type, mode, owner, size, link
/// count, mtime in ns, symlink target, device numbers, xattrs) with the directories above
/// them, and a whiteout `.wh.NAME` for the topmost path of each removed subtree. Errors as
/// writeOverlayDiff.
LayerTarResult writeTreeDiff(const std::string& parentDir, const std::string& layerDir, const WriteFn& out,
                             const fsutil::IdShift* unshift = nullptr);

/// One path of a layer's changeset: what the layer tar of the same walk holds, for `diff`.
struct ChangesetEntry {
    std::string path;       ///< absolute in the layer: "/etc/passwd"
    bool whiteout = false;  ///< removed by this layer (no `st`)
    bool opaque = false;    ///< a directory that hides the lower layers' content (overlay opaque)
    struct stat st {};      ///< its lstat
};

/// The changeset held in the overlay layer directory `diffDir` (as writeOverlayDiff walks it),
/// depth first, a directory before its content, the names of each directory in byte order of
/// the real names (a whiteout sorts as the name it removes, as containers/storage walks a
/// layer). Throws SysError naming the path.
std::vector<ChangesetEntry> overlayChangeset(const std::string& diffDir);

/// The changes of the tree `layerDir` relative to the tree `parentDir` ("" = none), as
/// writeTreeDiff finds them (directories above a change included), in overlayChangeset's order.
/// Throws SysError naming the path.
std::vector<ChangesetEntry> treeChangeset(const std::string& parentDir, const std::string& layerDir);

/// True when the directory `path` carries an overlay opaque marker (trusted.overlay.opaque or
/// user.overlay.opaque = "y").
bool overlayOpaque(const std::string& path);

}  // namespace hutch::storage
