// Named volumes (podman's `volume` verbs, local driver), stored under the graph root:
//
//   <graphroot>/volumes/volumes.lock          one lock for every volume (flock)
//   <graphroot>/volumes/<name>/volume.json    the record
//   <graphroot>/volumes/<name>/_data/         the content (owned by the container's root)
//
// A volume is made in <graphroot>/volumes/.tmp-<random>/ and renamed into place, and
// removed by renaming it to .rm-<random> first, so a killed command never leaves a
// half-made or half-removed volume visible; leftovers are cleaned by the next writer.
//
// LOCK ORDER: volumes.lock is taken BEFORE the store's locks (containers -> images ->
// layers, storage/paths.hpp): a container is created, and volumes in use are checked,
// while the volumes lock is held.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hutch/common/fsutil.hpp"
#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// One volume's record.
struct Volume {
    std::string name;
    std::string driver = "local";
    std::string createdAt;  ///< RFC 3339 UTC with nanoseconds
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;  ///< --opt: type, device, o
    bool anonymous = false;    ///< made for a container (-v /path, image VOLUME): `rm -v` removes it
    bool needsCopyUp = true;   ///< image content not yet copied in (cleared on first mount)
    bool needsChown = true;    ///< not yet chowned to the first container's user
    std::string mountpoint;    ///< host path of _data (filled on load, not stored)

    /// Tmpfs volume (--opt type=tmpfs): a fresh tmpfs on every mount, no _data used.
    bool isTmpfs() const;
    /// --opt type= other than tmpfs (and not empty): `device` mounted with `o`.
    bool isDevice() const;
    nlohmann::json toJson() const;
    /// Throws Error naming the volume when `j` is not a record.
    static Volume fromJson(const nlohmann::json& j);
};

/// `volume create` input.
struct VolumeCreateOptions {
    std::string name;  ///< "" = a generated 64-hex name
    std::string driver = "local";
    std::map<std::string, std::string> labels, options;
    bool anonymous = false;
};

/// The volumes lock (exclusive for changes, shared for reads). Callers that must keep the
/// set of volumes stable across store calls (container creation, rm of a volume in use)
/// hold it; the functions below take it themselves unless given `locked`.
fsutil::FileLock lockVolumes(Context& ctx, fsutil::FileLock::Mode mode);

/// Creates a volume. Throws InvalidArgument (bad name: podman's pattern; unknown --opt;
/// driver other than local), AlreadyExists ("volume with name X already exists: volume
/// already exists"), SysError. Nothing of the volume remains after a failure.
Volume createVolume(Context& ctx, const VolumeCreateOptions& opts, bool locked = false);

/// The volume `name`, or nullopt.
std::optional<Volume> findVolume(Context& ctx, const std::string& name);
/// The volume `name`. Throws NotFound ("no volume with name \"X\" found: no such volume").
Volume loadVolume(Context& ctx, const std::string& name);
/// Every volume, by name.
std::vector<Volume> listVolumes(Context& ctx);
/// Rewrites a volume's record (atomically). Caller holds the lock exclusively.
void saveVolume(Context& ctx, const Volume& v);

/// Names of the containers whose record lists volume `name`.
std::vector<std::string> volumeUsers(Context& ctx, const std::string& name);

/// `volume rm`: removes the volume. In use by containers: without `force` throws Error
/// naming them ("volume X is being used by the following container(s): ID: volume is
/// being used"); with `force` removes those containers (killing running ones) first.
/// Throws NotFound.
void removeVolume(Context& ctx, const std::string& name, bool force);

/// `volume prune`: removes every volume no container uses; returns their names.
std::vector<std::string> pruneVolumes(Context& ctx);

/// podman's `volume inspect` object (Name, Driver, Mountpoint, CreatedAt, Labels, Scope,
/// Options, UID/GID when o= sets them, MountCount, NeedsCopyUp, NeedsChown when true).
nlohmann::ordered_json inspectVolume(const Volume& v);

/// Deletes volume `name` (no checks). The caller holds the volumes lock exclusively.
void deleteVolumeLocked(Context& ctx, const std::string& name);

/// `rm -v` and --rm: removes the anonymous volumes in `names` that no other container
/// uses; errors are logged (the container is already gone), never thrown.
void removeAnonymousVolumes(Context& ctx, const std::vector<std::string>& names);

}  // namespace hutch::engine
