// Mount steps. Rootless notes (as crun does it): inside a user namespace that does not own
// the network namespace, sysfs cannot be mounted -> rbind the host's /sys read-only; cgroup
// filesystems may be refused -> read-only bind of the host's /sys/fs/cgroup, else skipped.
#include "hutch/runtime/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <map>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fscopy.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::runtime {

namespace {

struct FlagWord {
    bool clear;
    unsigned long flag;
};

const std::map<std::string, FlagWord>& flagTable() {
    static const std::map<std::string, FlagWord> t = {
        {"ro", {false, MS_RDONLY}},          {"rw", {true, MS_RDONLY}},
        {"nosuid", {false, MS_NOSUID}},      {"suid", {true, MS_NOSUID}},
        {"nodev", {false, MS_NODEV}},        {"dev", {true, MS_NODEV}},
        {"noexec", {false, MS_NOEXEC}},      {"exec", {true, MS_NOEXEC}},
        {"sync", {false, MS_SYNCHRONOUS}},   {"async", {true, MS_SYNCHRONOUS}},
        {"dirsync", {false, MS_DIRSYNC}},    {"remount", {false, MS_REMOUNT}},
        {"mand", {false, MS_MANDLOCK}},      {"nomand", {true, MS_MANDLOCK}},
        {"atime", {true, MS_NOATIME}},       {"noatime", {false, MS_NOATIME}},
        {"diratime", {true, MS_NODIRATIME}}, {"nodiratime", {false, MS_NODIRATIME}},
        {"relatime", {false, MS_RELATIME}},  {"norelatime", {true, MS_RELATIME}},
        {"strictatime", {false, MS_STRICTATIME}}, {"nostrictatime", {true, MS_STRICTATIME}},
        {"bind", {false, MS_BIND}},          {"rbind", {false, MS_BIND | MS_REC}},
    };
    return t;
}

const std::map<std::string, unsigned long>& propagationTable() {
    static const std::map<std::string, unsigned long> t = {
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    return t;
}

void sysMount(const std::string& src, const std::string& dst, const std::string& type, unsigned long flags,
              const std::string& data) {
    if (::mount(src.empty() ? nullptr : src.c_str(), dst.c_str(), type.empty() ? nullptr : type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) != 0)
        throw SysError(errno, "mount " + (type.empty() ? src : type) + " on " + dst);
}

int sysMountRc(const std::string& src, const std::string& dst, const std::string& type, unsigned long flags,
               const std::string& data) {
    int rc = ::mount(src.empty() ? nullptr : src.c_str(), dst.c_str(), type.empty() ? nullptr : type.c_str(), flags,
                     data.empty() ? nullptr : data.c_str());
    return rc == 0 ? 0 : errno;
}

/// The MS_* flags of the mount containing `path` that a user namespace may find locked.
unsigned long lockedFlags(const std::string& path) {
    struct statvfs sv;
    if (::statvfs(path.c_str(), &sv) != 0) return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

// mount_setattr(2) (Linux 5.12) for recursive read-only; struct defined here because
// <linux/mount.h> clashes with <sys/mount.h> on glibc 2.36.
struct MountAttr {
    uint64_t attrSet, attrClr, propagation, userns;
};
constexpr uint64_t kAttrRdonly = 0x1, kAttrNosuid = 0x2, kAttrNodev = 0x4, kAttrNoexec = 0x8;
constexpr unsigned kAtRecursive = 0x8000;

bool setattrRecursive(const std::string& path, unsigned long flags) {
#ifdef SYS_mount_setattr
    MountAttr a{};
    if (flags & MS_RDONLY) a.attrSet |= kAttrRdonly;
    if (flags & MS_NOSUID) a.attrSet |= kAttrNosuid;
    if (flags & MS_NODEV) a.attrSet |= kAttrNodev;
    if (flags & MS_NOEXEC) a.attrSet |= kAttrNoexec;
    return ::syscall(SYS_mount_setattr, AT_FDCWD, path.c_str(), kAtRecursive, &a, sizeof a) == 0;
#else
    (void)path, (void)flags;
    return false;
#endif
}

bool isDir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// Creates the mount point: a directory, or an empty file when the source is not a directory.
void makeMountPoint(const std::string& dest, bool asFile) {
    struct stat st;
    if (::lstat(dest.c_str(), &st) == 0) return;
    std::string parent = dest.substr(0, dest.rfind('/'));
    if (!asFile) {
        fsutil::mkdirAll(dest, 0755);
        return;
    }
    if (!parent.empty()) fsutil::mkdirAll(parent, 0755);
    int fd = ::open(dest.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) throw SysError(errno, "create mount point " + dest);
    ::close(fd);
}

void applyPropagation(const std::string& dest, unsigned long prop) {
    if (prop) sysMount("", dest, "", prop, "");
}

void bindMount(const Mount& m, const std::string& dest, const MountOptions& o) {
    std::string src = m.source;
    makeMountPoint(dest, !isDir(src));
    if (int fd = detachedMountFd(src); fd >= 0) {
        if (::move_mount(fd, "", AT_FDCWD, dest.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
            throw SysError(errno, "attach the bind mount on " + m.destination + " (move_mount)");
    } else {
        sysMount(src, dest, "", o.flags & (MS_BIND | MS_REC), "");
    }
    unsigned long extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra) remountBind(dest, extra, (o.flags & MS_REC) != 0);
    applyPropagation(dest, o.propagation);
}

void mountSysfs(const Mount& m, const std::string& dest, const MountOptions& o) {
    makeMountPoint(dest, false);
    int err = sysMountRc(m.source.empty() ? "sysfs" : m.source, dest, "sysfs", o.flags, o.data);
    if (err == 0) return;
    if (err != EPERM && err != EINVAL) throw SysError(err, "mount sysfs on " + dest);
    log::debug("sysfs mount on {} refused ({}); binding the host's /sys read-only", dest, std::strerror(err));
    sysMount("/sys", dest, "", MS_BIND | MS_REC, "");
    remountBind(dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true);
}

void mountCgroup(const Mount& m, const std::string& dest, const MountOptions& o) {
    makeMountPoint(dest, false);
    int err = sysMountRc(m.source.empty() ? m.type : m.source, dest, m.type, o.flags, o.data);
    if (err == 0) return;
    log::debug("{} mount on {} refused ({}); binding the host's /sys/fs/cgroup read-only", m.type, dest,
               std::strerror(err));
    if (sysMountRc("/sys/fs/cgroup", dest, "", MS_BIND | MS_REC, "") != 0) {
        log::debug("cgroup bind on {} failed too ({}); leaving it out", dest, std::strerror(errno));
        return;
    }
    remountBind(dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true);
}

void mountDevpts(const Mount& m, const std::string& dest, const MountOptions& o) {
    makeMountPoint(dest, false);
    std::string data = o.data;
    if (data.find("newinstance") == std::string::npos) data = data.empty() ? "newinstance" : data + ",newinstance";
    if (data.find("ptmxmode") == std::string::npos) data += ",ptmxmode=0666";
    int err = sysMountRc(m.source.empty() ? "devpts" : m.source, dest, "devpts", o.flags, data);
    if (err == EINVAL && data.find("gid=") != std::string::npos) {
        // gid (tty = 5) not mapped in this user namespace: mount without it, as crun does.
        std::vector<std::string> kept;
        for (auto& w : str::split(data, ','))
            if (w.rfind("gid=", 0) != 0) kept.push_back(w);
        data = str::join(kept, ",");
        err = sysMountRc(m.source.empty() ? "devpts" : m.source, dest, "devpts", o.flags, data);
    }
    if (err) throw SysError(err, "mount devpts on " + dest);
}

void mountMqueue(const Mount& m, const std::string& dest, const MountOptions& o) {
    makeMountPoint(dest, false);
    int err = sysMountRc(m.source.empty() ? "mqueue" : m.source, dest, "mqueue", o.flags, o.data);
    if (err == 0) return;
    if (err != EPERM && err != EINVAL) throw SysError(err, "mount mqueue on " + dest);
    log::debug("mqueue mount on {} refused ({}); binding the host's /dev/mqueue", dest, std::strerror(err));
    if (sysMountRc("/dev/mqueue", dest, "", MS_BIND | MS_REC, "") != 0)
        log::debug("mqueue bind on {} failed too ({}); leaving it out", dest, std::strerror(errno));
}

/// Like runc's rootfsParentMountPrivate: pivot_root refuses a shared parent mount, and a
/// shared parent would propagate our rootfs bind to the host. Makes the mount that contains
/// `path` private when it is shared (a non-recursive rootfsPropagation leaves it so).
void makeParentMountPrivate(const std::string& path) {
    std::string text;
    try {
        text = fsutil::readFile("/proc/self/mountinfo");
    } catch (const Error&) {
        return;
    }
    std::string best;
    bool shared = false;
    for (const auto& line : str::split(text, '\n')) {
        auto f = str::split(line, ' ');
        if (f.size() < 7) continue;
        const std::string& mp = f[4];
        bool under = mp == "/" || path == mp || (path.size() > mp.size() && path.compare(0, mp.size(), mp) == 0 &&
                                                 path[mp.size()] == '/');
        if (!under || mp.size() < best.size()) continue;
        best = mp;
        shared = false;
        for (size_t i = 6; i < f.size() && f[i] != "-"; ++i) shared |= f[i].rfind("shared:", 0) == 0;
    }
    if (shared) sysMount("", best, "", MS_PRIVATE, "");
}

}  // namespace

int detachedMountFd(const std::string& path) {
    const size_t n = std::char_traits<char>::length(kDetachedMountPrefix);
    if (path.size() <= n || path.compare(0, n, kDetachedMountPrefix) != 0) return -1;
    if (path.find_first_not_of("0123456789", n) != std::string::npos) return -1;
    return std::stoi(path.substr(n));
}

MountOptions parseMountOptions(const std::vector<std::string>& options) {
    MountOptions o;
    std::vector<std::string> data;
    for (const auto& w : options) {
        if (auto it = flagTable().find(w); it != flagTable().end()) {
            if (it->second.clear) o.flags &= ~it->second.flag;
            else o.flags |= it->second.flag;
        } else if (auto p = propagationTable().find(w); p != propagationTable().end()) {
            o.propagation = p->second;
        } else if (w == "tmpcopyup" || w == "notmpcopyup") {
            o.tmpcopyup = w == "tmpcopyup";
        } else if (w == "z" || w == "Z" || w == "U" || w == "idmap" || w == "copy-symlink") {
            continue;
        } else {
            data.push_back(w);
        }
    }
    o.data = str::join(data, ",");
    return o;
}

void remountBind(const std::string& path, unsigned long flags, bool recursive) {
    constexpr unsigned long kSettable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (recursive && (flags & ~kSettable) == 0 && setattrRecursive(path, flags)) return;
    unsigned long base = MS_BIND | MS_REMOUNT | flags;
    if (::mount(nullptr, path.c_str(), nullptr, base, nullptr) == 0) return;
    int err = errno;
    if (err == EPERM) {
        // A user namespace cannot clear locked flags (MNT_LOCK_*): keep the current ones.
        if (::mount(nullptr, path.c_str(), nullptr, base | lockedFlags(path), nullptr) == 0) return;
        err = errno;
    }
    throw SysError(err, "remount " + path);
}

void prepareRootfs(const Spec& spec) {
    unsigned long prop = MS_SLAVE | MS_REC;
    if (!spec.rootfsPropagation.empty()) {
        auto it = propagationTable().find(spec.rootfsPropagation);
        if (it == propagationTable().end())
            throw Error("linux.rootfsPropagation: unknown value \"" + spec.rootfsPropagation + "\"");
        prop = it->second;
        // Like runc: a shared rootfs needs a private "/" first, then the rootfs itself shared.
        if (prop & MS_SHARED) prop = MS_PRIVATE | MS_REC;
    }
    sysMount("", "/", "", prop, "");
    if (int fd = detachedMountFd(spec.rootPath); fd >= 0) {
        // The rootfs as a detached mount (a user namespace of the container's own): attached
        // on top of "/" of this mount namespace, the one place every process can reach; the
        // steps after this one reach it through the descriptor (pivot_root moves it to "/").
        if (::move_mount(fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) != 0)
            throw SysError(errno, "attach the container's rootfs (move_mount)");
    } else {
        makeParentMountPrivate(spec.rootPath);
        sysMount(spec.rootPath, spec.rootPath, "", MS_BIND | MS_REC, "");
    }
    if (!spec.rootfsPropagation.empty() && (propagationTable().at(spec.rootfsPropagation) & MS_SHARED))
        sysMount("", spec.rootPath, "", propagationTable().at(spec.rootfsPropagation), "");
}

void mountAll(const Spec& spec) {
    for (const auto& m : spec.mounts) {
        std::string dest = fsutil::resolveInRoot(spec.rootPath, m.destination);
        MountOptions o = parseMountOptions(m.options);
        bool bind = (o.flags & MS_BIND) || m.type == "bind";
        if (bind) {
            if (!(o.flags & MS_BIND)) o.flags |= MS_BIND;
            bindMount(m, dest, o);
            continue;
        }
        if (m.type == "sysfs") mountSysfs(m, dest, o);
        else if (m.type == "cgroup" || m.type == "cgroup2") mountCgroup(m, dest, o);
        else if (m.type == "devpts") mountDevpts(m, dest, o);
        else if (m.type == "mqueue") mountMqueue(m, dest, o);
        else {
            if (m.type.empty()) throw Error("mount on " + m.destination + ": no type and not a bind mount");
            makeMountPoint(dest, false);
            // tmpcopyup (podman's systemd mounts): the directory under the mount point stays
            // reachable through a descriptor opened before the tmpfs covers it.
            UniqueFd below;
            if (o.tmpcopyup && m.type == "tmpfs")
                below.reset(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            sysMount(m.source.empty() ? m.type : m.source, dest, m.type, o.flags, o.data);
            if (below) {
                UniqueFd fresh(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!fresh) throw SysError(errno, "open " + m.destination + " (tmpcopyup)");
                try {
                    fsutil::copyDirContents(below.get(), fresh.get());
                } catch (const Error& e) {
                    throw Error("copying the image's " + m.destination + " into its tmpfs (tmpcopyup): " + e.what());
                }
            }
        }
        applyPropagation(dest, o.propagation);
    }
}

void maskPaths(const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
        struct stat st;
        if (::stat(p.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) continue;
            throw SysError(errno, "masked path " + p);
        }
        int err = S_ISDIR(st.st_mode) ? sysMountRc("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k,mode=0755")
                                      : sysMountRc("/dev/null", p, "", MS_BIND, "");
        if (err) throw SysError(err, "mask " + p);
    }
}

void readonlyPaths(const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
        int err = sysMountRc(p, p, "", MS_BIND | MS_REC, "");
        if (err == ENOENT || err == ENOTDIR) continue;
        if (err) throw SysError(err, "bind readonly path " + p);
        remountBind(p, MS_RDONLY, true);
    }
}

void remountRootReadonly() {
    remountBind("/", MS_RDONLY, false);
}

}  // namespace hutch::runtime
