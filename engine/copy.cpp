#include "hutch/engine/copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <optional>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/common/idmap.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/copy_paths.hpp"
#include "hutch/engine/launch/launch.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/storage/archive_lib.hpp"
#include "hutch/storage/fsops.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

using storage::arc;
using storage::fsops::openInRoot;

/// A directory every path of a side is resolved in: `path` for resolveInRoot ("" = the
/// host's "/"), `fd` for openat2 RESOLVE_IN_ROOT.
struct Root {
    std::string path;
    UniqueFd fd;
};

/// A path of a side, resolved: the root it lies in, its path inside that root (absolute,
/// symlinks resolved) and the path the side shows for it (the container's view).
struct Located {
    const Root* root = nullptr;
    std::string rel;
    std::string shown;
};

bool under(const std::string& path, const std::string& dir) {
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

/// The id of container `name`. Throws NotFound with podman cp's wording.
std::string containerId(Context& ctx, const std::string& name) {
    try {
        return loadContainer(ctx, name).id;
    } catch (const NotFound&) {
        throw NotFound("container \"" + name + "\" does not exist");
    }
}

/// One side of the copy: the host, or a container (running: through /proc/PID/root; not
/// running: its rootfs mounted for the copy, its volumes and bind sources beside it).
class Side {
public:
    /// The host: paths relative to the current directory.
    Side() {
        main_.fd.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!main_.fd) throw SysError(errno, "open /");
        char buf[4096];
        if (::getcwd(buf, sizeof buf)) base_ = buf;
        else base_ = "/";
    }

    /// The container `name`. Throws NotFound (podman's message).
    Side(Context& ctx, const std::string& name) : ctx_(&ctx), name_(name) {
        rec_ = loadContainer(ctx, containerId(ctx, name));
        if (effectiveStatus(rec_) != ContainerStatus::Running) {
            // No start while its rootfs is mounted here for the copy.
            startLock_.emplace(lockContainerStart(ctx, rec_.id));
            rec_ = loadContainer(ctx, rec_.id);
        }
        ImageDefaults defaults = imageDefaults(ctx, rec_.imageId);
        userSpec_ = !rec_.config.user.empty() ? rec_.config.user : defaults.user;
        base_ = !rec_.config.workdir.empty() ? rec_.config.workdir : defaults.workingDir;
        if (base_.empty() || base_[0] != '/') base_ = "/" + base_;
        running_ = effectiveStatus(rec_) == ContainerStatus::Running && rec_.pid > 0;
        if (running_) {
            main_.path = "/proc/" + std::to_string(rec_.pid) + "/root";
            main_.fd.reset(::open(main_.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!main_.fd) throw SysError(errno, "open the root of container " + name + " (" + main_.path + ")");
            return;
        }
        main_.path = ctx.store().mountContainer(rec_.id);
        mounted_ = true;
        main_.fd.reset(::open(main_.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!main_.fd) throw SysError(errno, "open the root of container " + name);
        // Its volumes and bind mounts, innermost first (a path under one is written there).
        for (const auto& m : rec_.config.mounts) {
            std::string src;
            if (m.type == MountType::Bind) {
                src = m.source;
            } else if (m.type == MountType::Volume) {
                auto v = findVolume(ctx, m.source);
                if (!v || v->isTmpfs() || v->isDevice()) continue;
                src = v->mountpoint;
            } else {
                continue;
            }
            Mount mt{m.destination, {}};
            mt.root.path = src;
            mt.root.fd.reset(::open(src.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!mt.root.fd) {
                log::debug("cp: {} of container {} is not a directory to resolve in ({}), left out", src, name, errno);
                continue;
            }
            mounts_.push_back(std::move(mt));
        }
        std::sort(mounts_.begin(), mounts_.end(),
                  [](const Mount& a, const Mount& b) { return a.dest.size() > b.dest.size(); });
    }

    ~Side() {
        if (!mounted_) return;
        try {
            ctx_->store().unmountContainer(rec_.id);
        } catch (const std::exception& e) {
            log::warn("cp: unmount {}: {}", rec_.id, e.what());
        }
    }
    Side(const Side&) = delete;
    Side& operator=(const Side&) = delete;

    bool isContainer() const { return ctx_ != nullptr; }
    const std::string& id() const { return rec_.id; }
    /// Names the side in messages as podman does.
    std::string where() const { return isContainer() ? "container " + name_ : "the host"; }
    /// `path` made absolute (a container's working directory, the host's current one).
    std::string absolute(const std::string& path) const { return absoluteCopyPath(base_, path); }

    /// Resolves the absolute `path` inside the side (see the file comment).
    Located locate(const std::string& path) const {
        std::string rel = resolve(main_, path);
        for (const auto& m : mounts_)
            if (under(rel, m.dest)) {
                std::string inner = resolve(m.root, rel.substr(m.dest.size()));
                return {&m.root, inner, inner == "/" ? m.dest : m.dest + inner};
            }
        return {&main_, rel, rel};
    }

    /// What `path` is (symlinks followed inside the side). Throws SysError for errors other
    /// than a missing path.
    CopyStat stat(const std::string& path) const {
        Located l = locate(path);
        CopyStat s;
        s.resolved = l.shown;
        int fd = openInRoot(l.root->fd.get(), l.rel, O_PATH);
        if (fd == -ENOENT || fd == -ENOTDIR) return s;
        if (fd < 0) throw SysError(-fd, "stat \"" + path + "\" on " + where());
        UniqueFd f(fd);
        struct stat st {};
        if (::fstat(f.get(), &st) != 0) throw SysError(errno, "stat \"" + path + "\" on " + where());
        s.exists = true;
        s.isDir = S_ISDIR(st.st_mode);
        s.isRegular = S_ISREG(st.st_mode);
        return s;
    }

    /// A session id of a file as the container sees it (the overflow id when unmapped).
    uint32_t containerUid(uint32_t id) const { return toContainer(rec_.config.uidMappings, id); }
    uint32_t containerGid(uint32_t id) const { return toContainer(rec_.config.gidMappings, id); }
    /// The session id of container id `id`, nullopt when the mapping leaves it out.
    std::optional<uint32_t> sessionUid(uint32_t id) const { return toSession(rec_.config.uidMappings, id); }
    std::optional<uint32_t> sessionGid(uint32_t id) const { return toSession(rec_.config.gidMappings, id); }

    /// The container's user and group (its --user, else the image's USER) as container ids.
    std::pair<uint32_t, uint32_t> user() const {
        ResolvedUser u = resolveUser(main_.path, userSpec_);
        return {u.uid, u.gid};
    }

    /// True for a container's root: dev, proc and sys are not copied out of it.
    bool skipsSystemDirs(const Located& l) const { return isContainer() && l.root == &main_ && l.rel == "/"; }

private:
    struct Mount {
        std::string dest;
        Root root;
    };

    static std::string resolve(const Root& r, const std::string& path) {
        std::string full = fsutil::resolveInRoot(r.path, path);
        std::string rel = full.substr(r.path.size());
        return rel.empty() ? "/" : rel;
    }
    static uint32_t toContainer(const std::vector<IdMapping>& m, uint32_t id) {
        if (m.empty()) return id;
        return mapToContainer(m, id).value_or(65534);
    }
    static std::optional<uint32_t> toSession(const std::vector<IdMapping>& m, uint32_t id) {
        if (m.empty()) return id;
        return mapToHost(m, id);
    }

    Context* ctx_ = nullptr;
    std::string name_;
    ContainerRecord rec_;
    std::optional<fsutil::FileLock> startLock_;
    std::string userSpec_, base_;
    bool running_ = false, mounted_ = false;
    Root main_;
    std::vector<Mount> mounts_;
};

/// One entry of a copy: its path relative to the destination directory, its metadata (the
/// owners as the source's container sees them), a symlink's target, a tar hardlink's
/// target (relative to the destination directory too).
struct Entry {
    std::string rel;
    struct stat st {};
    std::string link, hardlink;
};
/// Reads a regular file's content; 0 at the end.
using DataFn = std::function<size_t(void*, size_t)>;
/// Receives each entry, a directory before its content; `data` is set for regular files.
using EmitFn = std::function<void(const Entry&, const DataFn* data)>;

DataFn fdReader(int fd, const std::string& shown) {
    return [fd, shown](void* buf, size_t n) -> size_t {
        for (;;) {
            ssize_t k = ::read(fd, buf, n);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) throw SysError(errno, "read " + shown);
            return static_cast<size_t>(k);
        }
    };
}

std::string joinRel(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + "/" + b;
}

/// Emits the source `l` of `side` as entries named `top` (and `top/...` for a directory's
/// content; "" = the content at the top). Symlinks below the source are copied as links,
/// never followed; sockets are left out, unreadable files and directories skipped with a
/// warning (podman's rootless behaviour for a running container's host-owned ttys).
void readTree(const Side& side, const Located& l, const std::string& top, const EmitFn& emit) {
    const std::string shown = l.shown;
    int fd = openInRoot(l.root->fd.get(), l.rel, O_PATH);
    if (fd < 0) throw SysError(-fd, "open \"" + shown + "\" on " + side.where());
    UniqueFd path(fd);
    Entry e;
    e.rel = top;
    if (::fstat(path.get(), &e.st) != 0) throw SysError(errno, "stat " + shown);
    auto ids = [&](struct stat& st) {
        if (!side.isContainer()) return;
        st.st_uid = side.containerUid(st.st_uid);
        st.st_gid = side.containerGid(st.st_gid);
    };
    ids(e.st);
    if (S_ISREG(e.st.st_mode)) {
        int rfd = openInRoot(l.root->fd.get(), l.rel, O_RDONLY | O_NOFOLLOW);
        if (rfd < 0) throw SysError(-rfd, "open \"" + shown + "\" on " + side.where());
        UniqueFd file(rfd);
        DataFn read = fdReader(file.get(), shown);
        emit(e, &read);
        return;
    }
    if (!S_ISDIR(e.st.st_mode)) {
        if (!S_ISSOCK(e.st.st_mode)) emit(e, nullptr);
        return;
    }
    int dfd = openInRoot(l.root->fd.get(), l.rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (dfd < 0) throw SysError(-dfd, "open \"" + shown + "\" on " + side.where());
    UniqueFd dir(dfd);
    if (!top.empty()) emit(e, nullptr);
    const bool skipSystem = side.skipsSystemDirs(l);
    fsutil::WalkVisitor v;
    v.skipDenied = true;
    v.pre = [&](const fsutil::WalkEntry& w) {
        if (skipSystem && w.depth == 1 && (w.name == "dev" || w.name == "proc" || w.name == "sys")) return false;
        Entry x;
        x.rel = joinRel(top, w.rel);
        x.st = w.st;
        ids(x.st);
        const std::string where = fsutil::join(shown, w.rel);
        if (S_ISREG(w.st.st_mode)) {
            UniqueFd f(::openat(w.dirFd, w.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!f) {
                if (errno != EACCES && errno != EPERM) throw SysError(errno, "open " + where);
                log::warn("cp: {} is not readable, left out", where);
                return false;
            }
            DataFn read = fdReader(f.get(), where);
            emit(x, &read);
        } else if (S_ISLNK(w.st.st_mode)) {
            std::string target(static_cast<size_t>(w.st.st_size) + 1, '\0');
            ssize_t n = ::readlinkat(w.dirFd, w.name.c_str(), target.data(), target.size());
            if (n < 0) throw SysError(errno, "readlink " + where);
            target.resize(static_cast<size_t>(n));
            x.link = target;
            emit(x, nullptr);
        } else if (!S_ISSOCK(w.st.st_mode)) {
            emit(x, nullptr);
        }
        return S_ISDIR(w.st.st_mode);
    };
    fsutil::walk(dir.get(), shown, v);
}

/// Emits the entries of the tar (plain or compressed) read from `fd`. Throws
/// InvalidArgument when it is not a tar, or for an entry leaving the destination.
void readTar(int fd, const EmitFn& emit) {
    std::unique_ptr<archive, decltype(&::archive_read_free)> a(arc().read_new(), arc().read_free);
    if (!a) throw Error("cp: out of memory");
    arc().read_support_filter_all(a.get());
    arc().read_support_format_tar(a.get());
    if (arc().read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
        throw InvalidArgument("source must be a (compressed) tar archive when copying from stdin");
    bool first = true;
    for (;;) {
        archive_entry* ae = nullptr;
        int r = arc().read_next_header(a.get(), &ae);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
            if (first) throw InvalidArgument("source must be a (compressed) tar archive when copying from stdin");
            const char* m = arc().error_string(a.get());
            throw InvalidArgument(std::string("copying from stdin: ") + (m ? m : "bad tar entry"));
        }
        first = false;
        const char* name = arc().entry_pathname(ae);
        bool escaped = false;
        Entry e;
        e.rel = storage::fsops::cleanPath(name ? name : "", &escaped);
        if (escaped) throw InvalidArgument(std::string("copying from stdin: tar entry \"") + name + "\" leaves the destination directory");
        if (e.rel.empty()) continue;  // "./": the destination directory itself
        e.st.st_mode = arc().entry_filetype(ae) | (arc().entry_perm(ae) & 07777);
        e.st.st_uid = static_cast<uid_t>(arc().entry_uid(ae));
        e.st.st_gid = static_cast<gid_t>(arc().entry_gid(ae));
        e.st.st_mtim.tv_sec = arc().entry_mtime(ae);
        e.st.st_mtim.tv_nsec = arc().entry_mtime_nsec(ae);
        e.st.st_rdev = makedev(arc().entry_rdevmajor(ae), arc().entry_rdevminor(ae));
        if (const char* hl = arc().entry_hardlink(ae)) {
            bool esc = false;
            e.hardlink = storage::fsops::cleanPath(hl, &esc);
            if (esc || e.hardlink.empty()) throw InvalidArgument(std::string("copying from stdin: tar hardlink \"") + hl + "\" leaves the destination directory");
        }
        if (S_ISLNK(e.st.st_mode)) {
            const char* t = arc().entry_symlink(ae);
            e.link = t ? t : "";
        }
        if (S_ISREG(e.st.st_mode) && e.hardlink.empty()) {
            DataFn read = [&](void* buf, size_t n) -> size_t {
                la_ssize_t k = arc().read_data(a.get(), buf, n);
                if (k < 0) {
                    const char* m = arc().error_string(a.get());
                    throw InvalidArgument(std::string("copying from stdin: ") + (m ? m : "read error"));
                }
                return static_cast<size_t>(k);
            };
            emit(e, &read);
        } else {
            emit(e, nullptr);
        }
    }
}

/// Where entries go.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void put(const Entry& e, const DataFn* data) = 0;
    virtual void finish() = 0;
};

void writeAll(int fd, const void* p, size_t n, const std::string& shown) {
    auto* c = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw SysError(errno, "write " + shown);
        c += w;
        n -= static_cast<size_t>(w);
    }
}

/// Writes entries into a directory of a side. Each entry's parent is opened with openat2
/// RESOLVE_IN_ROOT in the side's root, and the entry is made relative to that open
/// directory without following a symlink at its name.
class FsSink : public Sink {
public:
    enum class Owners {
        Caller,  ///< the host: the files are the caller's
        Fixed,   ///< the container's user (--archive)
        Keep,    ///< the entry's own ids, as container ids (--archive=false)
    };

    FsSink(const Side& side, Located dir, Owners owners, bool overwrite)
        : side_(side), dir_(std::move(dir)), owners_(owners), overwrite_(overwrite),
          what_(side.isContainer() ? "copying to container: " : "copying to host: ") {
        if (owners_ == Owners::Fixed) fixed_ = side.user();
    }

    void put(const Entry& e, const DataFn* data) override {
        const std::string path = fsutil::join(dir_.rel, e.rel);
        const std::string shown = fsutil::join(dir_.shown, e.rel);
        auto slash = path.rfind('/');
        const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
        const std::string name = path.substr(slash + 1);
        int pfd = parentFd(parent, shown);
        struct stat ex {};
        bool have = ::fstatat(pfd, name.c_str(), &ex, AT_SYMLINK_NOFOLLOW) == 0;
        auto owner = ownerOf(e);
        const mode_t type = e.st.st_mode & S_IFMT;
        const mode_t perm = e.st.st_mode & 07777;

        if (type == S_IFDIR) {
            if (have && S_ISDIR(ex.st_mode)) return;  // merged into; its own metadata is kept
            if (have) replace(pfd, name, shown, ex, true);
            if (::mkdirat(pfd, name.c_str(), 0700) != 0) throw SysError(errno, what_ + "mkdir \"" + shown + "\"");
            UniqueFd d(::openat(pfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!d) throw SysError(errno, what_ + "open \"" + shown + "\"");
            setMeta(d.get(), owner, perm, nullptr, shown);
            dirTimes_.emplace_back(path, e.st.st_mtim);
            return;
        }
        if (have && S_ISDIR(ex.st_mode)) {
            replace(pfd, name, shown, ex, false);
            have = false;
        }
        if (!e.hardlink.empty()) {
            if (have) unlink(pfd, name, shown);
            const std::string target = fsutil::join(dir_.rel, e.hardlink);
            auto ts = target.rfind('/');
            UniqueFd tp(openInRoot(dir_.root->fd.get(), ts == 0 ? "/" : target.substr(0, ts), O_PATH | O_DIRECTORY));
            if (tp.get() < 0) throw SysError(-tp.release(), what_ + "link \"" + shown + "\"");
            if (::linkat(tp.get(), target.substr(ts + 1).c_str(), pfd, name.c_str(), 0) != 0)
                throw SysError(errno, what_ + "link \"" + shown + "\"");
            return;
        }
        if (type == S_IFREG) {
            UniqueFd f;
            if (have && S_ISREG(ex.st_mode)) {
                // In place: a bind-mounted file (resolv.conf, a file volume) keeps its mount.
                f.reset(::openat(pfd, name.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC));
            } else {
                if (have) unlink(pfd, name, shown);
                f.reset(::openat(pfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            }
            if (!f) throw SysError(errno, what_ + "create \"" + shown + "\"");
            if (data) {
                char buf[1 << 16];
                for (;;) {
                    size_t n = (*data)(buf, sizeof buf);
                    if (n == 0) break;
                    writeAll(f.get(), buf, n, shown);
                }
            }
            setMeta(f.get(), owner, perm, &e.st.st_mtim, shown);
            return;
        }
        if (have) unlink(pfd, name, shown);
        if (type == S_IFLNK) {
            if (::symlinkat(e.link.c_str(), pfd, name.c_str()) != 0) throw SysError(errno, what_ + "symlink \"" + shown + "\"");
        } else {
            if (!side_.isContainer() && (type == S_IFCHR || type == S_IFBLK)) return;  // podman: no devices on the host
            if (::mknodat(pfd, name.c_str(), type | (perm & 0777), e.st.st_rdev) != 0) {
                if (errno == EPERM) {
                    log::debug("cp: {}: device node not allowed here, left out", shown);
                    return;
                }
                throw SysError(errno, what_ + "mknod \"" + shown + "\"");
            }
        }
        if (owner && ::fchownat(pfd, name.c_str(), owner->first, owner->second, AT_SYMLINK_NOFOLLOW) != 0)
            log::debug("cp: chown {}: {}", shown, errno);
        struct timespec t[2] = {e.st.st_mtim, e.st.st_mtim};
        ::utimensat(pfd, name.c_str(), t, AT_SYMLINK_NOFOLLOW);
    }

    /// Sets the directories' mtimes (after their content was written).
    void finish() override {
        for (auto it = dirTimes_.rbegin(); it != dirTimes_.rend(); ++it) {
            auto slash = it->first.rfind('/');
            int pfd = parentFd(slash == 0 ? "/" : it->first.substr(0, slash), it->first);
            struct timespec t[2] = {it->second, it->second};
            ::utimensat(pfd, it->first.substr(slash + 1).c_str(), t, AT_SYMLINK_NOFOLLOW);
        }
    }

private:
    int parentFd(const std::string& parent, const std::string& shown) {
        if (parentFd_ && parent == parentPath_) return parentFd_.get();
        int fd = openInRoot(dir_.root->fd.get(), parent, O_PATH | O_DIRECTORY);
        if (fd < 0) throw SysError(-fd, what_ + "open the directory of \"" + shown + "\"");
        parentFd_.reset(fd);
        parentPath_ = parent;
        return fd;
    }

    void unlink(int pfd, const std::string& name, const std::string& shown) {
        if (::unlinkat(pfd, name.c_str(), 0) != 0 && errno != ENOENT) throw SysError(errno, what_ + "remove \"" + shown + "\"");
    }

    /// A directory replacing a non-directory or the other way round: --overwrite only.
    void replace(int pfd, const std::string& name, const std::string& shown, const struct stat& ex, bool byDir) {
        if (!overwrite_)
            throw InvalidArgument(what_ + "error creating \"" + shown + "\": a " +
                                  (byDir ? "directory cannot replace a non-directory" : "non-directory cannot replace a directory") +
                                  " without --overwrite: file exists");
        if (S_ISDIR(ex.st_mode)) fsutil::removeAt(pfd, name, shown);
        else unlink(pfd, name, shown);
    }

    std::optional<std::pair<uid_t, gid_t>> ownerOf(const Entry& e) const {
        if (owners_ == Owners::Caller) return std::nullopt;
        uint32_t u = owners_ == Owners::Fixed ? fixed_.first : e.st.st_uid;
        uint32_t g = owners_ == Owners::Fixed ? fixed_.second : e.st.st_gid;
        auto su = side_.sessionUid(u);
        auto sg = side_.sessionGid(g);
        if (!su || !sg) {
            log::debug("cp: {}:{} is not mapped in the container, owner left as is", u, g);
            return std::nullopt;
        }
        return std::make_pair(static_cast<uid_t>(*su), static_cast<gid_t>(*sg));
    }

    void setMeta(int fd, const std::optional<std::pair<uid_t, gid_t>>& owner, mode_t perm, const struct timespec* mtime,
                 const std::string& shown) {
        if (owner && ::fchown(fd, owner->first, owner->second) != 0) log::debug("cp: chown {}: {}", shown, errno);
        if (::fchmod(fd, perm) != 0) throw SysError(errno, what_ + "chmod \"" + shown + "\"");
        if (mtime) {
            struct timespec t[2] = {*mtime, *mtime};
            ::futimens(fd, t);
        }
    }

    const Side& side_;
    Located dir_;
    Owners owners_;
    bool overwrite_;
    std::string what_;
    std::pair<uint32_t, uint32_t> fixed_{0, 0};
    UniqueFd parentFd_;
    std::string parentPath_;
    std::vector<std::pair<std::string, struct timespec>> dirTimes_;
};

/// Writes entries as an uncompressed tar (pax) to a file descriptor.
class TarSink : public Sink {
public:
    explicit TarSink(int fd) : a_(arc().write_new(), arc().write_free) {
        if (!a_) throw Error("cp: out of memory");
        arc().write_set_format_pax_restricted(a_.get());
        arc().write_set_bytes_in_last_block(a_.get(), 1);
        if (arc().write_open_fd(a_.get(), fd) != ARCHIVE_OK) fail("open the output");
    }

    void put(const Entry& e, const DataFn* data) override {
        std::unique_ptr<archive_entry, decltype(&::archive_entry_free)> ae(arc().entry_new(), arc().entry_free);
        const mode_t type = e.st.st_mode & S_IFMT;
        arc().entry_set_pathname(ae.get(), e.rel.c_str());
        arc().entry_set_filetype(ae.get(), type);
        arc().entry_set_perm(ae.get(), e.st.st_mode & 07777);
        arc().entry_set_uid(ae.get(), e.st.st_uid);
        arc().entry_set_gid(ae.get(), e.st.st_gid);
        arc().entry_set_mtime(ae.get(), e.st.st_mtim.tv_sec, 0);
        if (type == S_IFLNK) arc().entry_set_symlink(ae.get(), e.link.c_str());
        if (type == S_IFCHR || type == S_IFBLK) {
            arc().entry_set_rdevmajor(ae.get(), major(e.st.st_rdev));
            arc().entry_set_rdevminor(ae.get(), minor(e.st.st_rdev));
        }
        arc().entry_set_size(ae.get(), type == S_IFREG ? e.st.st_size : 0);
        if (arc().write_header(a_.get(), ae.get()) < ARCHIVE_WARN) fail(e.rel);
        if (type != S_IFREG || !data) return;
        // Exactly the size in the header: a file that grew is cut, one that shrank is padded.
        int64_t left = e.st.st_size;
        char buf[1 << 16];
        while (left > 0) {
            size_t n = (*data)(buf, static_cast<size_t>(std::min<int64_t>(left, sizeof buf)));
            if (n == 0) break;
            if (arc().write_data(a_.get(), buf, n) < 0) fail(e.rel);
            left -= static_cast<int64_t>(n);
        }
        std::fill(buf, buf + sizeof buf, '\0');
        while (left > 0) {
            size_t n = static_cast<size_t>(std::min<int64_t>(left, sizeof buf));
            if (arc().write_data(a_.get(), buf, n) < 0) fail(e.rel);
            left -= static_cast<int64_t>(n);
        }
    }

    void finish() override {
        if (arc().write_close(a_.get()) != ARCHIVE_OK) fail("close");
    }

private:
    [[noreturn]] void fail(const std::string& what) {
        const char* m = arc().error_string(a_.get());
        throw Error("cp: write the tar (" + what + ")" + (m ? std::string(": ") + m : ""));
    }
    std::unique_ptr<archive, decltype(&::archive_write_free)> a_;
};

std::unique_ptr<Side> openSide(Context& ctx, const CopyLocation& loc) {
    if (!loc.isContainer()) return std::make_unique<Side>();
    return std::make_unique<Side>(ctx, loc.container);
}

}  // namespace

void copyFiles(Context& ctx, const CopyOptions& o, int inFd, int outFd) {
    const CopyLocation src = parseCopyLocation(o.source);
    const CopyLocation dst = parseCopyLocation(o.destination);
    if (src.path.empty() || dst.path.empty())
        throw InvalidArgument("invalid arguments \"" + o.source + "\", \"" + o.destination + "\": you must specify paths");
    if (!src.isContainer() && !dst.isContainer()) throw InvalidArgument("name or ID cannot be empty");  // podman's
    // Both sides may name one container: it is opened (locked, mounted) once.
    std::unique_ptr<Side> srcOwned = openSide(ctx, src), dstOwned;
    const Side* dstSide = nullptr;
    if (dst.isContainer() && src.isContainer() && containerId(ctx, dst.container) == srcOwned->id()) {
        dstSide = srcOwned.get();
    } else {
        dstOwned = openSide(ctx, dst);
        dstSide = dstOwned.get();
    }
    const Side& srcSide = *srcOwned;
    const auto owners = !dstSide->isContainer() ? FsSink::Owners::Caller
                        : o.archive            ? FsSink::Owners::Fixed
                                               : FsSink::Owners::Keep;

    if (src.isStream()) {
        const std::string dstAbs = dstSide->absolute(dst.path);
        CopyStat d = dstSide->stat(dstAbs);
        if (!d.exists && !dst.path.empty() && dst.path.back() == '/')
            throw InvalidArgument("\"" + dst.path + "\" could not be found on " + dstSide->where() + ": no such file or directory");
        if (!d.exists || !d.isDir) throw InvalidArgument("destination must be a directory when copying from stdin");
        FsSink sink(*dstSide, dstSide->locate(d.resolved), owners, o.overwrite);
        readTar(inFd, [&](const Entry& e, const DataFn* data) { sink.put(e, data); });
        sink.finish();
        return;
    }

    const std::string srcAbs = srcSide.absolute(src.path);
    CopyStat s = srcSide.stat(srcAbs);
    if (!s.exists) throw InvalidArgument("\"" + src.path + "\" could not be found on " + srcSide.where() + ": no such file or directory");
    if (dst.isStream()) {
        TarSink sink(outFd);
        readTree(srcSide, srcSide.locate(s.resolved), streamTopName(srcAbs, s), [&](const Entry& e, const DataFn* data) { sink.put(e, data); });
        sink.finish();
        return;
    }

    const std::string dstAbs = dstSide->absolute(dst.path);
    CopyStat d = dstSide->stat(dstAbs);
    CopyStat parent;
    if (!d.exists) parent = dstSide->stat(copyParentPath(dstAbs));
    if (!dstSide->isContainer() && d.exists && !d.isDir && !d.isRegular)
        throw InvalidArgument("invalid destination: \"" + dst.path + "\" must be a directory or a regular file");
    CopyPlan plan = planCopy(srcAbs, s, dstAbs, d, parent, dstSide->where());
    FsSink sink(*dstSide, dstSide->locate(plan.destDir), owners, o.overwrite);
    readTree(srcSide, srcSide.locate(s.resolved), plan.topName, [&](const Entry& e, const DataFn* data) { sink.put(e, data); });
    sink.finish();
}

}  // namespace hutch::engine
