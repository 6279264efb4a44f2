// The monitor of a detached container (hutch's conmon): a small process per container,
// started by `run -d` / `start` as a re-exec (`hutch __monitor ...`). It is the runtime's
// parent and a subreaper, holds the container's output pipes and appends them to the log
// file (k8s-file format: "TIMESTAMP stdout|stderr F|P text"), records the state (running,
// then exited with the exit code and time), and removes the container for --rm.
#pragma once

#include <string>

#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// Path of the container's log file: --log-opt path=, else ctr.log in its directory.
std::string logPath(Context& ctx, const ContainerRecord& rec);

/// --log-driver and --log-opt checked as podman's run does: the driver k8s-file or none
/// (journald and passthrough are podman's too, but hutch only writes files: refused, naming
/// the flag), options path=ABSOLUTE and max-size=SIZE. Throws InvalidArgument.
void validateLogConfig(const ContainerConfig& c);

/// --log-opt max-size in bytes (0 = unlimited). Throws InvalidArgument for a bad size.
uint64_t logMaxSize(const ContainerConfig& c);

/// Starts `rec` under a new monitor and returns once the container runs (rec updated to
/// running). Throws CommandError(126/127) or Error with the runtime's message when it
/// cannot start.
void startDetached(Context& ctx, ContainerRecord& rec);

/// Entry of the hidden `__monitor` subcommand: `__monitor --sync-fd N [--root R]
/// [--runroot RR] [--storage-driver D] ID`. Returns the process exit code.
int monitorEntry(int argc, char** argv);

}  // namespace hutch::engine
