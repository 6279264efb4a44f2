// Copying directory trees with full fidelity: owners, modes, xattrs, hardlinks, symlinks,
// sparse files, device nodes and timestamps. Used by the vfs driver (a layer on its parent),
// volume copy-up and the runtime's tmpcopyup mounts.
#pragma once

#include <string>
#include <vector>

#include "hutch/common/idmap.hpp"

namespace hutch::fsutil {

/// Owners for a copy: every uid (gid) of the source is taken as a container id and mapped
/// through `uids` (`gids`), as a layer is copied for a container with its own user
/// namespace mapping (`--uidmap`). Empty = owners kept.
struct IdShift {
    std::vector<IdMapping> uids, gids;
    std::string flag = "--uidmap";  ///< named in the error for an id the mapping leaves out
};

/// Copies the tree `srcDir` into the existing empty directory `dstDir` preserving owners,
/// modes, xattrs, hardlinks (within the tree), symlinks, sparse files, device nodes
/// (skipped with a debug log on EPERM) and timestamps; file data via FICLONE, then
/// copy_file_range, then read/write. The root's own metadata is copied too. Any depth and
/// path length with a bounded number of fds, symlinks never followed (common/fswalk.hpp).
/// Throws SysError.
void copyTree(const std::string& srcDir, const std::string& dstDir);

/// copyTree with every owner mapped through `shift`. The set-id bits survive the chown.
/// Throws InvalidArgument naming the file and shift.flag for an owner the mapping leaves
/// out, SysError otherwise.
void copyTreeShifted(const std::string& srcDir, const std::string& dstDir, const IdShift& shift);

/// Re-owns the tree `dir` in place (its root included): every owner mapped through `shift`,
/// each inode once (hardlinks), set-id bits kept. Throws as copyTreeShifted.
void shiftTreeInPlace(const std::string& dir, const IdShift& shift);

/// The largest uid or gid owning an entry of the tree `dir` (its root included). Throws SysError.
uint32_t maxOwnerId(const std::string& dir);

/// Like copyTree, for open directories, and without touching the metadata of `dstFd`
/// itself (only what is inside it is copied). Throws SysError naming the relative path.
void copyDirContents(int srcFd, int dstFd);

/// Copies all xattrs of `srcFd` to `dstFd` (both regular files or directories). Errors on
/// security.capability are thrown; others (EPERM/ENOTSUP on trusted.* etc.) are skipped.
void copyXattrs(int srcFd, int dstFd, const std::string& shown);

}  // namespace hutch::fsutil
