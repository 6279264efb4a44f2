#include "hutch/storage/overlay.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/storage/paths.hpp"

namespace hutch::storage {

namespace {

constexpr size_t kMaxLowers = 500;       // overlayfs' OVL_MAX_STACK
constexpr size_t kMountDataLimit = 4095;  // one page minus the NUL, mount(2)'s data
constexpr size_t kMaxChain = 4096;        // parents lowers() follows before it calls the chain broken

// 26 characters of [A-Z0-9] like containers/storage's short link names, but derived from
// the layer id (theirs are random): a layer re-made after a killed pull gets its old link
// back, so `lower` files of its children that name it stay valid.
std::string shortName(const std::string& id) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string hex = Digest::sha256Of("hutch overlay link " + id).encoded;
    std::string out;
    for (size_t i = 0; i < 26; ++i) out.push_back(alphabet[std::stoi(hex.substr(2 * i, 2), nullptr, 16) % 36]);
    return out;
}

void mkdirIfMissing(const std::string& p, mode_t mode) {
    if (::mkdir(p.c_str(), mode) != 0 && errno != EEXIST) throw SysError(errno, "mkdir " + p);
}

// True when `dir` is the root of a mount other than its parent's (a mounted merged/).
bool isMountPoint(const std::string& dir) {
    struct stat a, b;
    if (::lstat(dir.c_str(), &a) != 0 || ::lstat((dir + "/..").c_str(), &b) != 0) return false;
    return a.st_dev != b.st_dev;
}

// The kernel's messages for a failed fs context ("e overlay: ..."), joined.
std::string fsContextLog(int fsfd) {
    std::string out;
    char buf[1024];
    for (;;) {
        ssize_t n = ::read(fsfd, buf, sizeof buf - 1);
        if (n <= 0) break;
        std::string m(buf, static_cast<size_t>(n));
        if (m.size() > 2 && m[1] == ' ') m = m.substr(2);
        out += (out.empty() ? "" : "; ") + m;
    }
    return out;
}

// The new mount API. Returns false (nothing mounted) when this kernel refuses "lowerdir+".
bool mountNewApi(const std::vector<std::string>& lowers, const std::string& upper, const std::string& work,
                 const std::string& target, OverlayFlags flags, const std::string& cwd) {
    UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fs) {
        if (errno == ENOSYS) return false;
        throw SysError(errno, "fsopen overlay (is the overlay filesystem available?)");
    }
    auto fail = [&](const std::string& what) {
        int e = errno;
        std::string klog = fsContextLog(fs.get());
        throw Error("overlay mount on " + target + ": " + what + ": " + std::strerror(e) +
                    (klog.empty() ? "" : " (" + klog + ")"));
    };
    auto abs = [&](const std::string& p) { return p.starts_with("/") ? p : fsutil::join(cwd, p); };
    for (size_t i = 0; i < lowers.size(); ++i) {
        std::string p = abs(lowers[i]);
        if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", p.c_str(), 0) != 0) {
            if (i == 0 && errno == EINVAL) {
                log::debug("overlay: lowerdir+ refused ({}), using the classic mount options", fsContextLog(fs.get()));
                return false;
            }
            fail("lower layer " + p);
        }
    }
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "upperdir", abs(upper).c_str(), 0) != 0) fail("upperdir " + upper);
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "workdir", abs(work).c_str(), 0) != 0) fail("workdir " + work);
    if (flags.userxattr && ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) != 0) fail("userxattr");
    if (flags.volatileUpper && ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0) fail("volatile");
    if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) fail("create");
    UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
    if (!mnt) fail("fsmount");
    if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) fail("move_mount");
    return true;
}

