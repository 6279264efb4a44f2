#include "hutch/runtime/netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hutch::runtime {

int loopbackUpNoThrow() noexcept {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, "lo", 3);
    int rc = ::ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
        rc = ::ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int err = rc == 0 ? 0 : errno;
    ::close(fd);
    return err;
}

int makeNetnsFile(const char* path) noexcept {
    if (::unshare(CLONE_NEWNET) != 0) return errno;
    if (::mount("/proc/self/ns/net", path, nullptr, MS_BIND, nullptr) != 0) return errno;
    return loopbackUpNoThrow();
}

int adoptNetnsFile(const char* path, const char* nsFile) noexcept {
    int fd = ::open(nsFile, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int rc = ::setns(fd, CLONE_NEWNET);
    int err = rc == 0 ? 0 : errno;
    ::close(fd);
    if (err) return err;
    if (::mount("/proc/self/ns/net", path, nullptr, MS_BIND, nullptr) != 0) return errno;
    return loopbackUpNoThrow();
}

void removeNetnsFile(const char* path) noexcept {
    ::umount2(path, MNT_DETACH);
    ::unlink(path);
}

}  // namespace hutch::runtime
