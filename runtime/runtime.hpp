// The embedded OCI runtime (runtime-spec 1.0.2, `create`+`start` in one: `run`).
//
//   hutch __runtime run [--status-fd N] [--pid-file F] [--seccomp-cache DIR] --bundle DIR ID
//   hutch __runtime exec --pid PID [--status-fd N] [--process FILE] [--tty] [--cwd DIR]
//       [--env K=V]... [--user UID[:GID]] [--cap CAP]... [--no-new-privs]
//       [--seccomp-json FILE|-] [--seccomp-cache DIR] [--] CMD [ARG...]   (see exec.hpp)
//
// Must run in a fresh single-threaded process (a re-exec of /proc/self/exe). The parent
// clones the container init into the namespaces of linux.namespaces, writes its id maps,
// relays the pty (process.terminal), forwards signals and waits.
#pragma once

#include <string>

namespace hutch::runtime {

/// Options of `__runtime run`.
struct RunOptions {
    std::string bundle;    ///< directory holding config.json
    std::string id;        ///< container id (informational for now)
    int statusFd = -1;     ///< if >= 0: one JSON line, {"pid":N} or {"error":..,"stage":..,"errno":..,"exitCode":..}
    std::string pidFile;   ///< if set: the init's host pid, written once it has exec'd
    std::string seccompCache;  ///< if set: cache of compiled seccomp programs (compileSeccompCached)
    /// if >= 0: the container's process waits, right before its exec, for one byte on this
    /// fd (the engine's "start gate": e.g. its network is being configured meanwhile); EOF
    /// without a byte fails the container (stage "start-gate", exit 125). A socket: the
    /// runtime first writes the container's pid on it (4 bytes, host byte order) once the
    /// process exists in its namespaces (its id maps written, its cgroup joined).
    int startGateFd = -1;
    /// --preserve-fds N: fds 1000..1000+N-1 (the engine's kPreservedFdBase) become the
    /// container process's 3..3+N-1.
    unsigned preserveFds = 0;
};

/// Runs the container of `opts.bundle` to completion. Returns the init's exit code
/// (128+signal if killed), or 125 (setup failed), 126 (cannot invoke), 127 (not found).
/// Errors are reported on statusFd, else on stderr; never throws.
int runContainer(const RunOptions& opts) noexcept;

/// Entry of `hutch __runtime ...`: argv[0] is ignored, argv[1] must be "run" or "exec". Returns the
/// process exit code (125 on a usage error).
int runtimeMain(int argc, char** argv);

}  // namespace hutch::runtime
