// pivot_root into the container's rootfs (config.md "Root"). Child side.
#pragma once

#include <string>

namespace hutch::runtime {

/// Makes `rootfs` (already a mount point) the new "/" with pivot_root(".", "."), then
/// detaches the old root (made rslave first so the unmount does not propagate to the
/// host) and chdirs to "/". Throws SysError.
void pivotRoot(const std::string& rootfs);

}  // namespace hutch::runtime