// mount(2) with the one-page option string, from a child whose working directory is `cwd`
// (so relative short links resolve; the caller may have threads: the child only calls
// async-signal-safe functions).
void mountClassic(const std::string& data, const std::string& target, const std::string& cwd) {
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork for the overlay mount");
    if (pid == 0) {
        if (::chdir(cwd.c_str()) != 0) _exit(200);
        if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) != 0) _exit(errno & 0xff);
        _exit(0);
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    if (code == 0) return;
    if (code == 200) throw SysError(ENOENT, "chdir " + cwd + " for the overlay mount");
    throw Error("overlay mount on " + target + ": " + std::strerror(code) + " (options " + data + ")");
}

}  // namespace

bool inUserNamespace() {
    try {
        std::istringstream in(fsutil::readFile("/proc/self/uid_map"));
        unsigned long inside = 0, outside = 0, count = 0;
        if (!(in >> inside >> outside >> count)) return true;
        return !(inside == 0 && outside == 0 && count == 4294967295UL);
    } catch (const Error&) {
        return false;
    }
}

std::string opaqueXattrName(bool userxattr) { return userxattr ? "user.overlay.opaque" : "trusted.overlay.opaque"; }

std::string overlayMountData(const std::vector<std::string>& lowers, const std::string& upper,
                             const std::string& work, OverlayFlags flags) {
    std::string data = "lowerdir=" + str::join(lowers, ":") + ",upperdir=" + upper + ",workdir=" + work;
    if (flags.userxattr) data += ",userxattr";
    if (flags.volatileUpper) data += ",volatile";
    if (data.size() > kMountDataLimit)
        throw InvalidArgument("the image has too many layers (" + std::to_string(lowers.size()) +
                              ") for an overlay mount: the options take " + std::to_string(data.size()) +
                              " bytes, the limit is " + std::to_string(kMountDataLimit) +
                              " (a kernel >= 6.8 has no such limit)");
    return data;
}

void mountOverlay(const std::vector<std::string>& lowers, const std::string& upper, const std::string& work,
                  const std::string& target, OverlayFlags flags, const std::string& cwd) {
    if (lowers.size() > kMaxLowers)
        throw InvalidArgument("the image has too many layers (" + std::to_string(lowers.size()) +
                              ") for an overlay mount: the kernel stacks at most " + std::to_string(kMaxLowers));
    if (!flags.classicOnly && mountNewApi(lowers, upper, work, target, flags, cwd)) return;
    mountClassic(overlayMountData(lowers, upper, work, flags), target, cwd);
}

OverlayDriver::OverlayDriver(std::string graphRoot) : graphRoot_(std::move(graphRoot)), userxattr_(inUserNamespace()) {
    fsutil::mkdirAll(paths::overlayLinkDir(graphRoot_), 0700);
}

std::string OverlayDriver::layerDir(const std::string& id) const { return paths::overlayLayerDir(graphRoot_, id); }

void OverlayDriver::create(const std::string& id, const std::string& parent) {
    std::string dir = layerDir(id);
    if (::mkdir(dir.c_str(), 0700) != 0) {
        if (errno == EEXIST) throw AlreadyExists("overlay layer " + id + " already exists at " + dir);
        throw SysError(errno, "mkdir " + dir);
    }
    std::string link = shortName(id);
    std::string linkPath = fsutil::join(paths::overlayLinkDir(graphRoot_), link);
    std::string target = "../" + id + "/diff";
    if (::symlink(target.c_str(), linkPath.c_str()) != 0) {
        // left by a creator of this layer killed before it wrote `link`
        if (errno != EEXIST || ::unlink(linkPath.c_str()) != 0 || ::symlink(target.c_str(), linkPath.c_str()) != 0)
            throw SysError(errno, "symlink " + linkPath);
    }
    fsutil::writeFileAtomic(dir + "/link", link, 0644, fsutil::Sync::Volatile);
    if (!parent.empty()) fsutil::writeFileAtomic(dir + "/parent", parent, 0644, fsutil::Sync::Volatile);
    // `diff` last: a layer that exists() has its `link` and `parent` written, so a child
    // created at the same time (parallel pull) never reads a half-made parent as a base layer.
    mkdirIfMissing(dir + "/diff", 0755);
    if (parent.empty()) return;
    // Parents may still be in the making (parallel pull): then `lower` is written later,
    // when a child of a complete chain (a container layer) needs it.
    try {
        lowers(id);
    } catch (const NotFound&) {
    }
}

