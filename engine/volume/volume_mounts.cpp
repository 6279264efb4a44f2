#include "hutch/engine/volume/volume_mounts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <optional>
#include <set>

#include "hutch/common/error.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/spec/mountspec.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/storage/fsops.hpp"

namespace hutch::engine {

using nlohmann::json;
using Mode = fsutil::FileLock::Mode;

namespace {

bool isEmptyDir(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw SysError(errno, "open " + dir);
    bool empty = true;
    while (dirent* e = ::readdir(d))
        if (std::string n = e->d_name; n != "." && n != "..") {
            empty = false;
            break;
        }
    ::closedir(d);
    return empty;
}

/// chown -R (never following symlinks) of `path` to uid:gid; any depth, bounded fds.
void chownTree(const std::string& path, uid_t uid, gid_t gid) {
    const std::string what = " to " + std::to_string(uid) + ":" + std::to_string(gid);
    checkSys(::lchown(path.c_str(), uid, gid), "chown " + path + what);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    fsutil::DirCursor root(path);
    fsutil::walk(root.fd(), path, fsutil::WalkVisitor{[&](const fsutil::WalkEntry& e) {
                     checkSys(::fchownat(e.dirFd, e.name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW),
                              "chown " + fsutil::join(path, e.rel) + what);
                     return true;
                 }, nullptr});
}

std::vector<std::string> splitOptions(const std::string& o) {
    std::vector<std::string> out;
    for (const auto& w : str::split(o, ','))
        if (!w.empty()) out.push_back(w);
    return out;
}

/// The OCI mount of a volume created with --opt type= (tmpfs, or a device to mount).
json specialVolumeMount(const MountSpec& m, const Volume& v, bool rootless) {
    std::string o = v.options.count("o") ? v.options.at("o") : "";
    std::vector<std::string> opts = {"nosuid", "nodev"};
    for (auto& w : splitOptions(o)) opts.push_back(w);
    if (m.readOnly) opts.push_back("ro");
    for (const auto& w : m.options) opts.push_back(w);
    if (v.isTmpfs()) return tmpfsOciMount(m.destination, opts);
    std::string type = v.options.at("type");
    std::string device = v.options.count("device") ? v.options.at("device") : "";
    bool bind = false;
    for (const auto& w : opts) bind = bind || w == "bind" || w == "rbind";
    if (device.empty())
        throw InvalidArgument("volume " + v.name + ": --opt type=" + type + " needs --opt device=");
    // File systems the kernel lets the owner of a user namespace mount (FS_USERNS_MOUNT).
    static const std::set<std::string> userns = {"tmpfs", "ramfs", "overlay", "fuse", "fuse.fuse-overlayfs", "bind", "none"};
    if (rootless && !bind && !userns.count(type))
        throw InvalidArgument("volume " + v.name + ": --opt type=" + type + ": an unprivileged user cannot mount " + type +
                              " file systems (a user namespace allows tmpfs, ramfs, overlay, fuse and o=bind)");
    return json{{"destination", m.destination}, {"type", bind ? "bind" : type}, {"source", device}, {"options", opts}};
}

/// First use of a plain volume: copy-up of the image content at the mount point, or a
/// chown of the empty volume to the container's user. The copy-up stays pending (as
/// podman's) until a container's image has content there: a mount over a path the image
/// lacks, or an empty directory, copies nothing. Volumes lock held.
void firstMount(Context& ctx, Volume& v, const MountSpec& m, const std::string& rootfs, const ResolvedUser& user) {
    if (!v.needsCopyUp && !v.needsChown) return;
    bool copied = false, copiedContent = false;
    if (v.needsCopyUp && !m.noCopy && isEmptyDir(v.mountpoint)) {
        std::string src = fsutil::resolveInRoot(rootfs, m.destination);
        struct stat st {};
        if (::lstat(src.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && !isEmptyDir(src)) {
            log::debug("volumes: copying {} of the image into volume {}", m.destination, v.name);
            storage::fsops::copyTree(src, v.mountpoint);
            copied = copiedContent = true;
        } else if (::lstat(src.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            // Empty directory in the image: keep its owner and mode, as a copy-up would.
            checkSys(::chown(v.mountpoint.c_str(), st.st_uid, st.st_gid), "chown " + v.mountpoint);
            checkSys(::chmod(v.mountpoint.c_str(), st.st_mode & 07777), "chmod " + v.mountpoint);
            copied = true;
        }
    }
    if (!copied && v.needsChown && (user.uid != 0 || user.gid != 0) && isEmptyDir(v.mountpoint))
        checkSys(::chown(v.mountpoint.c_str(), user.uid, user.gid), "chown " + v.mountpoint);
    if (copiedContent) v.needsCopyUp = false;
    v.needsChown = false;
    saveVolume(ctx, v);
}

}  // namespace

std::vector<std::string> imageVolumes(Context& ctx, const std::string& imageId) {
    ImageInfo image = imageInfo(ctx, imageId);
    return registry::parseImageConfig(image.config.dump()).volumes;
}

std::optional<fsutil::FileLock> prepareMounts(Context& ctx, ContainerRecord& rec,
                                              const std::vector<std::string>& imageVols) {
    auto& mounts = rec.config.mounts;
    checkDuplicateDestinations(mounts);
    for (auto& m : mounts) {
        if (m.type != MountType::Bind) continue;
        char buf[PATH_MAX];
        if (!::realpath(m.source.c_str(), buf)) {
            std::string why = std::strerror(errno);  // lower-cased, as Go's error strings
            if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
            throw InvalidArgument("statfs " + m.source + ": " + why);
        }
        m.source = buf;
    }
    std::set<std::string> dests;
    for (const auto& m : mounts) dests.insert(m.destination);
    for (const auto& path : imageVols) {
        MountSpec m;
        m.type = MountType::Volume;
        m.flag = "image VOLUME";
        try {
            m.destination = parseVolumeFlag(path).destination;
        } catch (const InvalidArgument&) {
            log::warn("image VOLUME \"{}\" is not an absolute path; ignored", path);
            continue;
        }
        if (dests.insert(m.destination).second) mounts.push_back(m);
    }

    if (std::none_of(mounts.begin(), mounts.end(), [](const MountSpec& m) { return m.type == MountType::Volume; }))
        return std::nullopt;
    std::optional<fsutil::FileLock> lock(lockVolumes(ctx, Mode::Exclusive));
    std::vector<std::string> made;
    try {
        for (auto& m : mounts) {
            if (m.type != MountType::Volume) continue;
            if (m.source.empty()) {
                VolumeCreateOptions o;
                o.anonymous = true;
                o.options = m.volumeOptions;
                m.source = createVolume(ctx, o, true).name;
                made.push_back(m.source);
                rec.anonymousVolumes.push_back(m.source);
            } else if (!findVolume(ctx, m.source)) {
                VolumeCreateOptions o;
                o.name = m.source;
                o.options = m.volumeOptions;
                createVolume(ctx, o, true);
            }
            if (std::find(rec.volumes.begin(), rec.volumes.end(), m.source) == rec.volumes.end())
                rec.volumes.push_back(m.source);
        }
    } catch (...) {
        for (const auto& n : made) {
            try {
                deleteVolumeLocked(ctx, n);
            } catch (const std::exception& e) {
                log::warn("removing volume {}: {}", n, e.what());
            }
        }
        throw;
    }
    return lock;
}

json resolveMounts(Context& ctx, const ContainerRecord& rec, const std::string& rootfs, const ResolvedUser& user) {
    json out = json::array();
    // The user's ids on this side of a user namespace of the container's own: what a
    // volume or a :U source is chowned to (a tmpfs takes the container's ids).
    ResolvedUser owner = user;
    if (!rec.config.uidMappings.empty()) {
        auto u = mapToHost(rec.config.uidMappings, user.uid);
        auto g = mapToHost(rec.config.gidMappings, user.gid);
        if (!u || !g)
            throw InvalidArgument("user " + std::to_string(user.uid) + ":" + std::to_string(user.gid) +
                                  " is outside the container's --uidmap/--gidmap");
        owner.uid = *u;
        owner.gid = *g;
    }
    std::optional<fsutil::FileLock> lock;  // taken at the first volume
    for (const auto& m : rec.config.mounts) {
        if (m.type == MountType::Devpts) {
            out.push_back(ociMountFor(m, ""));
            continue;
        }
        if (m.type == MountType::Tmpfs) {
            MountSpec t = m;
            if (m.chown) {
                t.options.push_back("uid=" + std::to_string(user.uid));
                t.options.push_back("gid=" + std::to_string(user.gid));
            }
            out.push_back(ociMountFor(t, ""));
            continue;
        }
        if (m.type == MountType::Bind) {
            if (!fsutil::exists(m.source)) throw InvalidArgument("statfs " + m.source + ": no such file or directory");
            if (m.chown) chownTree(m.source, owner.uid, owner.gid);
            out.push_back(ociMountFor(m, m.source));
            continue;
        }
        if (!lock) lock.emplace(lockVolumes(ctx, Mode::Exclusive));
        auto found = findVolume(ctx, m.source);
        Volume v;
        if (found) {
            v = *found;
        } else {
            // Removed with the container stopped (not possible through hutch): made again.
            VolumeCreateOptions o;
            o.name = m.source;
            o.options = m.volumeOptions;
            o.anonymous = std::find(rec.anonymousVolumes.begin(), rec.anonymousVolumes.end(), m.source) !=
                          rec.anonymousVolumes.end();
            v = createVolume(ctx, o, true);
        }
        if (v.isTmpfs() || v.isDevice()) {
            out.push_back(specialVolumeMount(m, v, ctx.rootless()));
            continue;
        }
        firstMount(ctx, v, m, rootfs, owner);
        if (m.chown) chownTree(v.mountpoint, owner.uid, owner.gid);
        out.push_back(ociMountFor(m, v.mountpoint));
    }
    return out;
}

}  // namespace hutch::engine
