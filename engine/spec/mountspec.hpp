// Mount flags of `run`: -v/--volume, --mount and --tmpfs in podman's syntax, parsed into
// MountSpec values (pure: no I/O), and the OCI `mounts` entries they become once the
// engine has resolved volume names to directories (runtime-spec config.md "Mounts").
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hutch::engine {

enum class MountType { Bind, Volume, Tmpfs, Devpts };

/// "bind", "volume", "tmpfs", "devpts".
std::string mountTypeName(MountType t);

/// One mount asked for on the command line (or an image VOLUME entry).
struct MountSpec {
    MountType type = MountType::Volume;
    /// Bind: the host path (absolute). Volume: the volume name ("" = anonymous: a fresh
    /// volume with a generated name, removed by `rm -v`). Tmpfs: unused.
    std::string source;
    std::string destination;  ///< absolute path in the container, cleaned (no trailing '/')
    bool readOnly = false;
    bool noCopy = false;  ///< nocopy / volume-nocopy: no copy-up of image content
    bool chown = false;   ///< U: chown the source to the container's user and group
    /// Mount options passed to the runtime as given: exec/noexec, suid/nosuid, dev/nodev,
    /// a propagation (rprivate, shared, ...), tmpfs size=/mode=/uid=/gid=.
    std::vector<std::string> options;
    /// --mount volume-opt=KEY=VALUE: options for a volume this mount creates (type, device, o).
    std::map<std::string, std::string> volumeOptions;
    std::string flag;  ///< where it came from ("--volume", "--mount", "--tmpfs", "image VOLUME") for errors

    nlohmann::json toJson() const;
    /// Throws Error when `j` is not a MountSpec record.
    static MountSpec fromJson(const nlohmann::json& j);
};

/// -v/--volume SRC:DST[:OPTS] or DST alone (an anonymous volume). SRC starting with '/'
/// or '.' is a host path, else a volume name. OPTS: ro, rw, z, Z, exec, noexec,
/// suid, nosuid, dev, nodev, U, nocopy, copy, a propagation. Throws InvalidArgument naming
/// the flag and the bad part (podman's wording after it).
MountSpec parseVolumeFlag(const std::string& value);

/// --mount type=volume|bind|tmpfs,source=|src=,target=|destination=|dst=,readonly|ro[=true|false],
/// bind-propagation=,bind-nonrecursive,tmpfs-size=,tmpfs-mode=,volume-opt=,volume-nocopy,
/// U, exec/noexec, suid/nosuid, dev/nodev, relabel=, z/Z. Throws InvalidArgument naming the
/// flag and the field (unknown field, bad type, missing target, bad boolean).
MountSpec parseMountFlag(const std::string& value);

/// --tmpfs /path[:OPTS]: options after podman's defaults rw,noexec,nosuid,nodev (later
/// options win in the runtime, so "exec" turns noexec off). Throws InvalidArgument.
MountSpec parseTmpfsFlag(const std::string& value);

/// Throws InvalidArgument ("\"/x\": duplicate mount destination") when two mounts share a
/// destination.
void checkDuplicateDestinations(const std::vector<MountSpec>& mounts);

/// Throws InvalidArgument unless `name` matches podman's [a-zA-Z0-9][a-zA-Z0-9_.-]*.
void checkVolumeName(const std::string& name);

/// Throws InvalidArgument (prefixed by `context`) unless `key` is a local-driver volume
/// option: type, device, o, nocopy or copy.
void checkVolumeOption(const std::string& key, const std::string& context);

/// Tmpfs options of a volume created with --opt type=tmpfs --opt o=OPTS, or a --tmpfs /
/// type=tmpfs mount, as one OCI mount (config.md): type tmpfs, source tmpfs, options.
nlohmann::json tmpfsOciMount(const std::string& destination, const std::vector<std::string>& options);

/// The OCI mount of `m`. Bind and plain-volume mounts bind `hostPath` (rbind unless the
/// options say bind, the spec's options, nosuid,nodev for a volume unless suid/dev are
/// given, as podman; rprivate unless a propagation was given; ro/rw);
/// a tmpfs mount is a tmpfs with its options (then ro when read-only) (`hostPath` unused).
nlohmann::json ociMountFor(const MountSpec& m, const std::string& hostPath);

}  // namespace hutch::engine
