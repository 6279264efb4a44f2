// The runtime parent's waiting side, shared by `run` and `exec` (the status line is
// common/ipc.hpp): signal
// forwarding, pty relay and exit-code mapping.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace hutch::runtime {

/// Signals the runtime forwards to its child (plus SIGCHLD and SIGWINCH it handles itself).
sigset_t handledSignals();

/// Exit code of a wait status: the code, 128+signal, or 125.
int exitCodeOf(int status);

/// Waits for `pid` while forwarding signals read from `sigFd` (a signalfd of
/// handledSignals()) and relaying the pty `master` (if >= 0) to our stdio; `terminal` says
/// the child has its own terminal (then terminal-generated signals are forwarded too).
/// Returns the child's exit code (exitCodeOf).
int superviseInit(pid_t pid, int sigFd, int master, bool terminal);

}  // namespace hutch::runtime
