#include "hutch/runtime/start.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/ipc.hpp"
#include "hutch/runtime/supervise.hpp"
#include "hutch/runtime/sync.hpp"

namespace hutch::runtime {

int reportFailure(int statusFd, const StartFailure& f) noexcept {
    if (statusFd >= 0)
        ipc::send(statusFd, ipc::RuntimeStatus{false, 0, f.stage, f.message, f.err, f.exitCode});
    else
        std::fprintf(stderr, "Error: %s\n", f.message.c_str());
    return f.exitCode;
}

namespace {

pid_t cloneChild(int flags) {
    // fork-like clone (no new stack), as crun does: the child continues on a copy of ours.
    return static_cast<pid_t>(::syscall(SYS_clone, static_cast<unsigned long>(flags) | SIGCHLD, nullptr, nullptr,
                                        nullptr, nullptr));
}

}  // namespace

int startProcess(StartPlan& plan) noexcept {
    const int statusFd = plan.statusFd;
    try {
        auto [parentSock, childSock] = makeSyncPair();
        sigset_t handled = handledSignals(), orig;
        ::sigprocmask(SIG_BLOCK, &handled, &orig);
        UniqueFd sigFd(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!sigFd) return reportFailure(statusFd, {"signals", std::string("signalfd: ") + std::strerror(errno), errno, 125});
        ::signal(SIGPIPE, SIG_IGN);

        plan.child.syncFd = childSock.get();
        plan.child.origMask = orig;
        std::fflush(nullptr);
        pid_t pid = cloneChild(plan.cloneFlags);
        if (pid < 0) {
            int err = errno;
            const char* what = plan.cloneFlags ? "clone (linux.namespaces): " : "fork into the container: ";
            return reportFailure(statusFd, {plan.cloneFlags ? "clone" : "fork", what + std::string(std::strerror(err)), err, 125});
        }
        if (pid == 0) {
            parentSock.reset();
            sigFd.reset();
            childMain(plan.child);
        }
        childSock.reset();

        auto killChild = [&] {
            ::kill(pid, SIGKILL);
            int st;
            while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
        };
        try {
            if (plan.prepare) plan.prepare(pid);
        } catch (const std::exception& e) {
            killChild();
            return reportFailure(statusFd, {"parent", e.what(), 0, 125});
        }
        // The engine learns the container's pid before it lets it run: a network namespace
        // the container created with its own user namespace is configured from outside.
        if (plan.child.startGateFd >= 0) ipc::sendPid(plan.child.startGateFd, pid);
        if (int err = sendMsg(parentSock.get(), SyncMsg{MsgType::Continue}); err) {
            killChild();
            return reportFailure(statusFd, {"sync", std::string("start the child: ") + std::strerror(err), err, 125});
        }

        UniqueFd master;
        for (;;) {
            SyncMsg m;
            int fd = -1;
            int rc = recvMsg(parentSock.get(), m, &fd);
            if (rc == 0) break;  // exec'd (or died: waitpid tells)
            if (rc < 0) {
                killChild();
                return reportFailure(statusFd, {"sync", std::string("read from the child: ") + std::strerror(-rc), -rc, 125});
            }
            if (m.type == MsgType::TtyMaster && fd >= 0) {
                master.reset(fd);
            } else if (m.type == MsgType::Error) {
                if (fd >= 0) ::close(fd);
                killChild();
                return reportFailure(statusFd, {m.stage, m.message, m.err, m.exitCode ? m.exitCode : 125});
            } else if (fd >= 0) {
                ::close(fd);
            }
        }
        parentSock.reset();
        try {  // written once the process runs (exec done), like the status line
            if (!plan.pidFile.empty()) fsutil::writeFileAtomic(plan.pidFile, std::to_string(pid), 0644);
        } catch (const Error& e) {
            killChild();
            return reportFailure(statusFd, {"pid-file", e.what(), 0, 125});
        }
        ipc::send(statusFd, ipc::RuntimeStatus{true, pid, "", "", 0, 0});
        return superviseInit(pid, sigFd.get(), master.get(), plan.child.spec->process.terminal);
    } catch (const std::exception& e) {
        return reportFailure(statusFd, {"runtime", e.what(), 0, 125});
    }
}

}  // namespace hutch::runtime
