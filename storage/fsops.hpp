// Low-level, fd-based filesystem operations used by the layer applier and the drivers.
// Every path handed to these helpers is relative to a root directory fd and is resolved
// INSIDE that root (openat2 RESOLVE_IN_ROOT), so no operation ever reaches outside it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::storage::fsops {

/// openat2(2) with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS relative to `rootFd`.
/// Returns the fd or -errno (never throws). `flags` are open flags (O_CLOEXEC is added).
int openInRoot(int rootFd, const std::string& rel, int flags, unsigned mode = 0);

/// Lexically cleans an archive path: strips leading '/', drops "." and empty components.
/// ".." pops a component; a ".." at the root is dropped (clamped to the root, as
/// RESOLVE_IN_ROOT does) and sets `*escaped` to true. Returns the components.
std::vector<std::string> cleanComponents(std::string_view path, bool* escaped = nullptr);
/// join of cleanComponents with '/', "" for the root itself.
std::string cleanPath(std::string_view path, bool* escaped = nullptr);

/// Removes `name` in directory `dirFd` recursively: fsutil::removeAt (common/fsutil.hpp).
using fsutil::removeAt;

/// Copies the tree `srcDir` into the existing empty directory `dstDir` preserving owners,
/// modes, xattrs, hardlinks (within the tree), symlinks, sparse files, device nodes
/// (skipped with a debug log on EPERM) and timestamps; file data via FICLONE, then
/// copy_file_range, then read/write. The root's own metadata is copied too. Throws SysError.
void copyTree(const std::string& srcDir, const std::string& dstDir);

/// Copies all xattrs of `srcFd` to `dstFd` (both regular files or directories). Errors on
/// security.capability are thrown; others (EPERM/ENOTSUP on trusted.* etc.) are skipped.
void copyXattrs(int srcFd, int dstFd, const std::string& shown);

}  // namespace hutch::storage::fsops
