// The rootless "session": a user + mount namespace every rootless hutch command that touches
// the store enters first (see the team brief, "Process model"). Uses newuidmap/newgidmap
// with container 0 -> the caller and 1..N -> its /etc/subuid, /etc/subgid ranges.
#pragma once

#include <string>
#include <vector>

#include "hutch/common/idmap.hpp"

namespace hutch::runtime {

/// Name of the environment variable marking a process as inside the session ("1").
inline constexpr const char* kSessionEnv = "_HUTCH_SESSION";

/// Enters the session when rootless (no-op when euid is 0 or already inside one). Must be
/// called before any thread starts. The session is the user + mount namespace of a per-user
/// "pause process" (as podman's): recorded in $XDG_RUNTIME_DIR/hutch/pause.pid, started on
/// first use (newuidmap/newgidmap map it), and joined with setns(2) by every later command,
/// so containers started by one command can be stopped, exec'd and removed by another.
/// The calling process itself joins (no fork) and becomes uid/gid 0 there.
/// Throws Error with the exact /etc/subuid line to add when the user has no range, or telling
/// to install `uidmap` when newuidmap is missing; SysError on fork/unshare failures.
void enterRootlessSession();

/// Ends the caller's rootless session: kills the recorded pause process and forgets it, so
/// the next command starts a new one with the current /etc/subuid and /etc/subgid ranges
/// (`system migrate`). Returns whether a live one was ended. Containers still running in the
/// old session are the caller's to stop first.
bool stopRootlessSession();

/// True when running rootless: euid != 0 outside any user namespace, or inside a user
/// namespace whose uid map is not the identity of the whole range (e.g. the session).
bool isRootless();

/// The uid/gid mapping of the current user namespace (/proc/self/uid_map, gid_map);
/// {0,0,4294967295} when rootful in the initial namespace. Throws SysError.
std::vector<IdMapping> sessionUidMap();
std::vector<IdMapping> sessionGidMap();

/// Session mappings for a user: 0 -> id, then the subordinate ranges from `subFile`.
/// Throws Error with the advice line when there is no range. (Exposed for tests.)
std::vector<IdMapping> sessionMappingFor(const std::string& subFile, const std::string& user, uid_t id,
                                         uid_t uid);

}  // namespace hutch::runtime
