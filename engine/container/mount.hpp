// `mount` / `unmount`: a container's root filesystem mounted for the user to look at (podman
// mount), in the calling process's mount namespace: for a rootless user the session's, which
// `hutch unshare` enters (plain `hutch mount` refuses to run rootless, as podman's).
#pragma once

#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// Mounts the rootfs of the container named or id'd by `nameOrId` (already mounted is fine:
/// a running container's is) and returns its directory. Throws NotFound, Error naming the layer.
std::string mountContainerRootfs(Context& ctx, const std::string& nameOrId);

/// A container whose rootfs is mounted.
struct MountedContainer {
    std::string id, name, path;
};
/// The containers whose rootfs is mounted in this mount namespace (overlay: its merged dir
/// is a mount point, a running container's too; vfs: `mount` marked it), by id.
std::vector<MountedContainer> mountedContainers(Context& ctx);

/// Unmounts the container's rootfs, unless it is running (its rootfs stays: returns false).
/// Not mounted is fine. Throws NotFound, SysError.
bool unmountContainerRootfs(Context& ctx, const std::string& nameOrId);

}  // namespace hutch::engine
