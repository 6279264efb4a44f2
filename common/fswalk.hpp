// Walking directory trees of any depth with a bounded number of file descriptors.
//
// Every recursive walk in hutch (tree removal, copies, layer diffs, chown, disk usage, ...)
// goes through these helpers, so that an image with 100,000 nested directories (or paths far
// longer than PATH_MAX) neither exhausts RLIMIT_NOFILE nor the C++ stack:
//  - two directory fds are held per walk (DirCursor: the root and the current directory); a
//    parent below the root is re-opened through ".." of the child and checked against the
//    inode met on the way down, so a walk never leaves its root, even if the tree is moved
//    meanwhile (that is an error);
//  - every step is relative to an open directory (openat/fstatat/unlinkat by name), so path
//    length never matters;
//  - symlinks are never followed (O_NOFOLLOW / AT_SYMLINK_NOFOLLOW);
//  - the walk keeps an explicit stack (the entry lists of the directories above), it never
//    recurses per level.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hutch/common/fd.hpp"

namespace hutch::fsutil {

/// One entry of a directory: its name and its lstat.
struct DirEntry {
    std::string name;
    struct stat st {};
};

/// The entries of the open directory `dirFd` (not "." / ".."), each lstat'ed
/// (fstatat AT_SYMLINK_NOFOLLOW; entries removed meanwhile are left out), sorted by name
/// (byte order) when `sorted`. `dirFd` is not consumed and its offset is not moved. Throws
/// SysError naming `shown`.
std::vector<DirEntry> listDir(int dirFd, const std::string& shown, bool sorted = true);

/// "/proc/self/fd/<dirFd>/<name>": a short path to entry `name` of an open directory, for
/// the path-only system calls (lgetxattr, ...) whatever the entry's real path length.
std::string fdPath(int dirFd, const std::string& name);

/// A position in a directory tree, held by two open directory fds whatever the depth (the
/// root's and the current directory's).
class DirCursor {
public:
    /// Starts at the open directory `root` (owned from now on); `shown` names it in errors.
    DirCursor(UniqueFd root, std::string shown);
    /// Opens the directory `path` (O_NOFOLLOW on its last component). Throws SysError.
    explicit DirCursor(const std::string& path);

    /// The directory the cursor is at (valid until the next down/up).
    int fd() const { return fd_.get(); }
    /// Levels below the root (0 at the root).
    size_t depth() const { return ids_.size(); }
    /// The path of the current directory relative to the root ("" at the root).
    const std::string& rel() const { return rel_; }
    /// `shown` of the root joined with rel(), for messages.
    std::string shown() const;
    /// `shown` of entry `name` of the current directory, for messages.
    std::string shown(const std::string& name) const;

    /// Enters the subdirectory `name` (O_DIRECTORY|O_NOFOLLOW: a symlink is never entered).
    /// When `expect` is given the directory must be that inode (it was replaced otherwise).
    /// Returns 0, or the errno of the open (the cursor does not move then).
    int tryDown(const std::string& name, const struct stat* expect = nullptr);
    /// tryDown that throws SysError naming the directory.
    void down(const std::string& name, const struct stat* expect = nullptr);
    /// Back to the parent directory, through ".." of the current one; the parent must be the
    /// directory that down() left (Error "moved while walked" otherwise). Error at the root.
    void up();

private:
    UniqueFd rootFd_, fd_;  // the root stays open: two fds per cursor
    std::string root_, rel_;
    std::vector<std::pair<dev_t, ino_t>> ids_;  // the directories above the current one
    std::vector<size_t> relLens_;
};

/// What walk() shows its visitor: entry `name` of the open directory `dirFd`.
struct WalkEntry {
    int dirFd;
    const std::string& name;
    const struct stat& st;   ///< lstat, taken when the directory was listed
    const std::string& rel;  ///< path relative to the walked root ("a/b/name")
    size_t depth;            ///< 1 for the root's own entries
};

/// Callbacks of walk(); both optional.
struct WalkVisitor {
    /// Every entry below the root, a directory before its content. Return whether to enter a
    /// directory (ignored for the others).
    std::function<bool(const WalkEntry&)> pre;
    /// A directory after its content (only the ones entered), `dirFd` being its parent.
    std::function<void(const WalkEntry&)> post;
    /// Leave out the directories that cannot be opened for lack of permission (EACCES)
    /// instead of failing (their post is not called).
    bool skipDenied = false;
};

/// Depth-first walk of the tree below the open directory `rootFd` (not consumed; the root
/// itself is not visited), each directory's entries in name order; `shown` names the root
/// in errors. Bounded fds, no recursion, symlinks never followed (see the file comment).
/// Throws SysError naming the path, and whatever the visitor throws.
void walk(int rootFd, const std::string& shown, const WalkVisitor& visitor);

/// Opens the directory `rel` ("a/b/c", "" = `rootFd` itself) below `rootFd` one component at
/// a time, never following a symlink and never leaving `rootFd` ("." / ".." / empty
/// components are refused: EINVAL), so `rel` may be longer than PATH_MAX. Returns the fd or
/// -errno; never throws.
int openDirBeneath(int rootFd, const std::string& rel, int flags = O_RDONLY);

}  // namespace hutch::fsutil
