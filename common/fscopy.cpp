// Tree copies with full fidelity (see fscopy.hpp).
#include "hutch/common/fscopy.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/common/log.hpp"

namespace hutch::fsutil {

void copyXattrs(int srcFd, int dstFd, const std::string& shown) {
    ssize_t n = ::flistxattr(srcFd, nullptr, 0);
    if (n <= 0) return;
    std::string names(static_cast<size_t>(n), '\0');
    n = ::flistxattr(srcFd, names.data(), names.size());
    if (n <= 0) return;
    names.resize(static_cast<size_t>(n));
    for (size_t i = 0; i < names.size();) {
        std::string name(names.c_str() + i);
        i += name.size() + 1;
        ssize_t vn = ::fgetxattr(srcFd, name.c_str(), nullptr, 0);
        if (vn < 0) continue;
        std::string val(static_cast<size_t>(vn), '\0');
        vn = ::fgetxattr(srcFd, name.c_str(), val.data(), val.size());
        if (vn < 0) continue;
        val.resize(static_cast<size_t>(vn));
        if (::fsetxattr(dstFd, name.c_str(), val.data(), val.size(), 0) != 0) {
            if (name == "security.capability") throw SysError(errno, "set xattr " + name + " on " + shown);
            log::debug("skipping xattr {} on {}: {}", name, shown, strerror(errno));
        }
    }
}

namespace {

/// The owner the copy of `st` gets: st's, or mapped through `shift`.
std::pair<uid_t, gid_t> ownerFor(const IdShift* shift, const struct stat& st, const std::string& rel) {
    if (!shift) return {st.st_uid, st.st_gid};
    auto u = shift->uids.empty() ? std::optional<uint32_t>(st.st_uid) : mapToHost(shift->uids, st.st_uid);
    auto g = shift->gids.empty() ? std::optional<uint32_t>(st.st_gid) : mapToHost(shift->gids, st.st_gid);
    if (!u || !g)
        throw InvalidArgument("/" + rel + " is owned by " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) +
                              ", which " + shift->flag + " does not map into the container: give the mapping " +
                              "enough ids to cover the image's owners (e.g. 0:1:65536)");
    return {*u, *g};
}

/// Owner (through `shift`), mode and xattrs of `s` onto `d`.
void finishMeta(const IdShift* shift, int s, int d, const struct stat& st, const std::string& rel) {
    auto [uid, gid] = ownerFor(shift, st, rel);
    checkSys(::fchown(d, uid, gid), "chown " + rel);
    checkSys(::fchmod(d, st.st_mode & 07777), "chmod " + rel);  // after the chown, which clears set-id bits
    copyXattrs(s, d, rel);
}

struct Copier {
    int dstRoot;
    DirCursor dst;  // the destination directory matching the walked one
    std::map<std::pair<dev_t, ino_t>, std::string> links;  // src inode -> dst relative path
    const IdShift* shift = nullptr;

    std::pair<uid_t, gid_t> owner(const struct stat& st, const std::string& rel) const { return ownerFor(shift, st, rel); }
    void finishMeta(int s, int d, const struct stat& st, const std::string& rel) const {
        hutch::fsutil::finishMeta(shift, s, d, st, rel);
    }

    static void copyData(int in, int out, off_t size, const std::string& shown) {
        if (size == 0) return;
        if (::ioctl(out, FICLONE, in) == 0) return;
        off_t pos = 0;
        for (;;) {
            off_t data = ::lseek(in, pos, SEEK_DATA);
            if (data < 0) {
                if (errno == ENXIO) break;  // only a hole remains
                data = pos;                 // SEEK_DATA unsupported: copy everything
            }
            off_t hole = ::lseek(in, data, SEEK_HOLE);
            if (hole < 0) hole = size;
            off_t off = data;
            while (off < hole) {
                loff_t inOff = off, outOff = off;
                ssize_t n = ::copy_file_range(in, &inOff, out, &outOff, static_cast<size_t>(hole - off), 0);
                if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                    char buf[65536];
                    size_t want = static_cast<size_t>(std::min<off_t>(hole - off, sizeof buf));
                    n = ::pread(in, buf, want, off);
                    if (n > 0 && ::pwrite(out, buf, static_cast<size_t>(n), off) != n) n = -1;
                }
                if (n < 0) {
                    if (errno == EINTR) continue;
                    throw SysError(errno, "copy data of " + shown);
                }
                if (n == 0) break;
                off += n;
            }
            pos = hole;
            if (pos >= size) break;
        }
        if (::ftruncate(out, size) != 0) throw SysError(errno, "truncate " + shown);
    }

