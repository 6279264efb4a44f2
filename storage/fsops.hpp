// Low-level, fd-based filesystem operations used by the layer applier and the drivers.
// Every path handed to these helpers is relative to a root directory fd and is resolved
// INSIDE that root (openat2 RESOLVE_IN_ROOT), so no operation ever reaches outside it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fscopy.hpp"
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

/// Tree copies: common/fscopy.hpp.
using fsutil::copyTree;
using fsutil::copyXattrs;

}  // namespace hutch::storage::fsops
