// Copying directory trees with full fidelity: owners, modes, xattrs, hardlinks, symlinks,
// sparse files, device nodes and timestamps. Used by the vfs driver (a layer on its parent),
// volume copy-up and the runtime's tmpcopyup mounts.
#pragma once

#include <string>

namespace hutch::fsutil {

/// Copies the tree `srcDir` into the existing empty directory `dstDir` preserving owners,
/// modes, xattrs, hardlinks (within the tree), symlinks, sparse files, device nodes
/// (skipped with a debug log on EPERM) and timestamps; file data via FICLONE, then
/// copy_file_range, then read/write. The root's own metadata is copied too. Any depth and
/// path length with a bounded number of fds, symlinks never followed (common/fswalk.hpp).
/// Throws SysError.
void copyTree(const std::string& srcDir, const std::string& dstDir);

/// Like copyTree, for open directories, and without touching the metadata of `dstFd`
/// itself (only what is inside it is copied). Throws SysError naming the relative path.
void copyDirContents(int srcFd, int dstFd);

/// Copies all xattrs of `srcFd` to `dstFd` (both regular files or directories). Errors on
/// security.capability are thrown; others (EPERM/ENOTSUP on trusted.* etc.) are skipped.
void copyXattrs(int srcFd, int dstFd, const std::string& shown);

}  // namespace hutch::fsutil
