// Starting the runtime as a child process (`hutch-runtime run|exec`), reading its status
// line, waiting for it, forwarding signals to it. Shared by foreground `run`, the monitor of
// detached containers and `exec`.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <iterator>
#include <string>
#include <vector>

#include "hutch/common/fd.hpp"
#include "hutch/common/ipc.hpp"

namespace hutch::engine {

/// The runtime's status (common/ipc.hpp), read with ipc::receiveRuntimeStatus.
using RuntimeStatus = ipc::RuntimeStatus;

/// Standard streams for the runtime: -1 keeps ours.
struct RuntimeStdio {
    int in = -1, out = -1, err = -1;
    /// --preserve-fds: our fds 3..3+N-1 become the container process's 3..3+N-1 (handed to
    /// the runtime as kPreservedFdBase.. with `--preserve-fds N`).
    unsigned preserveFds = 0;
};

/// Where the runtime receives the fds to preserve (RuntimeStdio::preserveFds): far above
/// the status and start gate fds.
inline constexpr int kPreservedFdBase = 1000;

/// Where the runtime caches compiled seccomp programs (`--seccomp-cache`): set once the
/// store is open (<runroot>/seccomp); "" = no cache.
void setSeccompCacheDir(const std::string& dir);
const std::string& seccompCacheDir();

/// The runtime to exec and the arguments that select `verb` ("run" or "exec"): the lean
/// `hutch-runtime VERB` installed beside this binary (or in ../libexec/hutch/), else this
/// binary's own `__runtime VERB` (a build or install without it). The lookup runs once.
/// Returns {path, argv...} with argv[0] first.
std::vector<std::string> runtimeCommand(const std::string& verb);

/// fork + exec of `hutch-runtime VERB --status-fd 3 ARGS...` (runtimeCommand) with
/// `statusFd` as fd 3, `stdio` on 0-2 and, when `startGateFd` >= 0, that fd as fd 4 (the
/// caller puts `--start-gate-fd 4` in `args`). The one place the engine starts the
/// runtime, for `run` (below) and `exec`. Returns its pid. Throws SysError.
pid_t spawnRuntimeVerb(const std::string& verb, const std::vector<std::string>& args, int statusFd,
                       const RuntimeStdio& stdio, int startGateFd = -1);

/// spawnRuntimeVerb of `hutch-runtime run --status-fd 3 [--start-gate-fd 4]
/// [--seccomp-cache DIR] --bundle BUNDLE ID` with the status pipe's write end as fd 3 and,
/// when `startGateFd` >= 0, that pipe's read end as fd 4: the container's process then waits
/// for one byte on it before its exec (runtime::RunOptions::startGateFd). Throws SysError.
pid_t spawnRuntime(const std::string& bundle, const std::string& id, int statusFd, const RuntimeStdio& stdio,
                   int startGateFd = -1);

/// The runtime's start gate (spawnRuntime's `startGateFd`, a socket pair): the container's process waits
/// on it right before its exec, so the engine can finish work (the network helper) in
/// parallel with the runtime's setup. Not needed = no pipe, runtimeFd() -1.
class StartGate {
public:
    /// Creates the pipe when `needed`. Throws SysError.
    explicit StartGate(bool needed);
    /// The read end to pass to spawnRuntime, or -1.
    int runtimeFd() const { return read_ ? read_.get() : -1; }
    /// Closes our copy of the read end (after spawnRuntime).
    void spawned() { read_.reset(); }
    /// The container's pid, which the runtime sends once the process exists in its
    /// namespaces (before it reaches the gate); -1 if the runtime failed before (it reports
    /// why on its status fd) or there is no gate. Blocks until then.
    pid_t containerPid();
    /// Lets the container's process exec (writes the byte); no-op without a gate.
    void open();
    /// Closes the gate without the byte: the container fails at its start gate (exit 125).
    void fail() { write_.reset(); }

private:
    UniqueFd read_, write_;
};

/// Waits for `pid`: its exit code, or 128+signal. Throws SysError.
int waitExit(pid_t pid);

/// Forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 sent to this process to
/// `pid` while alive — except those the terminal generated (si_code SI_KERNEL), which
/// reached the whole foreground process group already.
class SignalForwarder {
public:
    explicit SignalForwarder(pid_t pid);
    ~SignalForwarder();
    SignalForwarder(const SignalForwarder&) = delete;
    SignalForwarder& operator=(const SignalForwarder&) = delete;

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    struct sigaction old_[std::size(kSignals)];
};

}  // namespace hutch::engine
