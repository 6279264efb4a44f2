// User-namespace id mappings (user_namespaces(7); OCI runtime-spec config-linux.md
// "User namespace mappings") and the subordinate id ranges of /etc/subuid, /etc/subgid.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hutch {

/// One line of a uid_map/gid_map: ids [containerId, containerId+size) map to
/// [hostId, hostId+size).
struct IdMapping {
    uint32_t containerId = 0;
    uint32_t hostId = 0;
    uint32_t size = 0;
    bool operator==(const IdMapping&) const = default;
};

/// A subordinate id range granted to a user.
struct SubIdRange {
    uint32_t start = 0;
    uint32_t count = 0;
};

/// Reads the ranges granted to the user in a subuid/subgid file (`path`), matching
/// lines by user name or by numeric uid. Missing file = no ranges. Throws SysError
/// on read errors other than ENOENT.
std::vector<SubIdRange> readSubIds(const std::string& path, const std::string& userName, uid_t uid);

/// The lowest start >= 100000 of `count` ids that no range of any user in the subuid/subgid
/// file `path` overlaps (what useradd would grant next; a missing file gives 100000).
/// Throws SysError on read errors other than ENOENT.
uint64_t freeSubIdStart(const std::string& path, uint32_t count = 65536);

/// The rootless mapping podman uses: container 0 -> `hostId` (the caller's uid/gid), then
/// container 1.. -> each subordinate range in turn.
std::vector<IdMapping> rootlessMapping(uint32_t hostId, const std::vector<SubIdRange>& ranges);

/// Maps a container id to the host id through `maps`; nullopt if unmapped.
std::optional<uint32_t> mapToHost(const std::vector<IdMapping>& maps, uint32_t containerId);

/// The inverse: the container id of host id `hostId` through `maps`; nullopt if unmapped.
std::optional<uint32_t> mapToContainer(const std::vector<IdMapping>& maps, uint32_t hostId);

/// `maps` with each mapping cut where its ids of the parent namespace ([hostId, hostId+size))
/// cross from one extent of `parent` (the writer's own map: its containerId are those ids)
/// into the next: the kernel takes a uid_map line only when its parent ids lie in one extent
/// (user_namespaces(7): "map_id_range_down"). Ids `parent` does not map are left as they
/// are (the kernel refuses them). E.g. 0 0 65537 over {0 1000 1, 1 100000 65536} gives
/// 0 0 1 and 1 1 65536.
std::vector<IdMapping> splitAlongExtents(const std::vector<IdMapping>& maps, const std::vector<IdMapping>& parent);

/// Total number of ids covered by the mapping.
uint64_t mappedCount(const std::vector<IdMapping>& maps);

}  // namespace hutch
