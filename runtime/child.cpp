#include "hutch/runtime/child.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/runtime/caps.hpp"
#include "hutch/runtime/devices.hpp"
#include "hutch/runtime/mounts.hpp"
#include "hutch/runtime/ns.hpp"
#include "hutch/runtime/process.hpp"
#include "hutch/runtime/rootfs.hpp"
#include "hutch/runtime/seccomp.hpp"
#include "hutch/runtime/sync.hpp"
#include "hutch/runtime/tty.hpp"

namespace hutch::runtime {

namespace {

using Ctx = ChildContext;

void waitForParent(const Ctx& c) {
    SyncMsg m;
    int rc = recvMsg(c.syncFd, m);
    if (rc <= 0) throw SysError(rc < 0 ? -rc : EPIPE, "wait for the runtime parent");
    if (m.type != MsgType::Continue) throw Error("unexpected sync message from the runtime parent");
}

void cgroupNamespace(const Ctx& c) {
    // Only when the parent moved us into the container's cgroup first (cgroupsPath): then
    // the clone left the cgroup namespace out and we enter it now, rooted there.
    if (c.spec->cgroupsPath.empty() || !(c.cloneFlags & CLONE_NEWCGROUP)) return;
    checkSys(::unshare(CLONE_NEWCGROUP), "unshare the cgroup namespace");
}

void loopback(const Ctx& c) {
    if (c.cloneFlags & CLONE_NEWNET) loopbackUp();
}

void becomeNamespaceRoot(const Ctx& c) {
    if (!(c.cloneFlags & CLONE_NEWUSER)) return;
    checkSys(::setresgid(0, 0, 0), "setresgid 0 in the new user namespace");
    checkSys(::setresuid(0, 0, 0), "setresuid 0 in the new user namespace");
}

void setupMounts(const Ctx& c) {
    if (!(c.cloneFlags & CLONE_NEWNS)) throw Error("linux.namespaces must include a mount namespace");
    prepareRootfs(*c.spec);
    mountAll(*c.spec);
}

void setupDevices(const Ctx& c) {
    createDevices(*c.spec);
    createDevSymlinks(*c.spec);
}

void enterRootfs(const Ctx& c) { pivotRoot(c.spec->rootPath); }

void maskAndProtect(const Ctx& c) {
    maskPaths(c.spec->maskedPaths);
    readonlyPaths(c.spec->readonlyPaths);
}

void readonlyRoot(const Ctx& c) {
    if (c.spec->rootReadonly) remountRootReadonly();
}

void utsNames(const Ctx& c) {
    if ((!c.spec->hostname.empty() || !c.spec->domainname.empty()) && !(c.cloneFlags & CLONE_NEWUTS))
        throw Error("hostname/domainname set but linux.namespaces has no uts namespace");
    setUtsNames(*c.spec);
}

void terminal(const Ctx& c) {
    // The container's init also gets the pty as /dev/console; an exec'd process does not.
    if (c.spec->process.terminal) childSetupTerminal(c.syncFd, /*console=*/!c.joining);
}

void sysctls(const Ctx& c) { applySysctl(c.spec->sysctl); }
void oomScore(const Ctx& c) {
    if (c.spec->process.oomScoreAdj) applyOomScoreAdj(*c.spec->process.oomScoreAdj);
}
void rlimits(const Ctx& c) { applyRlimits(c.spec->process.rlimits); }
void cwd(const Ctx& c) {
    // The init's working directory is made when missing (as runc does); exec's must exist.
    if (c.joining)
        enterCwd(c.spec->process.cwd);
    else
        enterCwd(c.spec->process.cwd, /*create=*/true, {c.spec->process.uid, c.spec->process.gid});
}

void boundingSet(const Ctx& c) {
    if (c.spec->process.capabilities) dropBoundingSet(*c.spec->process.capabilities);
}

void user(const Ctx& c) { switchUser(c.spec->process); }

void capSets(const Ctx& c) {
    if (c.spec->process.capabilities) applyCapSets(*c.spec->process.capabilities);
}

void noNewPrivs(const Ctx& c) {
    if (c.spec->process.noNewPrivileges)
        checkSys(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
}

void parentDeathSignal(const Ctx&) {
    // After the user switch, which clears it: the init dies with the runtime.
    checkSys(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
}

void closeInheritedFds(const Ctx&) {
    // Nothing the runtime inherited (engine pipes, the status fd, lock files) leaks into the
    // container: fds >= 3 become close-on-exec (--preserve-fds: execProcess dup2s its own).
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) == 0) return;
#endif
    for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// The resolved executable: looked up as the final user, before the seccomp filter.
std::string gExe;

void lookupExe(const Ctx& c) { gExe = lookupExecutable(c.spec->process.args[0], c.spec->process.env); }

void seccompEarly(const Ctx& c) {
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still
    // have it (before the user switch and capset), as runc and crun do.
    if (c.seccomp && !c.spec->process.noNewPrivileges) loadSeccomp(*c.seccomp);
}

void seccompLast(const Ctx& c) {
    if (c.seccomp && c.spec->process.noNewPrivileges) loadSeccomp(*c.seccomp);
}

void startGate(const Ctx& c) {
    if (c.startGateFd < 0) return;
    char go = 0;
    ssize_t n;
    while ((n = ::read(c.startGateFd, &go, 1)) < 0 && errno == EINTR) {
    }
    ::close(c.startGateFd);
    if (n != 1) throw Error("the engine did not release the container (its network setup failed)");
}

[[noreturn]] void execProcess(const Ctx& c) {
    int syncFd = c.syncFd;
    if (c.preserveFds) {
        // The preserved fds (RunOptions::preserveFds) take 3..3+N-1, without close-on-exec;
        // the sync socket moves above them first when it is in the way.
        int end = 3 + static_cast<int>(c.preserveFds);
        if (syncFd < end && (syncFd = ::fcntl(c.syncFd, F_DUPFD_CLOEXEC, end)) < 0) syncFd = c.syncFd;
        for (int i = 0; i < static_cast<int>(c.preserveFds); ++i)
            if (::dup2(kPreservedFdBase + i, 3 + i) < 0) {
                sendMsg(syncFd, SyncMsg::error("preserve-fds", errno, 125,
                                               "--preserve-fds: fd " + std::to_string(3 + i) + " is not open"));
                ::_exit(125);
            }
    }
    execWithReport(c.spec->process, gExe, c.origMask, syncFd);
}

/// Which processes a step is for.
enum class For { Create, Both };

struct Step {
    const char* name;
    void (*run)(const Ctx&);
    For only;
};

// Kernel order (namespaces given by path were joined by the parent before the clone, see
// runtime_main.cpp);
// sysctls before /proc/sys is made read-only; ids before mounts; mounts and devices before pivot_root; masks after it;
// the pty once devpts is in place; capabilities bounded before the user switch and set after;
// seccomp last (before the user switch when there is no no_new_privs, see seccomp.hpp).
// An exec'd process (ctx.joining) runs the `For::Both` steps: its parent joined the
// namespaces and the cgroup already (exec.cpp), and the container's root is its root.
const Step kSteps[] = {
    {"wait-parent", waitForParent, For::Both},
    {"cgroup-namespace", cgroupNamespace, For::Create},
    {"userns-root", becomeNamespaceRoot, For::Create},
    {"loopback", loopback, For::Create},
    {"mounts", setupMounts, For::Create},
    {"devices", setupDevices, For::Create},
    {"pivot-root", enterRootfs, For::Create},
    {"sysctl", sysctls, For::Create},
    {"masked-paths", maskAndProtect, For::Create},
    {"readonly-root", readonlyRoot, For::Create},
    {"hostname", utsNames, For::Create},
    {"terminal", terminal, For::Both},
    {"rlimits", rlimits, For::Both},
    {"oom-score-adj", oomScore, For::Both},
    {"cwd", cwd, For::Both},
    {"bounding-set", boundingSet, For::Both},
    {"seccomp", seccompEarly, For::Both},
    {"user", user, For::Both},
    {"capabilities", capSets, For::Both},
    {"no-new-privileges", noNewPrivs, For::Both},
    {"parent-death-signal", parentDeathSignal, For::Both},
    {"close-fds", closeInheritedFds, For::Both},
    {"start-gate", startGate, For::Both},
    {"exec", lookupExe, For::Both},
    {"seccomp", seccompLast, For::Both},
    {"exec", execProcess, For::Both},
};

}  // namespace

void execWithReport(const Process& p, const std::string& exe, const sigset_t& mask, int syncFd) noexcept {
    std::vector<char*> argv, envp;
    for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    // The sync socket is O_CLOEXEC: a successful exec closes it, which the parent reads as EOF.
    ::execve(exe.c_str(), argv.data(), envp.data());
    int err = errno;
    int code = err == ENOENT ? 127 : 126;
    sendMsg(syncFd, SyncMsg::error("exec", err, code, p.args[0] + ": " + std::strerror(err)));
    ::_exit(code);
}

void childMain(const ChildContext& ctx) noexcept {
    const char* stage = "start";
    try {
        for (const auto& s : kSteps) {
            if (ctx.joining && s.only == For::Create) continue;
            stage = s.name;
            s.run(ctx);
        }
        throw Error("exec returned");
    } catch (const CommandError& e) {
        sendMsg(ctx.syncFd, SyncMsg::error(stage, e.exitCode() == 127 ? ENOENT : EACCES, e.exitCode(), e.what()));
    } catch (const SysError& e) {
        sendMsg(ctx.syncFd, SyncMsg::error(stage, e.err(), 125, e.what()));
    } catch (const std::exception& e) {
        sendMsg(ctx.syncFd, SyncMsg::error(stage, 0, 125, e.what()));
    } catch (...) {
        sendMsg(ctx.syncFd, SyncMsg::error(stage, 0, 125, "unknown error"));
    }
    ::_exit(125);
}

}  // namespace hutch::runtime
