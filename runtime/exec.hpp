// `hutch __runtime exec`: runs a process inside a running container (runc/crun `exec`).
//
//   hutch __runtime exec --pid PID [--status-fd N] [--process FILE] [--tty] [--cwd DIR]
//       [--env K=V]... [--user UID[:GID]] [--cap CAP]... [--no-new-privs]
//       [--seccomp-json FILE|-] [--seccomp-cache DIR] [--] CMD [ARG...]
//
// --process FILE: a runtime-spec "process" object (config.md "Process") giving the base;
// the flags override it (--env appends, --cap replaces all capability sets, CMD replaces
// args). Without --process and --cap the capabilities are left as joined (all of them in
// the container's user namespace): the engine passes the container's set. --seccomp-json:
// a linux.seccomp object (the container's), "-" = read from stdin. --status-fd gets one line
// like `run`'s: {"pid":N} once the command exec'd, or {"error":..,"stage":..,"errno":..,
// "exitCode":..}. Exit code: the command's (128+signal), 125 setup, 126/127 as `run`.
//
// Order: compile seccomp; join the container's cgroup2 cgroup (its cgroup.procs; EACCES
// and similar are ignored with a debug log); setns mnt, pid, uts, ipc, net, cgroup and the
// user namespace last, each only when it differs from ours (ns.hpp joinNamespacesOf); then the same start path as
// `run` (start.hpp): fork (the child is in the pid namespace), the child runs the process
// steps of child.hpp (pty from the container's devpts, cwd, bounding set, user,
// capabilities, no_new_privs, seccomp, exec), the parent relays the pty, forwards signals
// and waits.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "hutch/runtime/seccomp.hpp"
#include "hutch/runtime/spec.hpp"

namespace hutch::runtime {

/// Options of `__runtime exec`.
struct ExecOptions {
    pid_t pid = 0;        ///< a process of the container (its init), host pid
    int statusFd = -1;    ///< see above
    Process process;      ///< what to run; process.rlimits are applied too
    std::optional<Seccomp> seccomp;
    std::string seccompCache;  ///< --seccomp-cache: see compileSeccompCached
};

/// Runs `o.process` in the container of `o.pid` and waits for it. Returns its exit code,
/// or 125/126/127; errors are reported on statusFd, else stderr. Must run single-threaded
/// (setns of a user namespace). Never throws.
int execInContainer(const ExecOptions& o) noexcept;

/// Parses the `exec` command line (argv after "exec") into ExecOptions. Throws
/// InvalidArgument on a usage error, ConfigError/NotFound for --process and --seccomp-json.
ExecOptions parseExecArgs(int argc, char** argv);

}  // namespace hutch::runtime
