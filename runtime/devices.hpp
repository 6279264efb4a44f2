// /dev population (config-linux.md "Devices", "Default Devices" and the /dev symlinks of
// runtime-spec runtime-linux.md "Dev symbolic links"). Child side, before pivot_root.
#pragma once

#include "hutch/runtime/spec.hpp"

namespace hutch::runtime {

/// Creates each linux.devices entry under spec.rootPath with mknod(2). When mknod is
/// refused (EPERM in a user namespace), binds the host node of the same path onto an empty
/// file instead, as rootless crun does. Throws SysError naming the device.
void createDevices(const Spec& spec);

/// Creates /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr and /dev/ptmx (-> pts/ptmx)
/// below spec.rootPath when missing. Skipped when the rootfs has no /dev directory.
void createDevSymlinks(const Spec& spec);

}  // namespace hutch::runtime
