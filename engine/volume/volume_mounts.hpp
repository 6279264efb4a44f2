// The run's mounts between flags and config.json: at create, bind sources are checked,
// image VOLUMEs get anonymous volumes and missing named volumes are created (as podman
// does); at start, volumes get their copy-up / chown and every mount becomes an OCI mount.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hutch/common/fsutil.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/spec/user.hpp"

namespace hutch::engine {

/// Completes `rec.config.mounts` for a container about to be created from an image whose
/// config lists `imageVolumes` (config.md Volumes): checks duplicate destinations, makes
/// bind sources absolute (throws InvalidArgument "statfs PATH: no such file or directory"
/// when missing), adds an anonymous volume for each image VOLUME no mount covers, creates
/// the anonymous volumes and the named ones that do not exist, and fills rec.volumes and
/// rec.anonymousVolumes. Returns the volumes lock, held when the container uses volumes
/// (nullopt otherwise): keep it until the container's record is in the store (then
/// `volume rm` sees the container). On error, the anonymous volumes made here are removed.
std::optional<fsutil::FileLock> prepareMounts(Context& ctx, ContainerRecord& rec, const std::vector<std::string>& imageVolumes);

/// The image config's Volumes (sorted paths) of image `imageId`.
std::vector<std::string> imageVolumes(Context& ctx, const std::string& imageId);

/// The OCI mounts of `rec`'s mounts for its bundle. Plain volumes still marked NeedsCopyUp
/// get the image content at the mount point in `rootfs` copied in when they are empty
/// (owners, modes, xattrs and links kept; not with nocopy), or are chowned to `user` when
/// there is nothing to copy; then the mark is cleared. `U` chowns the source recursively
/// to `user`. Throws NotFound (a volume removed meanwhile is re-created instead), SysError.
nlohmann::json resolveMounts(Context& ctx, const ContainerRecord& rec, const std::string& rootfs,
                             const ResolvedUser& user);

}  // namespace hutch::engine
