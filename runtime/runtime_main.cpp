// Parent side of the embedded runtime: clone, id maps, sync, signal forwarding, pty relay.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/ipc.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/runtime/cgroup.hpp"
#include "hutch/runtime/child.hpp"
#include "hutch/runtime/exec.hpp"
#include "hutch/runtime/ns.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/runtime/spec.hpp"
#include "hutch/runtime/supervise.hpp"
#include "hutch/runtime/sync.hpp"
#include "hutch/runtime/tty.hpp"

namespace hutch::runtime {

namespace {

/// Outcome of the setup phase, as reported on --status-fd.
struct Failure {
    std::string stage, message;
    int err = 0, exitCode = 125;
};

int reportFailure(const RunOptions& o, const Failure& f) {
    if (o.statusFd >= 0)
        ipc::send(o.statusFd, ipc::RuntimeStatus{false, 0, f.stage, f.message, f.err, f.exitCode});
    else
        std::fprintf(stderr, "Error: %s\n", f.message.c_str());
    return f.exitCode;
}

pid_t cloneChild(int flags) {
    // fork-like clone (no new stack), as crun does: the child continues on a copy of ours.
    return static_cast<pid_t>(::syscall(SYS_clone, static_cast<unsigned long>(flags) | SIGCHLD, nullptr, nullptr,
                                        nullptr, nullptr));
}

}  // namespace

int runContainer(const RunOptions& o) noexcept {
    try {
        Spec spec;
        try {
            spec = loadSpec(o.bundle);
        } catch (const Error& e) {
            return reportFailure(o, {"config", e.what(), 0, 125});
        }
        std::optional<SeccompProgram> filter;
        try {
            if (spec.seccomp) filter = compileSeccompCached(*spec.seccomp, o.seccompCache);
        } catch (const Error& e) {
            return reportFailure(o, {"seccomp", e.what(), 0, 125});
        }
        std::string cgroupDir;
        if (!spec.cgroupsPath.empty()) {
            try {
                cgroupDir = createCgroup(spec.cgroupsPath);
            } catch (const Error& e) {
                return reportFailure(o, {"cgroup", e.what(), 0, 125});
            }
        }
        struct CgroupCleanup {
            std::string dir;
            ~CgroupCleanup() { removeCgroup(dir); }
        } cgroupCleanup{cgroupDir};
        auto [parentSock, childSock] = makeSyncPair();
        int flags = cloneFlags(spec);
        // With a cgroup of its own, the child unshares its cgroup namespace only after we
        // moved it there (see childMain), so the namespace is rooted in that cgroup.
        int cloneWith = cgroupDir.empty() ? flags : (flags & ~CLONE_NEWCGROUP);

        sigset_t handled = handledSignals(), orig;
        ::sigprocmask(SIG_BLOCK, &handled, &orig);
        UniqueFd sigFd(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!sigFd) return reportFailure(o, {"signals", std::string("signalfd: ") + std::strerror(errno), errno, 125});
        ::signal(SIGPIPE, SIG_IGN);

        ChildContext ctx;
        ctx.spec = &spec;
        ctx.syncFd = childSock.get();
        ctx.startGateFd = o.startGateFd;
        ctx.cloneFlags = flags;
        ctx.origMask = orig;
        ctx.seccomp = filter ? &*filter : nullptr;
        std::fflush(nullptr);
        pid_t pid = cloneChild(cloneWith);
        if (pid < 0) {
            int err = errno;
            return reportFailure(o, {"clone", std::string("clone (linux.namespaces): ") + std::strerror(err), err, 125});
        }
        if (pid == 0) {
            parentSock.reset();
            sigFd.reset();
            childMain(ctx);
        }
        childSock.reset();

        auto killChild = [&] {
            ::kill(pid, SIGKILL);
            int st;
            while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
        };
        try {
            if (flags & CLONE_NEWUSER) writeIdMaps(pid, spec.uidMappings, spec.gidMappings);
            if (!cgroupDir.empty()) joinCgroup(cgroupDir, pid);
        } catch (const Error& e) {
            killChild();
            return reportFailure(o, {"parent", e.what(), 0, 125});
        }
        if (int err = sendMsg(parentSock.get(), SyncMsg{MsgType::Continue}); err) {
            killChild();
            return reportFailure(o, {"sync", std::string("start the container child: ") + std::strerror(err), err, 125});
        }

        UniqueFd master;
        for (;;) {
            SyncMsg m;
            int fd = -1;
            int rc = recvMsg(parentSock.get(), m, &fd);
            if (rc == 0) break;  // exec'd (or died: waitpid tells)
            if (rc < 0) {
                killChild();
                return reportFailure(o, {"sync", std::string("read from the container child: ") + std::strerror(-rc), -rc, 125});
            }
            if (m.type == MsgType::TtyMaster && fd >= 0) {
                master.reset(fd);
            } else if (m.type == MsgType::Error) {
                if (fd >= 0) ::close(fd);
                killChild();
                return reportFailure(o, {m.stage, m.message, m.err, m.exitCode ? m.exitCode : 125});
            } else if (fd >= 0) {
                ::close(fd);
            }
        }
        parentSock.reset();
        try {  // written once the container process runs (exec done), like the status line
            if (!o.pidFile.empty()) fsutil::writeFileAtomic(o.pidFile, std::to_string(pid), 0644);
        } catch (const Error& e) {
            killChild();
            return reportFailure(o, {"pid-file", e.what(), 0, 125});
        }
        ipc::send(o.statusFd, ipc::RuntimeStatus{true, pid, "", "", 0, 0});
        return superviseInit(pid, sigFd.get(), master.get(), spec.process.terminal);
    } catch (const std::exception& e) {
        return reportFailure(o, {"runtime", e.what(), 0, 125});
    }
}

int runtimeMain(int argc, char** argv) {
    RunOptions o;
    int i = 0;
    // Accept "hutch __runtime run ...", "__runtime run ..." and "run ...".
    while (i < argc && std::strcmp(argv[i], "run") != 0 && std::strcmp(argv[i], "exec") != 0) ++i;
    if (i < argc && std::strcmp(argv[i], "exec") == 0) {
        try {
            return execInContainer(parseExecArgs(argc - i - 1, argv + i + 1));
        } catch (const Error& e) {
            std::fprintf(stderr, "Error: %s\n", e.what());
            return 125;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "Error: usage: hutch __runtime run [--status-fd N] [--pid-file F] --bundle DIR ID\n");
        return 125;
    }
    auto usage = [](const std::string& msg) {
        std::fprintf(stderr, "Error: __runtime run: %s\n", msg.c_str());
        return 125;
    };
    for (++i; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const std::string& flag) -> std::optional<std::string> {
            if (a == flag) {
                if (i + 1 >= argc) return std::nullopt;
                return std::string(argv[++i]);
            }
            if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
            return std::nullopt;
        };
        if (a == "--status-fd" || a.rfind("--status-fd=", 0) == 0) {
            auto v = value("--status-fd");
            if (!v) return usage("--status-fd needs a value");
            try {
                o.statusFd = std::stoi(*v);
            } catch (...) {
                return usage("--status-fd: not a number: " + *v);
            }
        } else if (a == "--pid-file" || a.rfind("--pid-file=", 0) == 0) {
            auto v = value("--pid-file");
            if (!v) return usage("--pid-file needs a value");
            o.pidFile = *v;
        } else if (a == "--start-gate-fd" || a.rfind("--start-gate-fd=", 0) == 0) {
            auto v = value("--start-gate-fd");
            if (!v) return usage("--start-gate-fd needs a value");
            try {
                o.startGateFd = std::stoi(*v);
            } catch (...) {
                return usage("--start-gate-fd: not a number: " + *v);
            }
        } else if (a == "--seccomp-cache" || a.rfind("--seccomp-cache=", 0) == 0) {
            auto v = value("--seccomp-cache");
            if (!v) return usage("--seccomp-cache needs a value");
            o.seccompCache = *v;
        } else if (a == "--bundle" || a == "-b" || a.rfind("--bundle=", 0) == 0) {
            if (a == "-b") a = "--bundle";
            auto v = value("--bundle");
            if (!v) return usage("--bundle needs a value");
            o.bundle = *v;
        } else if (!a.empty() && a[0] == '-') {
            return usage("unknown flag " + a);
        } else if (o.id.empty()) {
            o.id = a;
        } else {
            return usage("unexpected argument " + a);
        }
    }
    if (o.bundle.empty()) return usage("--bundle is required");
    if (o.id.empty()) return usage("a container ID is required");
    return runContainer(o);
}

}  // namespace hutch::runtime
