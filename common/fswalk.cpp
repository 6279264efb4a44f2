// Bounded-fd, non-recursive tree walks (see fswalk.hpp) and the tree remover built on them.
#include "hutch/common/fswalk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::fsutil {

namespace {

// Names in the open directory `dirFd` (not "." / ".."), read through a fresh open file
// description so that `dirFd`'s own offset stays.
std::vector<std::string> readNames(int dirFd, const std::string& shown) {
    int fd = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw SysError(errno, "open directory " + shown);
    DIR* d = ::fdopendir(fd);
    if (!d) {
        int e = errno;
        ::close(fd);
        throw SysError(e, "open directory " + shown);
    }
    std::vector<std::string> out;
    for (;;) {
        errno = 0;
        dirent* e = ::readdir(d);
        if (!e) {
            int err = errno;
            ::closedir(d);
            if (err != 0) throw SysError(err, "read directory " + shown);
            return out;
        }
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) out.emplace_back(e->d_name);
    }
}

std::string joinShown(const std::string& dir, const std::string& name) {
    if (dir.empty()) return name;
    return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace

std::vector<DirEntry> listDir(int dirFd, const std::string& shown, bool sorted) {
    std::vector<std::string> names = readNames(dirFd, shown);
    if (sorted) std::sort(names.begin(), names.end());
    std::vector<DirEntry> out;
    out.reserve(names.size());
    for (auto& n : names) {
        DirEntry e;
        if (::fstatat(dirFd, n.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;  // removed meanwhile
            throw SysError(errno, "stat " + joinShown(shown, n));
        }
        e.name = std::move(n);
        out.push_back(std::move(e));
    }
    return out;
}

std::string fdPath(int dirFd, const std::string& name) {
    return "/proc/self/fd/" + std::to_string(dirFd) + "/" + name;
}

DirCursor::DirCursor(UniqueFd root, std::string shown) : rootFd_(std::move(root)), root_(std::move(shown)) {
    if (rootFd_) fd_.reset(::fcntl(rootFd_.get(), F_DUPFD_CLOEXEC, 0));
    if (rootFd_ && !fd_) throw SysError(errno, "dup the directory fd of " + root_);
}

DirCursor::DirCursor(const std::string& path)
    : DirCursor(UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)), path) {
    if (!fd_) throw SysError(errno, "open directory " + path);
}

std::string DirCursor::shown() const { return rel_.empty() ? root_ : joinShown(root_, rel_); }

std::string DirCursor::shown(const std::string& name) const { return joinShown(shown(), name); }

int DirCursor::tryDown(const std::string& name, const struct stat* expect) {
    struct stat here {};
    if (::fstat(fd_.get(), &here) != 0) return errno;
    int fd = ::openat(fd_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno;
    UniqueFd child(fd);
    if (expect) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) return errno;
        if (st.st_dev != expect->st_dev || st.st_ino != expect->st_ino) return ESTALE;  // replaced meanwhile
    }
    ids_.emplace_back(here.st_dev, here.st_ino);
    relLens_.push_back(rel_.size());
    if (!rel_.empty()) rel_ += '/';
    rel_ += name;
    fd_ = std::move(child);
    return 0;
}

void DirCursor::down(const std::string& name, const struct stat* expect) {
    if (int e = tryDown(name, expect); e != 0) throw SysError(e, "open directory " + shown(name));
}

