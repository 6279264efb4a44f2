// Host facts for the process flags (procflags.hpp) that the pure spec generator cannot
// look up itself: the caller's rlimits, group names in the rootfs, device nodes, other
// containers' namespaces, the init program and whether a pids limit can be applied.
#pragma once

#include <string>

#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/spec/procflags.hpp"

namespace hutch::engine {

/// Resolves `rec.config.proc` against the host and `rootfs` for writeBundle. `cgroupPath`
/// is the container's own cgroup (cgroup v2 path) used when --pids-limit can be applied.
/// Throws InvalidArgument (125) for a missing device, container or init program;
/// CommandError 126 for an unknown --group-add group (podman resolves it at start) and for a
/// rootless --ulimit above the caller's hard limit (the OCI runtime's EPERM in podman).
/// Warns, as podman does, that --pids-limit is ignored without a pids controller.
ProcessHost resolveProcessHost(Context& ctx, const ContainerRecord& rec, const std::string& rootfs,
                               const std::string& cgroupPath);

/// The init program shipped with hutch (hutch-init next to the running binary, or
/// ../libexec/hutch/hutch-init), "" when there is none.
std::string defaultInitBinary();

}  // namespace hutch::engine