ApplyResult OverlayDriver::applyDiff(const std::string& id, const ReadFn& diff) {
    ApplyOptions o;
    o.whiteouts = WhiteoutFormat::Overlay;
    o.opaqueXattr = opaqueXattrName(userxattr_);
    return applyLayer(layerDir(id) + "/diff", diff, o);
}

void OverlayDriver::remove(const std::string& id) {
    std::string dir = layerDir(id);
    if (!fsutil::exists(dir)) return;
    unmount(id);
    if (isMountPoint(path(id)))  // never remove through a mount: that would delete the lowers' files
        throw Error("overlay layer " + id + ": " + path(id) + " is still mounted; not removing it");
    try {
        std::string link = str::trim(fsutil::readFile(dir + "/link"));
        if (!link.empty() && link.find('/') == std::string::npos)
            ::unlink(fsutil::join(paths::overlayLinkDir(graphRoot_), link).c_str());
    } catch (const NotFound&) {
    }
    fsutil::removeAll(dir);
}

LayerTarResult OverlayDriver::diff(const std::string& id, const std::string&, const WriteFn& out,
                                   const fsutil::IdShift* unshift) {
    if (!exists(id)) throw NotFound("overlay layer " + id + " not found");
    return writeOverlayDiff(layerDir(id) + "/diff", out, unshift);
}

std::vector<Change> OverlayDriver::changes(const std::string& id, const std::string&) {
    if (!exists(id)) throw NotFound("overlay layer " + id + " not found");
    std::vector<std::string> lowerDirs;
    for (const auto& parent : chain(id)) lowerDirs.push_back(layerDir(parent) + "/diff");
    return classifyChanges(overlayChangeset(layerDir(id) + "/diff"), overlayLowerView(std::move(lowerDirs)));
}

std::string OverlayDriver::path(const std::string& id) const { return layerDir(id) + "/merged"; }

bool OverlayDriver::exists(const std::string& id) const { return fsutil::exists(layerDir(id) + "/diff"); }

std::vector<std::string> OverlayDriver::chain(const std::string& id) const {
    auto parentOf = [&](const std::string& layer) {
        try {
            return str::trim(fsutil::readFile(layerDir(layer) + "/parent"));
        } catch (const NotFound&) {
            return std::string();
        }
    };
    std::vector<std::string> out;
    for (std::string cur = id, parent = parentOf(id); !parent.empty(); cur = parent, parent = parentOf(parent)) {
        if (!exists(parent)) throw NotFound("overlay parent layer " + parent + " of " + cur + " not found");
        if (out.size() > kMaxChain)  // ends a cycle of `parent` files in a damaged store
            throw InvalidArgument("overlay layer " + id + ": its chain of `parent` files is longer than " + std::to_string(kMaxChain) + " layers (a cycle?)");
        out.push_back(parent);
    }
    return out;
}

std::vector<std::string> OverlayDriver::lowers(const std::string& id) const {
    // The chain comes from the `parent` files; `lower` (containers/storage's layout) is
    // rewritten when it differs: a parallel pull of hutch before 0.2 could write one that
    // stopped at a parent still in the making (a rootfs without its base layer).
    std::vector<std::string> out;
    for (const auto& parent : chain(id)) out.push_back("l/" + str::trim(fsutil::readFile(layerDir(parent) + "/link")));
    if (out.empty()) return out;
    std::string text = str::join(out, ":"), stored;
    try {
        stored = str::trim(fsutil::readFile(layerDir(id) + "/lower"));
    } catch (const NotFound&) {
    }
    if (stored != text) fsutil::writeFileAtomic(layerDir(id) + "/lower", text, 0644, fsutil::Sync::Volatile);
    return out;
}

