#include "hutch/storage/applier.hpp"

#include "hutch/storage/archive_lib.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <dirent.h>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <set>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/common/log.hpp"
#include "hutch/storage/fsops.hpp"

namespace hutch::storage {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

std::string joinRel(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + "/" + b;
}

// Two libarchive readers chained: `raw` (all filters, format raw) decompresses and its
// output, hashed on the way, feeds `tar` (format tar only) through tarRead.
struct Stream {
    const ReadFn* fn = nullptr;
    archive* raw = nullptr;
    archive* tar = nullptr;
    std::vector<char> inBuf = std::vector<char>(256 * 1024);
    std::vector<char> outBuf = std::vector<char>(256 * 1024);
    std::exception_ptr err;
    Hasher hasher{"sha256"};
    uint64_t size = 0;
    bool rawEof = false;

    ~Stream() {
        if (tar) arc().read_free(tar);
        if (raw) arc().read_free(raw);
    }

    static la_ssize_t rawRead(archive* a, void* ctx, const void** buf) {
        auto* s = static_cast<Stream*>(ctx);
        try {
            size_t n = (*s->fn)(s->inBuf.data(), s->inBuf.size());
            *buf = s->inBuf.data();
            return static_cast<la_ssize_t>(n);
        } catch (...) {
            s->err = std::current_exception();
            arc().set_error(a, EIO, "layer stream read failed");
            return -1;
        }
    }

    la_ssize_t pull() {
        if (rawEof) return 0;
        la_ssize_t n = arc().read_data(raw, outBuf.data(), outBuf.size());
        if (n < 0) return -1;
        if (n == 0) {
            rawEof = true;
            return 0;
        }
        hasher.update(outBuf.data(), static_cast<size_t>(n));
        size += static_cast<uint64_t>(n);
        return n;
    }

    static la_ssize_t tarRead(archive* a, void* ctx, const void** buf) {
        auto* s = static_cast<Stream*>(ctx);
        la_ssize_t n = s->pull();
        if (n < 0) {
            arc().set_error(a, EIO, "decompress: %s", arc().error_string(s->raw));
            return -1;
        }
        *buf = s->outBuf.data();
        return n;
    }

    [[noreturn]] void fail(archive* a, const std::string& what) {
        if (err) std::rethrow_exception(err);
        const char* m = arc().error_string(a);
        throw InvalidArgument("layer tar: " + what + ": " + (m ? m : "unknown error"));
    }

    void open(const ReadFn& f) {
        fn = &f;
        raw = arc().read_new();
        tar = arc().read_new();
        if (!raw || !tar) throw Error("layer tar: out of memory");
        arc().read_support_filter_all(raw);
        arc().read_support_format_raw(raw);
        if (arc().read_open(raw, this, nullptr, &Stream::rawRead, nullptr) != ARCHIVE_OK) fail(raw, "open");
        archive_entry* e = nullptr;
        int r = arc().read_next_header(raw, &e);
        if (r == ARCHIVE_EOF) throw InvalidArgument("layer tar: empty stream");
        if (r != ARCHIVE_OK) fail(raw, "decompress");
        arc().read_support_format_tar(tar);
        if (arc().read_open(tar, this, nullptr, &Stream::tarRead, nullptr) != ARCHIVE_OK) fail(tar, "open tar");
    }

