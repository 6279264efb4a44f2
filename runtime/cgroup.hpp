// The container's own cgroup (runtime-spec config-linux.md "Control groups": cgroupsPath),
// cgroup v2 only: created in the caller's delegated subtree before the container starts,
// the container's init moved into it before it unshares its cgroup namespace (so the
// namespace is rooted there and a cgroup2 mount inside shows only the container's tree),
// removed after the container is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace hutch::runtime {

/// The cgroup2 mount point of this mount namespace (/sys/fs/cgroup on a pure cgroup2 host,
/// /sys/fs/cgroup/unified on a hybrid one), "" when there is none.
std::string cgroup2MountPoint();

/// Creates `path` (absolute in the cgroup2 hierarchy) under the mount point and returns the
/// directory. Throws Error explaining how to get a delegated cgroup (a systemd user session
/// with Delegate=yes, or a cgroup chowned to the user) when it cannot be created.
std::string createCgroup(const std::string& path);

/// Delegates the cgroup directory `dir` to `uid`:`gid` as systemd's Delegate=yes does: the
/// directory, cgroup.procs, cgroup.threads and cgroup.subtree_control. Throws SysError.
void chownCgroup(const std::string& dir, uid_t uid, gid_t gid);

/// Moves `pid` into the cgroup directory `dir` (cgroup.procs). Throws SysError.
void joinCgroup(const std::string& dir, pid_t pid);

/// The cgroup2 directory of process `pid` (the "0::" line of /proc/PID/cgroup under the mount
/// point), "" when it has none or it cannot be read.
std::string cgroupDirOf(pid_t pid);

/// Removes the cgroup directory (and empty child cgroups the container made), retrying
/// briefly while the last processes exit. Failures are logged, never thrown.
void removeCgroup(const std::string& dir) noexcept;

/// Writes `limit` to DIR/pids.max ("max" for a negative or zero limit), from
/// linux.resources.pids.limit. Throws SysError naming the file.
void setPidsLimit(const std::string& dir, int64_t limit);

}  // namespace hutch::runtime
