// The container child: a flat list of named steps in the order the kernel needs them
// (nsjail style). Runs in the process made by clone() for `run`, and in the one forked into
// the joined namespaces for `exec`, which runs the same list without the steps that build
// the container (mounts, devices, pivot_root, masks, sysctls, hostname). Never returns and
// never throws.
#pragma once

#include <signal.h>

#include <string>

#include "hutch/runtime/seccomp.hpp"
#include "hutch/runtime/spec.hpp"

namespace hutch::runtime {

/// What the child gets from the parent (copied memory, no sharing).
/// Where the runtime receives the fds to preserve (RunOptions::preserveFds).
inline constexpr int kPreservedFdBase = 1000;

struct ChildContext {
    const Spec* spec = nullptr;
    int syncFd = -1;       ///< child end of the sync socket (O_CLOEXEC)
    int cloneFlags = 0;    ///< CLONE_NEW* used
    sigset_t origMask;     ///< signal mask to restore before exec
    const SeccompProgram* seccomp = nullptr;  ///< compiled linux.seccomp (parent), or null
    int startGateFd = -1;  ///< RunOptions::startGateFd: one byte to read before the exec
    bool joining = false;  ///< exec: the container exists; only the process steps run
    unsigned preserveFds = 0;  ///< RunOptions::preserveFds: 1000.. become 3.. at the exec
};

/// Resets signal handlers, restores `mask` and execve()s `exe` with p.args and p.env. On
/// failure sends MsgType::Error (stage "exec", exit code 127 for ENOENT, else 126) on
/// `syncFd` and _exits with that code. Shared by `run` and `exec`.
[[noreturn]] void execWithReport(const Process& p, const std::string& exe, const sigset_t& mask, int syncFd) noexcept;

/// Child entry: waits for MsgType::Continue, runs the steps (those for a joining process
/// when ctx.joining), execs process.args. On any failure sends MsgType::Error {stage, errno, message, exitCode 125/126/127} and _exits.
[[noreturn]] void childMain(const ChildContext& ctx) noexcept;

}  // namespace hutch::runtime