    static void setTimes(int dirFd, const char* name, const struct stat& st, int flags) {
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        ::utimensat(dirFd, name, ts, flags);
    }

    // A second name for an inode copied before as `target` (relative to the destination
    // root): linkat relative to the root, or, for a path too long for one system call,
    // through the target's directory opened one component at a time.
    void link(const std::string& target, const char* n, const std::string& rel) {
        if (target.size() < 2048) {
            checkSys(::linkat(dstRoot, target.c_str(), dst.fd(), n, 0), "link " + rel);
            return;
        }
        size_t slash = target.rfind('/');
        int fd = openDirBeneath(dstRoot, target.substr(0, slash), O_PATH);
        if (fd < 0) throw SysError(-fd, "link " + rel);
        UniqueFd dir(fd);
        checkSys(::linkat(dir.get(), target.c_str() + slash + 1, dst.fd(), n, 0), "link " + rel);
    }

    // Before a directory's content: everything but a directory's own metadata. Returns
    // whether to enter (directories); the destination cursor follows.
    bool pre(const WalkEntry& e) {
        const struct stat& st = e.st;
        const std::string& rel = e.rel;
        const int srcDir = e.dirFd, dstDir = dst.fd();
        const char* n = e.name.c_str();
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
            auto it = links.find({st.st_dev, st.st_ino});
            if (it != links.end()) {
                link(it->second, n, rel);
                return false;
            }
            links[{st.st_dev, st.st_ino}] = rel;
        }
        switch (st.st_mode & S_IFMT) {
            case S_IFDIR:
                if (::mkdirat(dstDir, n, 0700) != 0) throw SysError(errno, "mkdir " + rel);
                dst.down(e.name);
                return true;
            case S_IFREG: {
                UniqueFd s(checkSys(::openat(srcDir, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), "open " + rel));
                UniqueFd d(checkSys(::openat(dstDir, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), "create " + rel));
                copyData(s.get(), d.get(), st.st_size, rel);
                finishMeta(s.get(), d.get(), st, rel);
                struct timespec ts[2] = {st.st_atim, st.st_mtim};
                ::futimens(d.get(), ts);
                return false;
            }
            case S_IFLNK: {
                std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
                ssize_t len = checkSys(::readlinkat(srcDir, n, target.data(), target.size()), "readlink " + rel);
                target.resize(static_cast<size_t>(len));
                checkSys(::symlinkat(target.c_str(), dstDir, n), "symlink " + rel);
                auto [uid, gid] = owner(st, rel);
                checkSys(::fchownat(dstDir, n, uid, gid, AT_SYMLINK_NOFOLLOW), "chown " + rel);
                setTimes(dstDir, n, st, AT_SYMLINK_NOFOLLOW);
                return false;
            }
            default: {  // devices, fifos, sockets
                if (::mknodat(dstDir, n, st.st_mode, st.st_rdev) != 0) {
                    if (errno == EPERM) {
                        log::debug("skipping device node {}: mknod not permitted", rel);
                        return false;
                    }
                    throw SysError(errno, "mknod " + rel);
                }
                auto [uid, gid] = owner(st, rel);
                checkSys(::fchownat(dstDir, n, uid, gid, AT_SYMLINK_NOFOLLOW), "chown " + rel);
                checkSys(::fchmodat(dstDir, n, st.st_mode & 07777, 0), "chmod " + rel);
                setTimes(dstDir, n, st, AT_SYMLINK_NOFOLLOW);
                return false;
            }
        }
    }

    // After a directory's content: its owner, mode, xattrs and times (nothing changes it
    // afterwards).
    void post(const WalkEntry& e) {
        dst.up();
        const char* n = e.name.c_str();
        UniqueFd s(checkSys(::openat(e.dirFd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open " + e.rel));
        UniqueFd d(checkSys(::openat(dst.fd(), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open " + e.rel));
        finishMeta(s.get(), d.get(), e.st, e.rel);
        struct timespec ts[2] = {e.st.st_atim, e.st.st_mtim};
        ::futimens(d.get(), ts);
    }

};

}  // namespace

namespace {

void copyContents(int srcFd, int dstFd, const IdShift* shift) {
    int fd = ::openat(dstFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw SysError(errno, "open the copy's destination");
    Copier c{dstFd, DirCursor(UniqueFd(fd), ""), {}, shift};
    walk(srcFd, "", WalkVisitor{[&c](const WalkEntry& e) { return c.pre(e); }, [&c](const WalkEntry& e) { c.post(e); }});
}

void copyTreeImpl(const std::string& srcDir, const std::string& dstDir, const IdShift* shift) {
    UniqueFd s(::open(srcDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!s) throw SysError(errno, "open " + srcDir);
    UniqueFd d(::open(dstDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d) throw SysError(errno, "open " + dstDir);
    copyContents(s.get(), d.get(), shift);
    struct stat st;
    checkSys(::fstat(s.get(), &st), "stat " + srcDir);
    finishMeta(shift, s.get(), d.get(), st, "");
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::futimens(d.get(), ts);
}

}  // namespace

void copyDirContents(int srcFd, int dstFd) { copyContents(srcFd, dstFd, nullptr); }

void copyTree(const std::string& srcDir, const std::string& dstDir) { copyTreeImpl(srcDir, dstDir, nullptr); }

void copyTreeShifted(const std::string& srcDir, const std::string& dstDir, const IdShift& shift) {
    copyTreeImpl(srcDir, dstDir, &shift);
}

uint32_t maxOwnerId(const std::string& dir) {
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw SysError(errno, "open " + dir);
    struct stat st;
    checkSys(::fstat(root.get(), &st), "stat " + dir);
    uint32_t max = std::max<uint32_t>(st.st_uid, st.st_gid);
    walk(root.get(), dir, WalkVisitor{[&](const WalkEntry& e) {
                                          max = std::max<uint32_t>(max, std::max<uint32_t>(e.st.st_uid, e.st.st_gid));
                                          return true;
                                      },
                                      nullptr});
    return max;
}

void shiftTreeInPlace(const std::string& dir, const IdShift& shift) {
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw SysError(errno, "open " + dir);
    std::set<std::pair<dev_t, ino_t>> done;  // an inode with two names is re-owned once
    auto reown = [&](int dirFd, const char* name, const struct stat& st, const std::string& rel) {
        if (!done.insert({st.st_dev, st.st_ino}).second) return;
        auto [uid, gid] = ownerFor(&shift, st, rel);
        checkSys(::fchownat(dirFd, name, uid, gid, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), "chown " + rel);
        if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)))  // cleared by the chown
            checkSys(::fchmodat(dirFd, name, st.st_mode & 07777, 0), "chmod " + rel);
    };
    walk(root.get(), dir, WalkVisitor{[&](const WalkEntry& e) {
                                          if (!S_ISDIR(e.st.st_mode)) reown(e.dirFd, e.name.c_str(), e.st, e.rel);
                                          return true;
                                      },
                                      [&](const WalkEntry& e) { reown(e.dirFd, e.name.c_str(), e.st, e.rel); }});
    struct stat st;
    checkSys(::fstat(root.get(), &st), "stat " + dir);
    reown(root.get(), "", st, "");
}

}  // namespace hutch::fsutil
