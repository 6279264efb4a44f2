// The host's device nodes that `--privileged` gives a container (podman: all of them; rootless:
// those the user may open, bind-mounted by the runtime since mknod is not permitted).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace hutch::engine {

/// One device node for linux.devices (runtime-spec config-linux.md "Devices").
struct HostDevice {
    std::string path;  ///< e.g. /dev/net/tun
    char type = 'c';   ///< 'c' or 'b'
    unsigned major = 0, minor = 0;
    unsigned mode = 0;  ///< permission bits
    uid_t uid = 0;
    gid_t gid = 0;
};

/// Character and block devices under `devDir` (recursively; not pts/, shm/, mqueue/,
/// hugepages/, nor console and ptmx, which the container gets its own of), sorted by path.
/// With `openableOnly`, only those this process may read or write (access(2)). Paths keep
/// the `devDir` prefix replaced by /dev. Unreadable directories are skipped.
std::vector<HostDevice> hostDevices(const std::string& devDir = "/dev", bool openableOnly = true);

}  // namespace hutch::engine