    // Reads what follows the end-of-archive marker so the digest covers the whole stream.
    void drain() {
        for (;;) {
            la_ssize_t n = pull();
            if (n < 0) fail(raw, "decompress");
            if (n == 0) return;
        }
    }
};

class Applier {
public:
    Applier(const std::string& root, const ApplyOptions& opts) : opts_(opts) {
        char* rp = ::realpath(root.c_str(), nullptr);
        if (!rp) throw SysError(errno, "resolve layer root " + root);
        rootPath_ = rp;
        std::free(rp);
        root_.reset(::open(rootPath_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root_) throw SysError(errno, "open layer root " + rootPath_);
    }

    void entry(archive* a, archive_entry* e) {
        const char* p = arc().entry_pathname(e);
        std::string name = p ? p : "";
        bool escaped = false;
        auto comps = fsops::cleanComponents(name, &escaped);
        if (escaped) throw InvalidArgument("layer entry \"" + name + "\": path escapes the layer root (breakout)");
        mode_t type = arc().entry_filetype(e);
        const char* hardlink = arc().entry_hardlink(e);
        if (comps.empty()) {
            if (type == AE_IFDIR && !hardlink) {
                UniqueFd fd(fsops::openInRoot(root_.get(), "", O_RDONLY | O_DIRECTORY));
                if (!fd) throw SysError(EBADF, "open layer root " + rootPath_);
                meta(fd.get(), e, name);
                dirTimes_.emplace_back("", times(e));
                return;
            }
            if (name.empty()) {
                log::debug("layer tar: skipping entry with an empty name");
                return;
            }
            throw InvalidArgument("layer entry \"" + name + "\": names the layer root but is not a directory");
        }
        std::string base = comps.back();
        comps.pop_back();
        std::string parent;
        for (auto& c : comps) parent = joinRel(parent, c);
        std::string rel = joinRel(parent, base);

        if (opts_.whiteouts != WhiteoutFormat::None && base.compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) == 0) {
            if (base == kOpaqueMarker) return opaque(parent, name);
            std::string target = base.substr(kWhiteoutPrefix.size());
            if (target.empty() || target == "." || target == "..")
                throw InvalidArgument("layer entry \"" + name + "\": invalid whiteout entry");
            if (target.compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) == 0) {
                log::debug("layer tar: ignoring AUFS metadata entry {}", name);
                return;
            }
            return whiteout(parent, target, name);
        }

        markLayer(rel);
        UniqueFd dir = openDir(parent, true, name, 0);
        int d = dir.get();
        const char* b = base.c_str();
        struct stat cur;
        bool exists = ::fstatat(d, b, &cur, AT_SYMLINK_NOFOLLOW) == 0;
        if (hardlink) return link(d, base, hardlink, name, exists ? &cur : nullptr);
        // A directory of this layer replacing its own whiteout hides the lower one (as the
        // Apply format does when the whiteout comes first).
        bool opaqueDir = false;
        if (exists && !(S_ISDIR(cur.st_mode) && type == AE_IFDIR)) {
            opaqueDir = type == AE_IFDIR && whiteouts_.count(rel);
            fsops::removeAt(d, base, rel);
            exists = false;
        }

