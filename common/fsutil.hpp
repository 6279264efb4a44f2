// Small filesystem helpers shared by every layer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hutch::fsutil {

/// Reads a whole file. Throws NotFound if it does not exist, SysError otherwise.
std::string readFile(const std::string& path);
/// How far a write must get before writeFileAtomic returns.
enum class Sync {
    Durable,   ///< fsync the file and its directory: survives a power failure
    Volatile,  ///< atomic rename only: survives a killed process, not a power failure
};

/// Writes `data` to `path` atomically: an unnamed (O_TMPFILE) file in the same directory,
/// linked to a temp name once written and renamed over the target (fsync of file and
/// directory when `sync` is Durable). Readers see the old or the new content, never a mix;
/// a writer killed mid-write leaves no temp file. `mode` applies to the new file. Throws
/// SysError.
void writeFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644,
                     Sync sync = Sync::Durable);
/// mkdir -p with `mode` for created directories. Throws SysError.
void mkdirAll(const std::string& path, unsigned mode = 0755);
/// rm -rf that never follows symlinks and never crosses into other mounts' content
/// (it does not unmount: a mount point below `path` is an EBUSY SysError). Any depth and
/// path length with a bounded number of fds (common/fswalk.hpp); directories the owner may
/// not read, search or write (0000, 0555) are made rwx for the owner on the way. Missing
/// path is not an error. Throws SysError.
void removeAll(const std::string& path);
/// removeAll of the entry `name` of the directory `dirfd`; `shown` names it in errors.
void removeAt(int dirfd, const std::string& name, const std::string& shown);
/// True if the path exists (lstat).
bool exists(const std::string& path);
/// Joins path components with exactly one '/' between them.
std::string join(std::string_view a, std::string_view b);

/// An exclusive or shared advisory lock (flock) on a lock file, held for the object's
/// lifetime. The file is created if missing.
class FileLock {
public:
    enum class Mode { Shared, Exclusive };
    /// Blocks until the lock is held. Throws SysError.
    FileLock(const std::string& path, Mode mode);
    /// Non-blocking attempt; check held().
    static FileLock tryLock(const std::string& path, Mode mode);
    ~FileLock();
    FileLock(FileLock&& o) noexcept;
    FileLock& operator=(FileLock&&) = delete;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    bool held() const { return fd_ >= 0; }

private:
    FileLock() = default;
    int fd_ = -1;
};

/// A new directory `<parent>/<prefix>XXXXXX` (mkdtemp), flock()ed while this lives and
/// removed with its content when it goes out of scope (a removal error is logged, never
/// thrown). Throws SysError naming `parent` when it cannot be made.
class TempDir {
public:
    TempDir(const std::string& parent, const std::string& prefix);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

    /// Removes the `<parent>/<prefix>*` directories that no live TempDir holds (not locked)
    /// and that are at least 10 s old (the moment between mkdtemp and flock): what a
    /// process killed with SIGKILL left behind. Errors are logged, never thrown.
    static void removeStale(const std::string& parent, const std::string& prefix);
    /// True when no live TempDir holds `path`: it is missing, or at least 10 s old and not
    /// locked (as removeStale decides). Never throws.
    static bool abandoned(const std::string& path);

private:
    std::string path_;
    int lock_ = -1;
};

/// Resolves `path` inside `root` as if `root` were "/" (symlinks, "..", absolute link
/// targets never leave it; like openat2 RESOLVE_IN_ROOT). Returns a host path under root.
/// Throws SysError(ELOOP) after 255 links.
std::string resolveInRoot(const std::string& root, const std::string& path);

}  // namespace hutch::fsutil

namespace hutch::str {

/// Splits on every `sep`; keeps empty fields.
std::vector<std::string> split(std::string_view s, char sep);
/// Splits on the first `sep`: {before, after}; after is empty (and found=false) if absent.
std::pair<std::string, std::string> cut(std::string_view s, char sep, bool* found = nullptr);
std::string trim(std::string_view s);
std::string join(const std::vector<std::string>& v, std::string_view sep);
/// Random lower-case hex string of `bytes` bytes (2*bytes chars) from getrandom(2).
std::string randomHex(size_t bytes);

}  // namespace hutch::str