namespace {

// The `idmap` file of a shifted layer: "u C:H:S C:H:S\ng C:H:S\n" (container:host:size).
std::string mapText(const fsutil::IdShift& shift) {
    auto line = [](char kind, const std::vector<IdMapping>& maps) {
        std::string l(1, kind);
        for (const auto& m : maps)
            l += " " + std::to_string(m.containerId) + ":" + std::to_string(m.hostId) + ":" + std::to_string(m.size);
        return l + "\n";
    };
    return line('u', shift.uids) + line('g', shift.gids);
}

fsutil::IdShift parseMapText(const std::string& text, const std::string& file) {
    fsutil::IdShift shift;
    for (const auto& line : str::split(text, '\n')) {
        if (line.empty()) continue;
        auto words = str::split(line, ' ');
        auto& maps = words[0] == "u" ? shift.uids : words[0] == "g" ? shift.gids : throw Error(file + ": bad line " + line);
        for (size_t i = 1; i < words.size(); ++i) {
            auto f = str::split(words[i], ':');
            if (f.size() != 3) throw Error(file + ": bad mapping " + words[i]);
            try {
                maps.push_back({static_cast<uint32_t>(std::stoul(f[0])), static_cast<uint32_t>(std::stoul(f[1])),
                                static_cast<uint32_t>(std::stoul(f[2]))});
            } catch (const std::exception&) {
                throw Error(file + ": bad mapping " + words[i]);
            }
        }
    }
    return shift;
}

}  // namespace

void OverlayDriver::shiftLayer(const std::string& id, const fsutil::IdShift& shift) {
    std::string dir = layerDir(id);
    if (!exists(id)) throw NotFound("overlay layer " + id + " not found");
    // The layer's own diff is still empty: its root gets the container root's owner.
    fsutil::shiftTreeInPlace(dir + "/diff", shift);
    std::string text = mapText(shift);
    shiftedLowers(id, text);  // the parents' copies now: an owner the mapping misses fails here
    fsutil::writeFileAtomic(dir + "/idmap", text, 0644, fsutil::Sync::Volatile);
}

void OverlayDriver::dropShifted(const std::string& id, const fsutil::IdShift& shift) noexcept {
    try {
        std::string key = Digest::sha256Of(mapText(shift)).encoded.substr(0, 16);
        std::vector<std::string> layers = chain(id);
        layers.insert(layers.begin(), id);
        for (const auto& l : layers) {
            std::string dir = layerDir(l) + "/mapped/" + key;
            if (!fsutil::exists(dir)) continue;
            fsutil::removeAll(dir);
            log::debug("overlay: copy of layer {} for mapping {} removed (no container uses it)", l, key);
        }
    } catch (const std::exception& e) {
        log::warn("overlay: removing the shifted copies of layer {}: {}", id, e.what());
    }
}

std::vector<std::string> OverlayDriver::shiftedLowers(const std::string& id, const std::string& text) const {
    fsutil::IdShift shift = parseMapText(text, layerDir(id) + "/idmap");
    std::string key = Digest::sha256Of(text).encoded.substr(0, 16);
    std::vector<std::string> out;
    for (const auto& parent : chain(id)) {
        std::string rel = parent + "/mapped/" + key, dst = layerDir(parent) + "/mapped/" + key;
        out.push_back(rel);
        if (fsutil::exists(dst)) continue;
        // Made aside and renamed into place: a copy killed halfway is never used, and of
        // two containers making the same copy at once the second rename loses harmlessly.
        mkdirIfMissing(layerDir(parent) + "/mapped", 0700);
        std::string tmp = dst + ".tmp-" + str::randomHex(6);
        mkdirIfMissing(tmp, 0700);
        try {
            fsutil::copyTreeShifted(layerDir(parent) + "/diff", tmp, shift);
        } catch (...) {
            fsutil::removeAll(tmp);
            throw;
        }
        if (::rename(tmp.c_str(), dst.c_str()) != 0) {
            int err = errno;
            fsutil::removeAll(tmp);
            if (err != EEXIST && err != ENOTEMPTY) throw SysError(err, "rename " + tmp + " to " + dst);
        }
        log::debug("overlay: layer {} copied with the mapping of {} ({})", parent, id, key);
    }
    return out;
}