        switch (type) {
            case AE_IFREG: {
                UniqueFd f(::openat(d, b, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
                if (!f) throw SysError(errno, "create " + rel);
                writeData(a, f.get(), e, rel);
                meta(f.get(), e, name);
                auto ts = times(e);
                ::futimens(f.get(), ts.data());
                return;
            }
            case AE_IFDIR: {
                if (!exists && ::mkdirat(d, b, 0700) != 0) throw SysError(errno, "mkdir " + rel);
                UniqueFd f(::openat(d, b, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!f) throw SysError(errno, "open " + rel);
                if (opaqueDir) setOpaque(f.get(), rel);
                meta(f.get(), e, name);
                dirTimes_.emplace_back(rel, times(e));
                return;
            }
            case AE_IFLNK: {
                const char* target = arc().entry_symlink(e);
                if (::symlinkat(target ? target : "", d, b) != 0) throw SysError(errno, "symlink " + rel);
                chown(::fchownat(d, b, owner(e).first, owner(e).second, AT_SYMLINK_NOFOLLOW), e, name);
                auto ts = times(e);
                ::utimensat(d, b, ts.data(), AT_SYMLINK_NOFOLLOW);
                return;
            }
            case AE_IFCHR:
            case AE_IFBLK:
            case AE_IFIFO: {
                unsigned long maj = arc().entry_rdevmajor(e), min = arc().entry_rdevminor(e);
                if (type != AE_IFIFO && (maj > 0xfff || min > 0xfffff))
                    throw InvalidArgument("layer entry \"" + name + "\": invalid device number " +
                                          std::to_string(maj) + ":" + std::to_string(min));
                mode_t m = type | (arc().entry_perm(e) & 07777);
                if (::mknodat(d, b, m, type == AE_IFIFO ? 0 : makedev(maj, min)) != 0) {
                    if (errno == EPERM) {
                        log::debug("layer tar: skipping device node {}: mknod not permitted", name);
                        return;
                    }
                    throw SysError(errno, "mknod " + rel);
                }
                chown(::fchownat(d, b, owner(e).first, owner(e).second, AT_SYMLINK_NOFOLLOW), e, name);
                checkSys(::fchmodat(d, b, arc().entry_perm(e) & 07777, 0), "chmod " + rel);
                auto ts = times(e);
                ::utimensat(d, b, ts.data(), AT_SYMLINK_NOFOLLOW);
                return;
            }
            default:
                log::debug("layer tar: skipping entry {} of unsupported type {:o}", name, type);
                return;
        }
    }

    void finish() {
        for (auto& [rel, ts] : dirTimes_) {
            int fd = fsops::openInRoot(root_.get(), rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (fd < 0) continue;  // replaced by a later entry
            ::futimens(fd, ts.data());
            ::close(fd);
        }
    }

private:
    using Times = std::array<struct timespec, 2>;

    static Times times(archive_entry* e) {
        Times ts;
        ts[1].tv_sec = arc().entry_mtime(e);
        ts[1].tv_nsec = arc().entry_mtime_nsec(e);
        if (arc().entry_atime_is_set(e)) {
            ts[0].tv_sec = arc().entry_atime(e);
            ts[0].tv_nsec = arc().entry_atime_nsec(e);
        } else {
            ts[0] = ts[1];
        }
        return ts;
    }

    static std::pair<uid_t, gid_t> owner(archive_entry* e) {
        return {static_cast<uid_t>(arc().entry_uid(e)), static_cast<gid_t>(arc().entry_gid(e))};
    }

    static void chown(int rc, archive_entry* e, const std::string& name) {
        if (rc == 0) return;
        if (errno == EINVAL)
            throw Error("layer entry \"" + name + "\": cannot set owner " + std::to_string(owner(e).first) + ":" +
                        std::to_string(owner(e).second) +
                        ": id not mapped in the user namespace (give the user a larger range in /etc/subuid and "
                        "/etc/subgid, e.g. \"user:100000:65536\")");
        throw SysError(errno, "chown layer entry \"" + name + "\"");
    }

    // lchown before chmod (chown clears setuid/setgid), xattrs last (chown drops
    // security.capability).
    void meta(int fd, archive_entry* e, const std::string& name) {
        chown(::fchown(fd, owner(e).first, owner(e).second), e, name);
        checkSys(::fchmod(fd, arc().entry_perm(e) & 07777), "chmod layer entry \"" + name + "\"");
        arc().entry_xattr_reset(e);
        const char* xn;
        const void* xv;
        size_t xs;
        while (arc().entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK) {
            if (opts_.whiteouts == WhiteoutFormat::Overlay &&
                (std::strncmp(xn, "trusted.overlay.", 16) == 0 || std::strncmp(xn, "user.overlay.", 13) == 0)) {
                log::debug("layer tar: dropping overlay xattr {} on {}", xn, name);
                continue;
            }
            if (::fsetxattr(fd, xn, xv, xs, 0) == 0) continue;
            if (std::strcmp(xn, "security.capability") == 0)
                throw SysError(errno, "set xattr security.capability on layer entry \"" + name + "\"");
            log::debug("layer tar: skipping xattr {} on {}: {}", xn, name, std::strerror(errno));
        }
    }

    static void writeData(archive* a, int fd, archive_entry* e, const std::string& rel) {
        const void* buf;
        size_t len;
        la_int64_t off;
        for (;;) {
            int r = arc().read_data_block(a, &buf, &len, &off);
            if (r == ARCHIVE_EOF) break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                throw InvalidArgument("layer entry \"" + rel + "\": read data: " + arc().error_string(a));
            const char* p = static_cast<const char*>(buf);
            while (len > 0) {
                ssize_t n = ::pwrite(fd, p, len, off);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    throw SysError(errno, "write " + rel);
                }
                p += n;
                len -= static_cast<size_t>(n);
                off += n;
            }
        }
        if (arc().entry_size_is_set(e) && ::ftruncate(fd, arc().entry_size(e)) != 0)
            throw SysError(errno, "truncate " + rel);
    }

    void link(int d, const std::string& base, const char* target, const std::string& name, const struct stat* cur) {
        bool escaped = false;
        auto tc = fsops::cleanComponents(target, &escaped);
        if (tc.empty()) throw InvalidArgument("layer entry \"" + name + "\": hardlink to the layer root");
        std::string tlast = tc.back();
        tc.pop_back();
        std::string tparent;
        for (auto& c : tc) tparent = joinRel(tparent, c);
        UniqueFd tp = openDir(tparent, false, name, 0);
        struct stat tst;
        if (!tp || ::fstatat(tp.get(), tlast.c_str(), &tst, AT_SYMLINK_NOFOLLOW) != 0)
            throw InvalidArgument("layer entry \"" + name + "\": hardlink target \"" + target + "\" " +
                                  (escaped ? "escapes the layer root (breakout)" : "does not exist in the layer"));
        if (S_ISDIR(tst.st_mode))
            throw InvalidArgument("layer entry \"" + name + "\": hardlink target \"" + target + "\" is a directory");
        if (cur) {
            if (cur->st_dev == tst.st_dev && cur->st_ino == tst.st_ino) return;
            fsops::removeAt(d, base, name);
        }
        if (::linkat(tp.get(), tlast.c_str(), d, base.c_str(), 0) != 0)
            throw SysError(errno, "hardlink layer entry \"" + name + "\" to \"" + target + "\"");
    }

    void markLayer(const std::string& rel) {
        layer_.insert(rel);
        // Deepest parent first: once one is known its own parents are too (linear in the
        // path length, not quadratic, for very deep trees).
        for (size_t i = rel.rfind('/'); i != std::string::npos && i > 0; i = rel.rfind('/', i - 1))
            if (!ancestors_.insert(rel.substr(0, i)).second) return;
        ancestors_.insert("");
    }

    // Path of an open directory inside the root, from /proc/self/fd.
    std::string inRootPath(int fd) {
        char buf[PATH_MAX];
        std::string link = "/proc/self/fd/" + std::to_string(fd);
        ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
        if (n < 0) throw SysError(errno, "readlink " + link);
        std::string p(buf, static_cast<size_t>(n));
        if (p == rootPath_) return "";
        if (p.compare(0, rootPath_.size() + 1, rootPath_ + "/") != 0)
            throw Error("internal: directory " + p + " is outside the layer root " + rootPath_);
        return p.substr(rootPath_.size() + 1);
    }

    // Opens directory `rel` (resolved inside the root) as O_PATH. Missing components are
    // created (mode 0755) when `create`, also through dangling in-root symlinks; otherwise
    // a missing directory gives an empty UniqueFd.
    UniqueFd openDir(const std::string& rel, bool create, const std::string& entry, int depth) {
        int fd = fsops::openInRoot(root_.get(), rel, O_PATH | O_DIRECTORY);
        if (fd >= 0) return UniqueFd(fd);
        if (!create) {
            if (fd == -ENOENT || fd == -ENOTDIR) return {};
            throw SysError(-fd, "open " + rel + " for layer entry \"" + entry + "\"");
        }
        if (fd != -ENOENT) throw SysError(-fd, "open " + rel + " for layer entry \"" + entry + "\"");
        if (depth > 40) throw SysError(ELOOP, "resolve " + rel + " for layer entry \"" + entry + "\"");
        size_t slash = rel.rfind('/');
        std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
        std::string last = slash == std::string::npos ? rel : rel.substr(slash + 1);
        UniqueFd p = openDir(parent, true, entry, depth + 1);
        if (::mkdirat(p.get(), last.c_str(), 0755) == 0) {
            checkSys(::fchmodat(p.get(), last.c_str(), 0755, 0), "chmod " + rel);
            int nfd = ::openat(p.get(), last.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (nfd < 0) throw SysError(errno, "open " + rel);
            return UniqueFd(nfd);
        }
        if (errno != EEXIST) throw SysError(errno, "mkdir " + rel + " for layer entry \"" + entry + "\"");
        struct stat st;
        if (::fstatat(p.get(), last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            // A dangling symlink: create its target, resolved inside the root.
            std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
            ssize_t n = ::readlinkat(p.get(), last.c_str(), target.data(), target.size());
            if (n < 0) throw SysError(errno, "readlink " + rel);
            target.resize(static_cast<size_t>(n));
            std::string dest = target.starts_with("/") ? fsops::cleanPath(target)
                                                       : fsops::cleanPath(joinRel(inRootPath(p.get()), target));
            return openDir(dest, true, entry, depth + 1);
        }
        throw SysError(ENOTDIR, "open " + rel + " for layer entry \"" + entry + "\"");
    }

    // Removes lower content at dirFd/name (path `rel`), keeping what this layer created.
    void prune(int dirFd, const std::string& name, const std::string& rel) {
        if (!layer_.count(rel) && !ancestors_.count(rel)) {
            fsops::removeAt(dirFd, name, rel);
            return;
        }
        UniqueFd fd(::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return;  // not a directory: an entry of this layer, keep
        pruneChildren(fd.get(), rel);
    }

    // Removes the lower content below the open directory `fd` (path `rel`), keeping what
    // this layer created; a walk with bounded fds, any depth.
    void pruneChildren(int fd, const std::string& rel) {
        fsutil::walk(fd, rel.empty() ? "/" : rel, fsutil::WalkVisitor{[&](const fsutil::WalkEntry& e) {
                         std::string r = joinRel(rel, e.rel);
                         if (layer_.count(r) || ancestors_.count(r)) return true;  // entered if a directory
                         fsops::removeAt(e.dirFd, e.name, r);
                         return false;
                     }, nullptr});
    }

    void whiteout(const std::string& parent, const std::string& target, const std::string& entry) {
        std::string rel = joinRel(parent, target);
        if (layer_.count(rel)) return;  // a whiteout never hides entries of its own layer
        if (opts_.whiteouts == WhiteoutFormat::Overlay) {
            UniqueFd p = openDir(parent, true, entry, 0);
            if (::mknodat(p.get(), target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0 && errno != EEXIST)
                throw SysError(errno, "create whiteout " + rel + " (0/0 character device) for layer entry \"" + entry + "\"");
            whiteouts_.insert(rel);
            return;
        }
        UniqueFd p = openDir(parent, false, entry, 0);
        if (!p) return;
        UniqueFd d(::openat(p.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d) throw SysError(errno, "open " + parent);
        prune(d.get(), target, rel);
    }

    void opaque(const std::string& parent, const std::string& entry) {
        markLayer(joinRel(parent, ".wh..wh..opq"));
        UniqueFd p = openDir(parent, true, entry, 0);
        UniqueFd d(::openat(p.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d) throw SysError(errno, "open " + parent);
        if (opts_.whiteouts == WhiteoutFormat::Overlay) return setOpaque(d.get(), parent);
        pruneChildren(d.get(), parent);
    }

    void setOpaque(int dirFd, const std::string& rel) {
        if (::fsetxattr(dirFd, opts_.opaqueXattr.c_str(), "y", 1, 0) != 0)
            throw SysError(errno, "set " + opts_.opaqueXattr + " on opaque directory " + (rel.empty() ? "/" : rel));
    }

    ApplyOptions opts_;
    std::string rootPath_;
    UniqueFd root_;
    std::set<std::string> whiteouts_;  // overlay whiteout devices made by this layer
    std::set<std::string> layer_;      // cleaned paths of this layer's entries
    std::set<std::string> ancestors_;  // their parent directories
    std::vector<std::pair<std::string, Times>> dirTimes_;
};

}  // namespace

ApplyResult applyLayer(const std::string& root, const ReadFn& diff, const ApplyOptions& opts) {
    Applier applier(root, opts);
    Stream s;
    s.open(diff);
    archive_entry* e = nullptr;
    for (;;) {
        int r = arc().read_next_header(s.tar, &e);
        if (r == ARCHIVE_EOF) break;
        if (r == ARCHIVE_WARN) {
            log::debug("layer tar: {}", arc().error_string(s.tar) ? arc().error_string(s.tar) : "warning");
        } else if (r != ARCHIVE_OK) {
            s.fail(s.tar, "read header");
        }
        try {
            applier.entry(s.tar, e);
        } catch (...) {
            if (s.err) std::rethrow_exception(s.err);  // the caller's stream failed: its error wins
            throw;
        }
    }
    s.drain();
    applier.finish();
    ApplyResult res;
    res.uncompressedSize = s.size;
    res.diffId = s.hasher.finish();
    return res;
}

}  // namespace hutch::storage
