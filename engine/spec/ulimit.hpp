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

/// Parses "TYPE=SOFT[:HARD]": TYPE one of core, cpu, data, fsize, locks, memlock, msgqueue,
/// nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack; SOFT and HARD decimal
/// integers, -1 meaning unlimited; HARD defaults to SOFT and must not be below it. Throws
/// InvalidArgument naming `spec` and what is wrong with it.
Ulimit parseUlimit(const std::string& spec);

}  // namespace hutch::engine
