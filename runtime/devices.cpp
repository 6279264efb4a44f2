#include "hutch/runtime/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/runtime/mounts.hpp"

namespace hutch::runtime {

namespace {

mode_t typeBits(const std::string& t) {
    if (t == "b") return S_IFBLK;
    if (t == "p") return S_IFIFO;
    return S_IFCHR;  // "c" and "u"
}

void bindHostNode(const Device& d, const std::string& dest) {
    struct stat st;
    if (::lstat(dest.c_str(), &st) != 0) {
        int fd = ::open(dest.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) throw SysError(errno, "create bind target for device " + d.path);
        ::close(fd);
    }
    if (::mount(d.path.c_str(), dest.c_str(), nullptr, MS_BIND, nullptr) != 0)
        throw SysError(errno, "bind host device " + d.path + " (mknod not permitted)");
}

}  // namespace

void createDevices(const Spec& spec) {
    for (const auto& d : spec.devices) {
        std::string dest = fsutil::resolveInRoot(spec.rootPath, d.path);
        fsutil::mkdirAll(dest.substr(0, dest.rfind('/')), 0755);
        mode_t mode = (d.fileMode ? *d.fileMode : 0666) & 07777;
        struct stat st;
        if (::lstat(dest.c_str(), &st) == 0) {
            // Already there (e.g. from the image): replace unless it is the same device.
            if ((st.st_mode & S_IFMT) == typeBits(d.type) &&
                st.st_rdev == makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor)))
                continue;
            ::unlink(dest.c_str());
        }
        if (::mknod(dest.c_str(), typeBits(d.type) | mode,
                    makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) != 0) {
            if (errno != EPERM) throw SysError(errno, "mknod " + d.path);
            bindHostNode(d, dest);
            continue;
        }
        ::chmod(dest.c_str(), mode);  // mknod is subject to umask
        if (d.uid || d.gid)
            if (::chown(dest.c_str(), d.uid ? *d.uid : 0, d.gid ? *d.gid : 0) != 0)
                throw SysError(errno, "chown device " + d.path);
    }
}

void createDevSymlinks(const Spec& spec) {
    std::string dev = fsutil::resolveInRoot(spec.rootPath, "/dev");
    struct stat st;
    if (::stat(dev.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    const std::pair<const char*, const char*> links[] = {
        {"/proc/self/fd", "fd"},          {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},    {"pts/ptmx", "ptmx"},
    };
    for (auto [target, name] : links) {
        std::string p = dev + "/" + name;
        if (::symlink(target, p.c_str()) != 0 && errno != EEXIST) throw SysError(errno, "symlink " + p);
    }
}

}  // namespace hutch::runtime