std::string OverlayDriver::mount(const std::string& id, bool disposable) {
    std::string dir = layerDir(id), merged = path(id);
    if (!exists(id)) throw NotFound("overlay layer " + id + " not found");
    mkdirIfMissing(dir + "/work", 0700);
    mkdirIfMissing(merged, 0755);
    if (isMountPoint(merged)) return merged;
    std::vector<std::string> low;
    std::string idmap;
    try {
        idmap = fsutil::readFile(dir + "/idmap");
    } catch (const NotFound&) {
    }
    low = idmap.empty() ? lowers(id) : shiftedLowers(id, idmap);
    if (low.empty()) {  // a base layer alone: overlay needs one lower, give it an empty one
        mkdirIfMissing(dir + "/empty", 0755);
        low.push_back(id + "/empty");
    }
    try {
        // A `volatile` mount (only ever made for a disposable layer, whose writes were never
        // promised to survive a crash) leaves work/work/incompat/volatile behind, which
        // makes the kernel refuse any later mount of this layer.
        fsutil::removeAll(dir + "/work/work/incompat");
        // upper and work relative to the overlay dir, as the lowers: short classic options
        mountOverlay(low, id + "/diff", id + "/work", merged, OverlayFlags{userxattr_, disposable, false},
                     paths::overlayDir(graphRoot_));
    } catch (const Error& e) {
        throw Error("mounting the rootfs of layer " + id + ": " + e.what());
    }
    log::debug("overlay: layer {} mounted at {} ({} lowers)", id, merged, low.size());
    return merged;
}

void OverlayDriver::unmount(const std::string& id) {
    std::string merged = path(id);
    // Mounted twice (two processes raced past isMountPoint): take them all off.
    for (int i = 0; i < 8 && isMountPoint(merged); ++i)
        if (::umount2(merged.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
            throw SysError(errno, "unmount " + merged);
}

std::string probeOverlay(const std::string& graphRoot) {
    std::string tmpl = fsutil::join(graphRoot, "overlay-probe-XXXXXX");
    if (!::mkdtemp(tmpl.data())) return std::string("mkdtemp in ") + graphRoot + ": " + std::strerror(errno);
    const std::string& d = tmpl;
    bool userxattr = inUserNamespace();
    std::string why;
    try {
        for (auto* sub : {"l1", "l2", "upper", "work", "merged", "upper/opq", "l1/opq"}) mkdirIfMissing(d + "/" + sub, 0755);
        fsutil::writeFileAtomic(d + "/l2/gone", "x", 0644, fsutil::Sync::Volatile);
        fsutil::writeFileAtomic(d + "/l1/opq/hidden", "x", 0644, fsutil::Sync::Volatile);
        if (::mknod((d + "/upper/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
            throw SysError(errno, "mknod a 0/0 whiteout device");
        std::string x = opaqueXattrName(userxattr);
        if (::setxattr((d + "/upper/opq").c_str(), x.c_str(), "y", 1, 0) != 0) throw SysError(errno, "set " + x);
        mountOverlay({"l1", "l2"}, "upper", "work", d + "/merged", OverlayFlags{userxattr, false, false}, d);
        bool ok = !fsutil::exists(d + "/merged/gone") && !fsutil::exists(d + "/merged/opq/hidden");
        ::umount2((d + "/merged").c_str(), MNT_DETACH);
        if (!ok) why = "whiteouts or opaque directories are not honoured";
    } catch (const std::exception& e) {
        why = e.what();
    }
    try {
        if (!isMountPoint(d + "/merged")) fsutil::removeAll(d);
    } catch (const std::exception& e) {
        log::warn("removing the overlay probe directory {}: {}", d, e.what());
    }
    return why;
}

}  // namespace hutch::storage
