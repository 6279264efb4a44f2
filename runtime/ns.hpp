// Namespaces (config-linux.md "Namespaces", "User namespace mappings") and the UTS
// settings (config.md "Hostname", config-linux.md "domainname").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "hutch/common/idmap.hpp"
#include "hutch/runtime/spec.hpp"

namespace hutch::runtime {

/// CLONE_NEW* flags for the namespaces spec.namespaces creates (entries without a path).
int cloneFlags(const Spec& spec);

/// Runs newuidmap/newgidmap (`tool`) for `pid` with `maps`. Throws Error with the tool's
/// exit status, or Error telling to install `uidmap` when the tool is missing.
void runIdMapTool(const std::string& tool, pid_t pid, const std::vector<IdMapping>& maps);

/// Parent side: writes /proc/PID/uid_map and gid_map. Writes them directly when allowed
/// (we hold CAP_SETUID/CAP_SETGID over the ids); on EPERM falls back to newuidmap/newgidmap.
/// A mapping spanning two extents of our own map is cut in two (splitAlongExtents).
/// Throws Error/SysError.
void writeIdMaps(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

/// Parses /proc/<pid>/uid_map-format text.
std::vector<IdMapping> parseIdMap(const std::string& text);

/// Child side: setns(2) into every namespace given by path (network, ipc, uts), before
/// anything that depends on them (sysfs and /proc/sys/net follow the network namespace).
/// Throws SysError naming the path.
void joinNamespaces(const Spec& spec);

/// Joins every namespace of process `pid` that differs from ours: all are opened first (once
/// in its mount namespace, /proc/PID is gone), then joined mnt, pid (for children forked
/// after), uts, ipc, net, cgroup and user last; one refused (EPERM) before the user
/// namespace is joined again after it (ns.cpp says why). Throws SysError naming the namespace.
void joinNamespacesOf(pid_t pid);

/// Child side: sets IFF_UP on `lo` in the current network namespace (a new one starts with
/// it down), as runc does. Needs CAP_NET_ADMIN over the namespace. Throws SysError.
void loopbackUp();

/// Child side: sethostname/setdomainname when set (requires a uts namespace). Throws SysError.
void setUtsNames(const Spec& spec);

}  // namespace hutch::runtime
