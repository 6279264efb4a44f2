#include "hutch/runtime/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"

namespace hutch::runtime {

void pivotRoot(const std::string& rootfs) {
    UniqueFd oldRoot(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!oldRoot) throw SysError(errno, "open /");
    UniqueFd newRoot(::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!newRoot) throw SysError(errno, "open rootfs " + rootfs);
    checkSys(::fchdir(newRoot.get()), "chdir to rootfs " + rootfs);
    checkSys(static_cast<int>(::syscall(SYS_pivot_root, ".", ".")), "pivot_root to " + rootfs);
    // The old root is now stacked on "/"; detach it from here.
    checkSys(::fchdir(oldRoot.get()), "chdir to old root");
    checkSys(::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr), "make old root rslave");
    checkSys(::umount2(".", MNT_DETACH), "detach old root");
    checkSys(::chdir("/"), "chdir /");
}

}  // namespace hutch::runtime
