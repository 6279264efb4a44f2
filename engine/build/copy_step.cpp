#include "hutch/engine/build/copy_step.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <cstring>
#include <set>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/storage/applier.hpp"
#include "hutch/storage/fsops.hpp"

namespace hutch::engine::build {

namespace fsops = storage::fsops;

namespace {

bool hasMeta(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::string joinRel(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

bool excluded(const SourceRoot& r, const std::string& rel) { return r.ignore && !rel.empty() && r.ignore->excluded(rel); }

bool keep(const SourceRoot& r, int dirFd, const std::string& name, const std::string& rel);

/// True when something below directory `name` of dirFd (path `rel`) is not excluded.
bool anyIncluded(const SourceRoot& r, int dirFd, const std::string& name, const std::string& rel) {
    int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    UniqueFd d(fd);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(::dup(fd)), ::closedir);
    if (!dir) return false;
    while (auto* e = ::readdir(dir.get())) {
        std::string child = e->d_name;
        if (child == "." || child == "..") continue;
        if (keep(r, d.get(), child, rel + "/" + child)) return true;
    }
    return false;
}

/// Whether entry `name` of dirFd (context path `rel`) is part of the context: it is not
/// excluded, or it is an excluded directory with something re-included (`!pattern`) below
/// it, which is then walked (Docker's rule). An excluded file is never kept.
bool keep(const SourceRoot& r, int dirFd, const std::string& name, const std::string& rel) {
    if (!excluded(r, rel)) return true;
    if (!r.ignore->mayIncludeBelow(rel)) return false;
    struct stat st {};
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) return false;
    return anyIncluded(r, dirFd, name, rel);
}

/// keep() for a path relative to the root.
bool keepPath(const SourceRoot& r, const std::string& rel) {
    if (!excluded(r, rel)) return true;
    auto pos = rel.rfind('/');
    std::string parent = pos == std::string::npos ? "" : rel.substr(0, pos);
    int fd = fsops::openInRoot(r.fd, parent.empty() ? "." : parent, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return false;
    UniqueFd d(fd);
    return keep(r, d.get(), pos == std::string::npos ? rel : rel.substr(pos + 1), rel);
}

UniqueFd openIn(int rootFd, const std::string& rel, int flags, const std::string& shown) {
    int fd = fsops::openInRoot(rootFd, rel.empty() ? "." : rel, flags);
    if (fd < 0) {
        if (fd == -ENOENT || fd == -ENOTDIR) throw NotFound(shown + ": no such file or directory");
        throw SysError(-fd, "open " + shown);
    }
    return UniqueFd(fd);
}

std::vector<std::string> listDir(int dirFd) {
    int dup = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0) throw SysError(errno, "opendir");
    DIR* d = ::fdopendir(dup);
    if (!d) {
        ::close(dup);
        throw SysError(errno, "fdopendir");
    }
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

void expand(const SourceRoot& r, const std::vector<std::string>& comps, size_t i, const std::string& prefix,
            std::vector<ResolvedSource>& out) {
    if (i == comps.size()) {
        if (!keepPath(r, prefix)) return;
        UniqueFd fd = openIn(r.fd, prefix, O_PATH, prefix);
        struct stat st {};
        checkSys(::fstat(fd.get(), &st), "stat " + prefix);
        out.push_back({prefix, S_ISDIR(st.st_mode)});
        return;
    }
    if (!hasMeta(comps[i])) {
        std::string next = joinRel(prefix, comps[i]);
        int fd = fsops::openInRoot(r.fd, next, O_PATH);
        if (fd < 0) return;
        ::close(fd);
        expand(r, comps, i + 1, next, out);
        return;
    }
    int dfd = fsops::openInRoot(r.fd, prefix.empty() ? "." : prefix, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) return;
    UniqueFd dir(dfd);
    for (const auto& name : listDir(dir.get()))
        if (::fnmatch(comps[i].c_str(), name.c_str(), FNM_PATHNAME) == 0)
            expand(r, comps, i + 1, joinRel(prefix, name), out);
}

/// Hashes one entry `name` of `dirFd` (name "" = dirFd itself), without a directory's content.
void hashEntry(int dirFd, const std::string& name, const struct stat& st, const std::string& rel,
               const std::string& shown, Hasher& h) {
    std::string head = shown + '\0' + std::to_string(st.st_mode) + '\0';
    if (S_ISREG(st.st_mode)) {
        h.update(head + std::to_string(st.st_size) + '\0');
        UniqueFd f(name.empty() ? ::dup(dirFd)
                                : ::openat(dirFd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!f) throw SysError(errno, "open " + rel);
        ::lseek(f.get(), 0, SEEK_SET);
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(f.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SysError(errno, "read " + rel);
            if (n == 0) break;
            h.update(buf, static_cast<size_t>(n));
        }
    } else if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = ::readlinkat(dirFd, name.c_str(), buf, sizeof buf);
        h.update(head + std::string(buf, n > 0 ? n : 0) + '\0');
    } else if (S_ISDIR(st.st_mode)) {
        h.update(head);
    } else {
        h.update(head + std::to_string(st.st_rdev) + '\0');
    }
}

/// Hashes entry `name` of `dirFd` and, for a directory, everything below it in name order
/// (a walk with bounded fds: any depth).
void hashTree(const SourceRoot& r, int dirFd, const std::string& name, const std::string& rel, const std::string& shown,
              Hasher& h) {
    // name "" = dirFd itself (a source reached through a symlink, opened O_RDONLY).
    struct stat st {};
    checkSys(::fstatat(dirFd, name.c_str(), &st, name.empty() ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW), "stat " + rel);
    hashEntry(dirFd, name, st, rel, shown, h);
    if (!S_ISDIR(st.st_mode)) return;
    UniqueFd d(name.empty() ? ::dup(dirFd)
                            : ::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) throw SysError(errno, "open " + rel);
    fsutil::walk(d.get(), rel, fsutil::WalkVisitor{[&](const fsutil::WalkEntry& e) {
                     std::string crel = joinRel(rel, e.rel);
                     if (!keep(r, e.dirFd, e.name, crel)) return false;
                     hashEntry(e.dirFd, e.name, e.st, crel, shown + "/" + e.rel, h);
                     return true;
                 }, nullptr});
}

void setMeta(int dirFd, const std::string& name, const struct stat& st, const CopyOptions& o, bool link) {
    int flags = link ? AT_SYMLINK_NOFOLLOW : 0;
    checkSys(::fchownat(dirFd, name.c_str(), o.keepOwners ? st.st_uid : o.uid, o.keepOwners ? st.st_gid : o.gid, flags),
             "chown " + name);
    if (!link) checkSys(::fchmodat(dirFd, name.c_str(), o.chmod ? *o.chmod : (st.st_mode & 07777), 0), "chmod " + name);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ::utimensat(dirFd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

/// Removes dst entry `name` unless it is a directory and `keepDir`.
void clearEntry(int dirFd, const std::string& name, bool keepDir, const std::string& shown) {
    struct stat st {};
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        if (keepDir) return;
        throw InvalidArgument("cannot overwrite directory " + shown + " with a non-directory");
    }
    checkSys(::unlinkat(dirFd, name.c_str(), 0), "remove " + shown);
}

void copyFileData(int in, int out, const std::string& shown) {
    for (;;) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
        if (n == 0) return;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            throw SysError(errno, "copy " + shown);
        break;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError(errno, "read " + shown);
        if (n == 0) return;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(out, buf + off, n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) throw SysError(errno, "write " + shown);
            off += w;
        }
    }
}

/// Copies the non-directory entry `name` of srcDir (lstat `st`) as `dstName` in dstDir.
void copyLeaf(int srcDir, const std::string& name, const struct stat& st, const std::string& rel, int dstDir,
              const std::string& dstName, const std::string& dstPath, const CopyOptions& o) {
    if (S_ISREG(st.st_mode)) {
        clearEntry(dstDir, dstName, false, dstPath);
        UniqueFd in(::openat(srcDir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!in) throw SysError(errno, "open " + rel);
        UniqueFd out(::openat(dstDir, dstName.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out) throw SysError(errno, "create " + dstPath);
        copyFileData(in.get(), out.get(), dstPath);
        out.reset();
        setMeta(dstDir, dstName, st, o, false);
    } else if (S_ISLNK(st.st_mode)) {
        clearEntry(dstDir, dstName, false, dstPath);
        char buf[4096];
        ssize_t n = ::readlinkat(srcDir, name.c_str(), buf, sizeof buf - 1);
        if (n < 0) throw SysError(errno, "readlink " + rel);
        checkSys(::symlinkat(std::string(buf, n).c_str(), dstDir, dstName.c_str()), "symlink " + dstPath);
        setMeta(dstDir, dstName, st, o, true);
    } else {
        clearEntry(dstDir, dstName, false, dstPath);
        if (::mknodat(dstDir, dstName.c_str(), st.st_mode, st.st_rdev) != 0) return;  // devices need privileges
        setMeta(dstDir, dstName, st, o, false);
    }
}

/// Makes directory `name` in dstDir for a copy (an existing one is kept, another entry
/// replaced).
void makeDir(int dstDir, const std::string& name, const std::string& dstPath) {
    clearEntry(dstDir, name, true, dstPath);
    if (::mkdirat(dstDir, name.c_str(), 0755) != 0 && errno != EEXIST) throw SysError(errno, "mkdir " + dstPath);
}

/// Copies entry `name` of srcDir as `dstName` in dstDir (a directory of the rootfs at
/// absolute path `dstPath`); a directory with its content, walked with bounded fds.
void copyEntry(const SourceRoot& r, int srcDir, const std::string& name, const std::string& rel, int rootfsFd,
               int dstDir, const std::string& dstName, const std::string& dstPath, const CopyOptions& o) {
    struct stat st {};
    checkSys(::fstatat(srcDir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW), "stat " + rel);
    if (!S_ISDIR(st.st_mode)) return copyLeaf(srcDir, name, st, rel, dstDir, dstName, dstPath, o);
    makeDir(dstDir, dstName, dstPath);
    UniqueFd s(::openat(srcDir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!s) throw SysError(errno, "open " + rel);
    fsutil::DirCursor dst(openIn(rootfsFd, dstPath, O_RDONLY | O_DIRECTORY, dstPath), dstPath);
    fsutil::walk(s.get(), rel, fsutil::WalkVisitor{[&](const fsutil::WalkEntry& e) {
                     std::string crel = joinRel(rel, e.rel);
                     if (!keep(r, e.dirFd, e.name, crel)) return false;
                     std::string p = dstPath + "/" + e.rel;
                     if (!S_ISDIR(e.st.st_mode)) {
                         copyLeaf(e.dirFd, e.name, e.st, crel, dst.fd(), e.name, p, o);
                         return false;
                     }
                     makeDir(dst.fd(), e.name, p);
                     dst.down(e.name);
                     return true;
                 },
                 [&](const fsutil::WalkEntry& e) {
                     dst.up();
                     setMeta(dst.fd(), e.name, e.st, o, false);
                 }});
    setMeta(dstDir, dstName, st, o, false);
}

std::pair<std::string, std::string> splitParent(const std::string& abs) {
    auto pos = abs.rfind('/');
    std::string parent = pos == 0 ? "/" : abs.substr(0, pos);
    return {parent, abs.substr(pos + 1)};
}

bool isDirInRoot(int rootfsFd, const std::string& path) {
    int fd = fsops::openInRoot(rootfsFd, path, O_PATH);
    if (fd < 0) return false;
    struct stat st {};
    bool dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    ::close(fd);
    return dir;
}

bool sameEntry(int srcDir, int dstDir, const std::string& name, const struct stat& a, const struct stat& b) {
    if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid) return false;
    if (S_ISDIR(a.st_mode)) return true;
    if (a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
        return false;
    if (S_ISLNK(a.st_mode)) {
        char x[4096], y[4096];
        ssize_t n = ::readlinkat(srcDir, name.c_str(), x, sizeof x);
        ssize_t m = ::readlinkat(dstDir, name.c_str(), y, sizeof y);
        return n == m && n >= 0 && std::memcmp(x, y, n) == 0;
    }
    if (S_ISCHR(a.st_mode) || S_ISBLK(a.st_mode)) return a.st_rdev == b.st_rdev;
    return true;
}

}  // namespace

void syncTree(int srcRootFd, int dstRootFd) {
    CopyOptions keep;
    keep.keepOwners = true;
    SourceRoot sr{srcRootFd, "", nullptr};
    // Both trees walked together, one fd each whatever the depth, with an explicit stack.
    fsutil::DirCursor src(openIn(srcRootFd, "", O_RDONLY | O_DIRECTORY, "/"), "");
    fsutil::DirCursor dst(openIn(dstRootFd, "", O_RDONLY | O_DIRECTORY, "/"), "");
    auto path = [&dst](const std::string& n) { return "/" + joinRel(dst.rel(), n); };
    struct Frame {
        std::vector<fsutil::DirEntry> entries;
        size_t next = 0;
    };
    // The source directory's entries; what only the destination has goes.
    auto enter = [&] {
        Frame f{fsutil::listDir(src.fd(), path("")), 0};
        std::set<std::string> have;
        for (const auto& e : f.entries) have.insert(e.name);
        for (const auto& n : listDir(dst.fd()))
            if (!have.count(n)) fsops::removeAt(dst.fd(), n, path(n));
        return f;
    };
    std::vector<Frame> stack;
    stack.push_back(enter());
    while (!stack.empty()) {
        if (stack.back().next == stack.back().entries.size()) {
            stack.pop_back();
            if (stack.empty()) break;
            src.up();
            dst.up();
            const auto& de = stack.back().entries[stack.back().next - 1];
            setMeta(dst.fd(), de.name, de.st, keep, false);
            continue;
        }
        const auto& de = stack.back().entries[stack.back().next++];
        const std::string& n = de.name;
        const std::string p = path(n);
        struct stat b {};
        bool exists = ::fstatat(dst.fd(), n.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && S_ISDIR(de.st.st_mode) && S_ISDIR(b.st_mode)) {
            src.down(n, &de.st);
            dst.down(n, &b);
            stack.push_back(enter());
            continue;
        }
        if (exists && sameEntry(src.fd(), dst.fd(), n, de.st, b)) continue;
        if (exists) fsops::removeAt(dst.fd(), n, p);
        copyEntry(sr, src.fd(), n, p, dstRootFd, dst.fd(), n, p, keep);
    }
}

std::vector<ResolvedSource> resolveSources(const SourceRoot& root, const std::vector<std::string>& patterns) {
    std::vector<ResolvedSource> out;
    for (const auto& p : patterns) {
        bool escaped = false;
        auto comps = fsops::cleanComponents(p, &escaped);
        size_t before = out.size();
        expand(root, comps, 0, "", out);
        if (out.size() == before) throw NotFound(p + ": no such file or directory");
    }
    return out;
}

std::string contentHash(const SourceRoot& root, const std::vector<ResolvedSource>& sources) {
    Hasher h;
    for (const auto& s : sources) {
        h.update("source\0" + s.rel + '\0');
        if (s.rel.empty()) {
            for (const auto& child : listDir(root.fd)) {
                if (!keep(root, root.fd, child, child)) continue;
                hashTree(root, root.fd, child, child, child, h);
            }
            continue;
        }
        // Resolve the source's parent in the root (symlinks stay inside it).
        auto pos = s.rel.rfind('/');
        std::string parent = pos == std::string::npos ? "" : s.rel.substr(0, pos);
        std::string base = pos == std::string::npos ? s.rel : s.rel.substr(pos + 1);
        UniqueFd dir = openIn(root.fd, parent, O_RDONLY | O_DIRECTORY, parent);
        struct stat st {};
        if (::fstatat(dir.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            // A symlink named as a source is followed (inside the root).
            UniqueFd t = openIn(root.fd, s.rel, O_RDONLY, s.rel);
            hashTree(root, t.get(), "", s.rel, base, h);
        } else {
            hashTree(root, dir.get(), base, s.rel, base, h);
        }
    }
    std::string kind = sources.size() != 1 ? "multi" : sources[0].dir ? "dir" : "file";
    return kind + ":" + h.finish().encoded;
}

std::pair<uid_t, gid_t> copyOwner(const std::string& rootfs, const std::string& spec) {
    auto colon = spec.find(':');
    std::string user = spec.substr(0, colon);
    std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (user.empty() && group.empty()) throw InvalidArgument("can't find uid for user " + spec);
    auto number = [](const std::string& s, uint32_t& out) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return !s.empty() && ec == std::errc() && p == s.data() + s.size();
    };
    uint32_t uid = 0, gid = 0;
    if (user.empty() || number(user, uid)) {
        if (group.empty()) return {uid, uid};
        if (number(group, gid)) return {uid, gid};
    }
    engine::ResolvedUser u = engine::resolveUser(rootfs, spec);
    return {u.uid, u.gid};
}

void mkdirInRoot(int rootfsFd, const std::string& path, uid_t uid, gid_t gid) {
    std::vector<std::string> comps = fsops::cleanComponents(path);
    std::string cur;
    int links = 0;
    for (size_t i = 0; i < comps.size(); ++i) {
        const std::string& c = comps[i];
        std::string next = cur + "/" + c;
        if (isDirInRoot(rootfsFd, next)) {
            cur = next;
            continue;
        }
        UniqueFd parent = openIn(rootfsFd, cur.empty() ? "/" : cur, O_RDONLY | O_DIRECTORY, cur.empty() ? "/" : cur);
        struct stat st {};
        if (::fstatat(parent.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (!S_ISLNK(st.st_mode)) throw InvalidArgument("cannot create directory " + next + ": a file of that name exists");
            // A dangling symlink: create what it points to, inside the rootfs.
            if (++links > 40) throw InvalidArgument("cannot create directory " + path + ": too many symlinks");
            char buf[4096];
            ssize_t n = ::readlinkat(parent.get(), c.c_str(), buf, sizeof buf - 1);
            if (n < 0) throw SysError(errno, "readlink " + next);
            std::string target(buf, n);
            std::string rest;
            for (size_t j = i + 1; j < comps.size(); ++j) rest += "/" + comps[j];
            std::string resolved = (target[0] == '/' ? target : (cur.empty() ? "" : cur) + "/" + target) + rest;
            comps = fsops::cleanComponents(resolved);
            cur.clear();
            i = static_cast<size_t>(-1);
            continue;
        }
        if (::mkdirat(parent.get(), c.c_str(), 0755) != 0 && errno != EEXIST) throw SysError(errno, "mkdir " + next);
        checkSys(::fchownat(parent.get(), c.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW), "chown " + next);
        cur = next;
    }
}

bool looksLikeArchive(int fd) {
    unsigned char b[512] = {};
    ssize_t n = ::pread(fd, b, sizeof b, 0);
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return true;                                   // gzip
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return true;  // zstd
    return n >= 263 && std::memcmp(b + 257, "ustar", 5) == 0;                                  // tar
}

void copyInto(int rootfsFd, const std::string& rootfsPath, const SourceRoot& src,
              const std::vector<ResolvedSource>& sources, const CopyOptions& o) {
    std::string dest = o.dest;
    bool destDir = !dest.empty() && (dest.back() == '/' || dest == "." || dest == "..");
    if (dest.empty() || dest[0] != '/') dest = (o.workdir.empty() ? std::string("/") : o.workdir) + "/" + dest;
    bool escaped = false;
    dest = "/" + fsops::cleanPath(dest, &escaped);
    if (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    if (sources.size() > 1 && !destDir)
        throw InvalidArgument("When using COPY with more than one source file, the destination must be a directory and "
                              "end with a /");
    if (!destDir && isDirInRoot(rootfsFd, dest)) destDir = true;

    for (const auto& s : sources) {
        std::string parentRel, base;
        auto pos = s.rel.rfind('/');
        parentRel = pos == std::string::npos ? "" : s.rel.substr(0, pos);
        base = pos == std::string::npos ? s.rel : s.rel.substr(pos + 1);
        // The source itself, symlinks followed inside its root.
        UniqueFd self = openIn(src.fd, s.rel, O_RDONLY, s.rel.empty() ? "." : s.rel);
        if (s.dir) {
            mkdirInRoot(rootfsFd, dest, o.uid, o.gid);
            UniqueFd d = openIn(rootfsFd, dest, O_RDONLY | O_DIRECTORY, dest);
            for (const auto& child : listDir(self.get())) {
                std::string crel = joinRel(s.rel, child);
                if (!keep(src, self.get(), child, crel)) continue;
                copyEntry(src, self.get(), child, crel, rootfsFd, d.get(), child, (dest == "/" ? "" : dest) + "/" + child, o);
            }
            continue;
        }
        if (o.extractArchives && looksLikeArchive(self.get())) {
            mkdirInRoot(rootfsFd, dest, o.uid, o.gid);
            UniqueFd d = openIn(rootfsFd, dest, O_RDONLY | O_DIRECTORY, dest);
            // The directory's real place (symlinks already resolved inside the rootfs).
            char buf[4096];
            ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(d.get())).c_str(), buf, sizeof buf - 1);
            if (n < 0) throw SysError(errno, "readlink of " + dest);
            std::string real(buf, n);
            if (real.rfind(rootfsPath, 0) != 0) throw InvalidArgument(dest + " resolves outside the rootfs");
            int fd = self.get();
            storage::applyLayer(real, [fd](void* b, size_t len) -> size_t {
                for (;;) {
                    ssize_t r = ::read(fd, b, len);
                    if (r < 0 && errno == EINTR) continue;
                    if (r < 0) throw SysError(errno, "read archive");
                    return static_cast<size_t>(r);
                }
            });
            continue;
        }
        std::string target = destDir ? (dest == "/" ? "" : dest) + "/" + base : dest;
        auto [parent, name] = splitParent(target);
        mkdirInRoot(rootfsFd, parent, 0, 0);
        UniqueFd pd = openIn(rootfsFd, parent, O_RDONLY | O_DIRECTORY, parent);
        // Copy from the opened source (a followed symlink is copied as its target).
        UniqueFd srcParent = openIn(src.fd, parentRel, O_RDONLY | O_DIRECTORY, parentRel.empty() ? "." : parentRel);
        struct stat lst {};
        if (::fstatat(srcParent.get(), base.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
            // Named symlink: copy what it points to.
            struct stat st {};
            checkSys(::fstat(self.get(), &st), "stat " + s.rel);
            clearEntry(pd.get(), name, false, target);
            UniqueFd out(::openat(pd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (!out) throw SysError(errno, "create " + target);
            copyFileData(self.get(), out.get(), target);
            out.reset();
            setMeta(pd.get(), name, st, o, false);
        } else {
            copyEntry(src, srcParent.get(), base, s.rel, rootfsFd, pd.get(), name, target, o);
        }
    }
}

}  // namespace hutch::engine::build
