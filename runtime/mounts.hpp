// Mount-namespace steps of the container child (config.md "Root", "Mounts";
// config-linux.md "Rootfs Mount Propagation", "Masked Paths", "Readonly Paths").
// Child side: functions throw hutch::SysError / Error, caught by the child entry.
#pragma once

#include <string>
#include <vector>

#include "hutch/runtime/spec.hpp"

namespace hutch::runtime {

/// A rootfs or bind source given as this prefix + N is the detached mount (open_tree) on
/// fd N, made by the runtime's parent for a container with a user namespace of its own,
/// whose root could not reach the path itself (runtime_main.cpp); it is attached with
/// move_mount.
inline constexpr const char* kDetachedMountPrefix = "/proc/self/fd/";

/// The fd of a detached mount given as kDetachedMountPrefix + N, or -1 for a path.
int detachedMountFd(const std::string& path);

/// mount(2) flags and data parsed from an OCI `options` list.
struct MountOptions {
    unsigned long flags = 0;        ///< MS_* flags (MS_BIND|MS_REC for rbind)
    unsigned long propagation = 0;  ///< MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC)
    std::string data;               ///< filesystem-specific options, comma-joined
    bool tmpcopyup = false;         ///< tmpfs: copy what the rootfs has at the mount point into it
};

/// Splits `options` into flags, propagation and data (unknown words go to data; podman's
/// tmpcopyup/notmpcopyup markers set `tmpcopyup`, z/Z/U/idmap are dropped).
MountOptions parseMountOptions(const std::vector<std::string>& options);


/// Sets the propagation of "/" (linux.rootfsPropagation, default rslave) and bind-mounts
/// the rootfs onto itself so it can be pivot_root'ed.
void prepareRootfs(const Spec& spec);

/// Performs spec.mounts in order below spec.rootPath (see mounts.cpp for the fallbacks
/// used when rootless: sysfs -> read-only rbind of /sys; cgroup -> read-only bind).
void mountAll(const Spec& spec);

/// After pivot_root: bind /dev/null over masked files, read-only tmpfs over masked dirs;
/// missing paths are skipped.
void maskPaths(const std::vector<std::string>& paths);

/// After pivot_root: bind each path onto itself read-only; missing paths are skipped.
void readonlyPaths(const std::vector<std::string>& paths);

/// After pivot_root: remounts "/" read-only (root.readonly).
void remountRootReadonly();

/// Remounts the bind mount at `path` with `flags` (MS_RDONLY, MS_NOSUID, ...), keeping the
/// flags the kernel locked (a user namespace may not clear them). recursive: every submount.
void remountBind(const std::string& path, unsigned long flags, bool recursive);

}  // namespace hutch::runtime
