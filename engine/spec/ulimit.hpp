// --ulimit TYPE=SOFT[:HARD] (podman's, docker/go-units ParseUlimit): a resource limit of the
// container's process as an OCI process.rlimits entry. Pure.
#pragma once

#include <cstdint>
#include <string>

namespace hutch::engine {

/// One process.rlimits entry (runtime-spec config.md "POSIX process rlimits").
struct Ulimit {
    std::string type;   ///< "RLIMIT_NOFILE", ...
    uint64_t soft = 0;  ///< UINT64_MAX = unlimited (-1 on the command line)
    uint64_t hard = 0;
};

/// Parses one --ulimit value "NAME=SOFT[:HARD]" (run, create, build; NAME: core, cpu, data,
/// fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending,
/// stack, as; -1 = unlimited; no HARD = SOFT). Throws InvalidArgument as podman words it for a
/// bad value or a soft limit above the hard one. "host" is not accepted here (ProcessHost).
Ulimit parseUlimit(const std::string& flag);

}  // namespace hutch::engine
