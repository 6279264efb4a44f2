// A container's own user namespace (podman's --userns, --uidmap, --gidmap), resolved to id
// mappings: container id -> id of the namespace hutch runs in (rootless: the session, where
// 0 is the user and 1..N their /etc/subuid range; see the README's "User namespaces").
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <sys/types.h>
#include <vector>

#include "hutch/common/idmap.hpp"

namespace hutch::engine {

/// The flags as given.
struct UsernsFlags {
    std::string mode;                        ///< --userns ("" = none given)
    std::vector<std::string> uidmap, gidmap; ///< --uidmap, --gidmap, each CONTAINER:INTERMEDIATE:SIZE
    std::string subuidname, subgidname;      ///< --subuidname, --subgidname ("" = none)
};

/// What the engine runs in: the number of uids and gids of its user namespace (rootless:
/// 1 + the subordinate range, 65537 by default) and the caller's own uid and gid outside it
/// (keep-id's default).
struct UsernsHost {
    uint64_t uidCount = 0, gidCount = 0;
    uint32_t userUid = 0, userGid = 0;
    /// --userns=auto: the ids (of this namespace) other containers' mappings use, as
    /// [start, start+size) ranges, and the image's owner span (1 + its largest file owner id).
    std::vector<std::pair<uint64_t, uint64_t>> used;
    uint32_t imageSpan = 0;
    /// --subuidname/--subgidname: the namespace's own mapping (its id -> the host's id) and
    /// the ranges /etc/subuid and /etc/subgid grant to the names given.
    std::vector<IdMapping> ownUids, ownGids;
    std::vector<SubIdRange> subuidRanges, subgidRanges;
};

/// The resolved namespace. Empty mappings = no namespace of its own (host).
struct UsernsPlan {
    std::vector<IdMapping> uids, gids;
    std::string mode;           ///< "host", "private" (--uidmap/--gidmap, --subuidname, or all the
                                ///< namespace's ids), "keep-id", "nomap", "auto"
    std::string defaultUser;    ///< keep-id: "UID:GID" the process runs as without -u; else ""
};

/// Parses one CONTAINER:INTERMEDIATE:SIZE of `flag`. Throws InvalidArgument naming the flag.
IdMapping parseIdMapFlag(const std::string& flag, const std::string& value);

/// Resolves the flags: --uidmap/--gidmap (a missing --gidmap copies --uidmap, as podman),
/// --subuidname/--subgidname (container 0.. onto the named ranges, which must lie in this
/// namespace; a missing one copies the other), --userns=host|private|keep-id[:uid=U,gid=G]|
/// nomap|auto[:size=N]. private maps every id of this namespace onto itself: the container
/// gets a user namespace of its own (capabilities over its own namespaces only) with the
/// owners it would have without one, so its image needs no copy. auto maps container 0..N-1
/// onto the lowest N ids from 1 up that no other container's mapping uses (N: size=, else
/// the image's owner span, at least 1024, as podman). Throws InvalidArgument naming the flag, the
/// range and the fix for: a bad mapping, an intermediate id past the namespace's ids,
/// overlapping ranges, --userns with --uidmap, a mode not supported.
UsernsPlan resolveUserns(const UsernsFlags& flags, const UsernsHost& host);

/// The container's root as hutch's namespace sees it (what it chowns to the container's
/// root: generated /etc files, the notify socket), or nullopt without a user namespace of
/// the container's own.
std::optional<std::pair<uid_t, gid_t>> containerRootIds(const std::vector<IdMapping>& uids,
                                                        const std::vector<IdMapping>& gids);

/// Whether `mode` (a --userns value) is auto, which needs UsernsHost::used and imageSpan.
bool isAutoUserns(const std::string& mode);

/// True when every mapping maps ids onto themselves (--userns=private): files need no shift.
bool isIdentityMapping(const std::vector<IdMapping>& maps);

/// "C:H:S" per mapping, as podman prints them in inspect (HostConfig.IDMappings).
std::vector<std::string> formatIdMappings(const std::vector<IdMapping>& maps);

}  // namespace hutch::engine