void DirCursor::up() {
    if (ids_.empty()) throw Error("internal: walking above the root " + root_);
    // Back at the root through its own fd: ".." of a child of a directory something is now
    // mounted on (tmpcopyup copies what a mount covers) would lead into that mount.
    UniqueFd parent(ids_.size() == 1 ? ::openat(rootFd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                     : ::openat(fd_.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent) throw SysError(errno, "open the parent of " + shown());
    struct stat st {};
    if (::fstat(parent.get(), &st) != 0) throw SysError(errno, "stat the parent of " + shown());
    if (st.st_dev != ids_.back().first || st.st_ino != ids_.back().second)
        throw Error(shown() + " was moved while walked; not leaving " + root_);
    ids_.pop_back();
    rel_.resize(relLens_.back());
    relLens_.pop_back();
    fd_ = std::move(parent);
}

void walk(int rootFd, const std::string& shown, const WalkVisitor& v) {
    int fd = ::openat(rootFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw SysError(errno, "open directory " + shown);
    DirCursor cur(UniqueFd(fd), shown);
    struct Frame {
        std::vector<DirEntry> entries;
        size_t next = 0;
    };
    std::vector<Frame> frames;
    frames.push_back({listDir(cur.fd(), shown), 0});
    std::string rel;  // of the entry being visited
    std::vector<size_t> relLens;
    while (!frames.empty()) {
        if (frames.back().next == frames.back().entries.size()) {
            frames.pop_back();
            if (frames.empty()) break;
            cur.up();
            const DirEntry& de = frames.back().entries[frames.back().next - 1];
            if (v.post) v.post(WalkEntry{cur.fd(), de.name, de.st, rel, frames.size()});
            rel.resize(relLens.back());
            relLens.pop_back();
            continue;
        }
        const DirEntry& de = frames.back().entries[frames.back().next++];
        size_t base = rel.size();
        if (!rel.empty()) rel += '/';
        rel += de.name;
        bool enter = v.pre ? v.pre(WalkEntry{cur.fd(), de.name, de.st, rel, frames.size()}) : true;
        if (!S_ISDIR(de.st.st_mode) || !enter) {
            rel.resize(base);
            continue;
        }
        if (int e = cur.tryDown(de.name, &de.st); e != 0) {
            if (e == EACCES && v.skipDenied) {
                rel.resize(base);
                continue;
            }
            throw SysError(e, "open directory " + cur.shown(de.name));
        }
        relLens.push_back(base);
        frames.push_back({listDir(cur.fd(), cur.shown()), 0});
    }
}

int openDirBeneath(int rootFd, const std::string& rel, int flags) {
    UniqueFd cur;
    int at = rootFd;
    size_t i = 0;
    if (rel.empty()) {
        int fd = ::openat(rootFd, ".", flags | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    for (;;) {
        size_t j = rel.find('/', i);
        bool last = j == std::string::npos;
        std::string c = rel.substr(i, last ? std::string::npos : j - i);
        if (c.empty() || c == "." || c == "..") return -EINVAL;
        int fd = ::openat(at, c.c_str(), (last ? flags : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return -errno;
        if (last) return fd;
        cur.reset(fd);
        at = fd;
        i = j + 1;
    }
}

// ---- removal ----

namespace {

uint64_t mountId(int fd) {
    struct statx sx {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID)) return 0;
    return sx.stx_mnt_id;
}

// Enters directory `name` to empty it. A directory we may not read or search (mode 0000,
// 0200, ...) is made rwx for its owner first: it is about to go anyway. Never follows a
// symlink (fchmodat AT_SYMLINK_NOFOLLOW). Returns 0 or the errno.
int enterForRemoval(DirCursor& cur, const std::string& name) {
    int e = cur.tryDown(name);
    if (e == EACCES && ::fchmodat(cur.fd(), name.c_str(), 0700, AT_SYMLINK_NOFOLLOW) == 0) e = cur.tryDown(name);
    return e;
}

// Makes the current directory writable and searchable for its owner (once per directory):
// needed to unlink in a directory made read-only (0555, 0000).
void makeRemovable(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700) ::fchmod(fd, (st.st_mode & 07777) | 0700);
}

// unlinkat that, on EACCES/EPERM, makes `dirFd` writable once and tries again.
int unlinkIn(int dirFd, const std::string& name, int flags) {
    if (::unlinkat(dirFd, name.c_str(), flags) == 0) return 0;
    int e = errno;
    if (e != EACCES && e != EPERM) return e;
    makeRemovable(dirFd);
    if (::unlinkat(dirFd, name.c_str(), flags) == 0) return 0;
    return errno;
}

}  // namespace

void removeAt(int dirfd, const std::string& name, const std::string& shown) {
    if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    int unlinkErr = errno;
    if (unlinkErr != EISDIR && unlinkErr != EPERM) throw SysError(unlinkErr, "remove " + shown);

    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES && ::fchmodat(dirfd, name.c_str(), 0700, AT_SYMLINK_NOFOLLOW) == 0)
        fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        if (errno == ENOTDIR || errno == ELOOP) throw SysError(unlinkErr, "remove " + shown);
        throw SysError(errno, "open directory " + shown);
    }
    DirCursor cur(UniqueFd(fd), shown);
    const uint64_t mnt = mountId(cur.fd());
    makeRemovable(cur.fd());

    // An explicit stack of the names left in each directory entered; one fd held.
    std::vector<std::vector<std::string>> frames;
    std::vector<size_t> next;
    frames.push_back(readNames(cur.fd(), shown));
    next.push_back(0);
    while (!frames.empty()) {
        if (next.back() == frames.back().size()) {
            frames.pop_back();
            next.pop_back();
            if (frames.empty()) break;
            const std::string& dir = frames.back()[next.back() - 1];
            cur.up();
            if (int e = unlinkIn(cur.fd(), dir, AT_REMOVEDIR); e != 0 && e != ENOENT)
                throw SysError(e, "remove " + cur.shown(dir));
            continue;
        }
        const std::string& n = frames.back()[next.back()++];
        int e = unlinkIn(cur.fd(), n, 0);
        if (e == 0 || e == ENOENT) continue;
        if (e != EISDIR && e != EPERM) throw SysError(e, "remove " + cur.shown(n));
        int de = enterForRemoval(cur, n);
        if (de == ENOENT) continue;
        if (de == ENOTDIR || de == ELOOP) throw SysError(e, "remove " + cur.shown(n));
        if (de != 0) throw SysError(de, "open directory " + cur.shown(n));
        if (uint64_t m = mountId(cur.fd()); m != 0 && mnt != 0 && m != mnt) {
            std::string where = cur.shown();
            cur.up();
            throw SysError(EBUSY, "remove " + where + " (a mount point: not removing what is mounted there)");
        }
        makeRemovable(cur.fd());
        frames.push_back(readNames(cur.fd(), cur.shown()));
        next.push_back(0);
    }
    cur = DirCursor(UniqueFd(), shown);  // closes the directory before its rmdir
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) throw SysError(errno, "remove " + shown);
}

void removeAll(const std::string& path) {
    if (path.empty() || path == "/") throw InvalidArgument("refusing to remove \"" + path + "\"");
    removeAt(AT_FDCWD, path, path);
}

}  // namespace hutch::fsutil
