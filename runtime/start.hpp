// Starting one container process, parent side: the single path behind `run` (the container's
// init, cloned into new namespaces) and `exec` (a process forked into the namespaces the
// runtime already joined). Both children run the same steps (child.hpp) and speak the same
// sync protocol (sync.hpp):
//
//   parent                                   child
//   clone/fork ------------------------------>  (blocks in wait-parent)
//   prepare(pid): id maps, cgroup (run only)
//   Continue -------------------------------->  steps: mounts ... (run only), terminal, ...
//             <------------------------------  TtyMaster + fd (process.terminal)
//             <------------------------------  Error {stage, errno, exitCode}, then _exit
//             <------------------------------  EOF: execve closed the O_CLOEXEC socket
//   status fd: RuntimeStatus {pid} or {error} (common/ipc.hpp); then supervise until exit
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "hutch/runtime/child.hpp"

namespace hutch::runtime {

/// A failure before the process ran, as reported on the status fd.
struct StartFailure {
    std::string stage, message;
    int err = 0;         ///< errno, 0 if none
    int exitCode = 125;  ///< 125 setup, 126 cannot invoke, 127 not found
};

/// Reports `f` as a RuntimeStatus line on `statusFd` (>= 0), else as "Error: ..." on stderr.
/// Returns f.exitCode.
int reportFailure(int statusFd, const StartFailure& f) noexcept;

/// What startProcess needs.
struct StartPlan {
    int statusFd = -1;       ///< where the RuntimeStatus line goes (-1: errors to stderr)
    int cloneFlags = 0;      ///< CLONE_NEW* for the child (0: a plain fork, as exec's is)
    ChildContext child;      ///< spec, seccomp, start gate, joining; syncFd and origMask are set here
    /// Parent side, after the clone and before the child goes on (id maps, cgroup join).
    /// May throw Error: the child is killed and the failure reported as stage "parent".
    std::function<void(pid_t)> prepare;
    std::string pidFile;     ///< if set: the process's host pid, written once it has exec'd
};

/// Clones or forks the child, lets it run its steps, reports the outcome on the status fd,
/// then relays its pty and forwards signals until it exits. Returns its exit code
/// (128+signal), or 125/126/127 when it never ran. Never throws.
int startProcess(StartPlan& plan) noexcept;

}  // namespace hutch::runtime
