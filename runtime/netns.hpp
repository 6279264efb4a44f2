// A network namespace held by a file (the engine's keeper process: the container joins it by
// path, the user-mode helper configures it). Async-signal-safe: called after fork.
#pragma once

namespace hutch::runtime {

/// Sets lo up in the current network namespace. Returns 0 or an errno. Never throws.
int loopbackUpNoThrow() noexcept;

/// unshare(CLONE_NEWNET), bind-mounts /proc/self/ns/net on `path` (an existing empty file)
/// and sets lo up, in the calling process. Returns 0 or the errno of the step that failed.
int makeNetnsFile(const char* path) noexcept;

/// Joins the network namespace of process `pid` (a container's, created with its own user
/// namespace: the caller needs CAP_SYS_ADMIN over that user namespace, which the engine has
/// as an ancestor's root), bind-mounts it on `path` (an existing empty file) and sets lo up.
/// `nsFile` is "/proc/PID/ns/net", formatted by the caller (no allocation after fork).
/// Returns 0 or the errno of the step that failed.
int adoptNetnsFile(const char* path, const char* nsFile) noexcept;

/// Unmounts (MNT_DETACH) and removes the file made by makeNetnsFile. Never throws.
void removeNetnsFile(const char* path) noexcept;

}  // namespace hutch::runtime
