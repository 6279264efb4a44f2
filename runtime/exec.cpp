#include "hutch/runtime/exec.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/ipc.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/runtime/caps.hpp"
#include "hutch/runtime/child.hpp"
#include "hutch/runtime/process.hpp"
#include "hutch/runtime/supervise.hpp"
#include "hutch/runtime/sync.hpp"
#include "hutch/runtime/tty.hpp"

namespace hutch::runtime {

using nlohmann::json;

namespace {

struct NsKind {
    const char* name;
    int flag;
};
// User first (it grants the capabilities for the others), then mount, pid (effective for
// children: we fork after), and the rest.
const NsKind kNamespaces[] = {{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},     {"pid", CLONE_NEWPID},
                              {"uts", CLONE_NEWUTS},   {"ipc", CLONE_NEWIPC},    {"net", CLONE_NEWNET},
                              {"cgroup", CLONE_NEWCGROUP}};

struct Failure {
    std::string stage, message;
    int err = 0, exitCode = 125;
};

int report(const ExecOptions& o, const Failure& f) {
    if (o.statusFd >= 0)
        ipc::send(o.statusFd, ipc::RuntimeStatus{false, 0, f.stage, f.message, f.err, f.exitCode});
    else
        std::fprintf(stderr, "Error: %s\n", f.message.c_str());
    return f.exitCode;
}

/// The cgroup2 path of `pid` ("0::/x" line of /proc/PID/cgroup), "" if none.
std::string cgroup2Path(const std::string& procFile) {
    std::string text;
    try {
        text = fsutil::readFile(procFile);
    } catch (const Error&) {
        return "";
    }
    for (const auto& line : str::split(text, '\n'))
        if (line.rfind("0::", 0) == 0) return line.substr(3);
    return "";
}

std::string cgroup2Mount() {
    for (const char* m : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        struct statfs sf;
        if (::statfs(m, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) return m;
    }
    return "";
}

/// Moves us into the container's cgroup2 cgroup when it differs from ours. Hosts without a
/// delegated (writable) cgroup refuse it: debug log, not an error.
void joinCgroup(pid_t pid) {
    std::string theirs = cgroup2Path("/proc/" + std::to_string(pid) + "/cgroup");
    std::string ours = cgroup2Path("/proc/self/cgroup");
    if (theirs.empty() || theirs == ours) return;
    std::string mnt = cgroup2Mount();
    if (mnt.empty()) return log::debug("exec: no cgroup2 mount; cgroup {} not joined", theirs);
    std::string procs = mnt + theirs + "/cgroup.procs";
    int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1)
        log::debug("exec: cannot join cgroup {}: {}", procs, std::strerror(errno));
    if (fd >= 0) ::close(fd);
}

bool sameNs(int fd, const std::string& selfPath) {
    struct stat a, b;
    return ::fstat(fd, &a) == 0 && ::stat(selfPath.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/// Opens every namespace of `pid` first (once in its mount namespace, /proc/PID is gone),
/// then joins them in kNamespaces order. Throws SysError naming the namespace.
void joinNamespaces(pid_t pid) {
    std::vector<std::pair<UniqueFd, const NsKind*>> fds;
    for (const auto& k : kNamespaces) {
        std::string p = "/proc/" + std::to_string(pid) + "/ns/" + k.name;
        UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT) continue;  // kernel without that namespace type
            throw SysError(errno, "open " + p + " (is the container running?)");
        }
        if (sameNs(fd.get(), std::string("/proc/self/ns/") + k.name)) continue;
        fds.emplace_back(std::move(fd), &k);
    }
    for (auto& [fd, k] : fds)
        if (::setns(fd.get(), k->flag) != 0)
            throw SysError(errno, std::string("join the container's ") + k->name + " namespace (setns)");
}

struct ChildArgs {
    const ExecOptions* o;
    const SeccompProgram* filter;
    int syncFd;
    sigset_t mask;
};

[[noreturn]] void execChild(const ChildArgs& a) noexcept {
    const Process& p = a.o->process;
    const char* stage = "start";
    try {
        stage = "terminal";
        if (p.terminal) childSetupTerminal(a.syncFd, false);
        stage = "rlimits";
        applyRlimits(p.rlimits);
        stage = "cwd";
        enterCwd(p.cwd);
        stage = "bounding-set";
        if (p.capabilities) dropBoundingSet(*p.capabilities);
        stage = "seccomp";
        if (a.filter && !p.noNewPrivileges) loadSeccomp(*a.filter);  // needs CAP_SYS_ADMIN
        stage = "user";
        switchUser(p);
        stage = "capabilities";
        if (p.capabilities) applyCapSets(*p.capabilities);
        stage = "no-new-privileges";
        if (p.noNewPrivileges) checkSys(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
        stage = "parent-death-signal";
        checkSys(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
        stage = "close-fds";
#ifdef SYS_close_range
        if (::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) != 0)
#endif
            for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        stage = "exec";
        std::string exe = lookupExecutable(p.args[0], p.env);
        stage = "seccomp";
        if (a.filter && p.noNewPrivileges) loadSeccomp(*a.filter);
        execWithReport(p, exe, a.mask, a.syncFd);
    } catch (const CommandError& e) {
        sendMsg(a.syncFd, SyncMsg::error(stage, e.exitCode() == 127 ? ENOENT : EACCES, e.exitCode(), e.what()));
        ::_exit(e.exitCode());
    } catch (const SysError& e) {
        sendMsg(a.syncFd, SyncMsg::error(stage, e.err(), 125, e.what()));
    } catch (const std::exception& e) {
        sendMsg(a.syncFd, SyncMsg::error(stage, 0, 125, e.what()));
    }
    ::_exit(125);
}

}  // namespace

int execInContainer(const ExecOptions& o) noexcept {
    try {
        if (o.pid <= 0) return report(o, {"args", "exec: --pid is required", 0, 125});
        if (o.process.args.empty()) return report(o, {"args", "exec: no command given", 0, 125});
        std::optional<SeccompProgram> filter;
        try {
            if (o.seccomp) filter = compileSeccompCached(*o.seccomp, o.seccompCache);
        } catch (const Error& e) {
            return report(o, {"seccomp", e.what(), 0, 125});
        }
        if (::kill(o.pid, 0) != 0 && errno == ESRCH)
            return report(o, {"namespaces", "exec: container process " + std::to_string(o.pid) + " is not running", ESRCH, 125});
        joinCgroup(o.pid);
        try {
            joinNamespaces(o.pid);
        } catch (const SysError& e) {
            return report(o, {"namespaces", e.what(), e.err(), 125});
        }
        auto [parentSock, childSock] = makeSyncPair();
        sigset_t handled = handledSignals(), orig;
        ::sigprocmask(SIG_BLOCK, &handled, &orig);
        UniqueFd sigFd(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!sigFd) return report(o, {"signals", std::string("signalfd: ") + std::strerror(errno), errno, 125});
        ::signal(SIGPIPE, SIG_IGN);

        std::fflush(nullptr);
        pid_t pid = ::fork();
        if (pid < 0) return report(o, {"fork", std::string("fork into the container: ") + std::strerror(errno), errno, 125});
        if (pid == 0) {
            parentSock.reset();
            sigFd.reset();
            execChild(ChildArgs{&o, filter ? &*filter : nullptr, childSock.get(), orig});
        }
        childSock.reset();
        auto killChild = [&] {
            ::kill(pid, SIGKILL);
            int st;
            while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
        };
        UniqueFd master;
        for (;;) {
            SyncMsg m;
            int fd = -1;
            int rc = recvMsg(parentSock.get(), m, &fd);
            if (rc == 0) break;  // exec'd (or died: waitpid tells)
            if (rc < 0) {
                killChild();
                return report(o, {"sync", std::string("read from the exec child: ") + std::strerror(-rc), -rc, 125});
            }
            if (m.type == MsgType::TtyMaster && fd >= 0) {
                master.reset(fd);
            } else if (m.type == MsgType::Error) {
                if (fd >= 0) ::close(fd);
                killChild();
                return report(o, {m.stage, m.message, m.err, m.exitCode ? m.exitCode : 125});
            } else if (fd >= 0) {
                ::close(fd);
            }
        }
        parentSock.reset();
        ipc::send(o.statusFd, ipc::RuntimeStatus{true, pid, "", "", 0, 0});
        return superviseInit(pid, sigFd.get(), master.get(), o.process.terminal);
    } catch (const std::exception& e) {
        return report(o, {"exec", e.what(), 0, 125});
    }
}

ExecOptions parseExecArgs(int argc, char** argv) {
    ExecOptions o;
    std::optional<std::string> processFile, seccompFile, cwd, user;
    std::vector<std::string> env, caps, cmd;
    bool tty = false, nnp = false, haveCaps = false;
    int i = 0;
    auto value = [&](const std::string& a, const std::string& flag) -> std::optional<std::string> {
        if (a == flag) {
            if (i + 1 >= argc) throw InvalidArgument("__runtime exec: " + flag + " needs a value");
            return std::string(argv[++i]);
        }
        if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
        return std::nullopt;
    };
    auto number = [](const std::string& flag, const std::string& v) {
        try {
            size_t n = 0;
            long x = std::stol(v, &n);
            if (n != v.size() || x < 0) throw 0;
            return x;
        } catch (...) {
            throw InvalidArgument("__runtime exec: " + flag + ": not a number: " + v);
        }
    };
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            for (++i; i < argc; ++i) cmd.push_back(argv[i]);
            break;
        }
        if (a.empty() || a[0] != '-') {
            for (; i < argc; ++i) cmd.push_back(argv[i]);
            break;
        }
        if (auto v = value(a, "--pid")) o.pid = static_cast<pid_t>(number("--pid", *v));
        else if (auto v = value(a, "--status-fd")) o.statusFd = static_cast<int>(number("--status-fd", *v));
        else if (auto v = value(a, "--process")) processFile = *v;
        else if (auto v = value(a, "--seccomp-json")) seccompFile = *v;
        else if (auto v = value(a, "--seccomp-cache")) o.seccompCache = *v;
        else if (auto v = value(a, "--cwd")) cwd = *v;
        else if (auto v = value(a, "--env")) env.push_back(*v);
        else if (auto v = value(a, "--user")) user = *v;
        else if (auto v = value(a, "--cap")) caps.push_back(*v), haveCaps = true;
        else if (a == "--tty" || a == "-t") tty = true;
        else if (a == "--no-new-privs") nnp = true;
        else throw InvalidArgument("__runtime exec: unknown flag " + a);
    }
    if (o.pid <= 0) throw InvalidArgument("__runtime exec: --pid is required");
    if (processFile) {
        json p;
        try {
            p = jsonbytes::parse(fsutil::readFile(*processFile));
        } catch (const json::exception& e) {
            throw ConfigError(*processFile, 0, std::string("invalid JSON: ") + e.what());
        }
        if (!p.is_object()) throw ConfigError(*processFile, 0, "must be a runtime-spec process object");
        if (!p.contains("args") || p["args"].empty()) p["args"] = {"-"};  // replaced by CMD below
        if (!p.contains("cwd")) p["cwd"] = "/";
        json wrapper = {{"ociVersion", "1.0.2"}, {"root", {{"path", "/"}}}, {"process", p}};
        o.process = parseSpec(jsonbytes::dump(wrapper), "/", *processFile).process;
        if (p["args"] == json({"-"})) o.process.args.clear();
    }
    if (!cmd.empty()) o.process.args = cmd;
    if (o.process.args.empty()) throw InvalidArgument("__runtime exec: no command given");
    if (cwd) {
        if (cwd->empty() || (*cwd)[0] != '/') throw InvalidArgument("__runtime exec: --cwd must be absolute: " + *cwd);
        o.process.cwd = *cwd;
    }
    for (auto& e : env) o.process.env.push_back(e);
    if (user) {
        auto [u, g] = str::cut(*user, ':');
        o.process.uid = static_cast<uint32_t>(number("--user", u));
        o.process.gid = g.empty() ? 0 : static_cast<uint32_t>(number("--user", g));
        o.process.additionalGids.clear();
    }
    if (haveCaps) {
        for (const auto& c : caps)
            if (!capFromName(c)) throw InvalidArgument("__runtime exec: unknown capability " + c);
        o.process.capabilities = Capabilities{caps, caps, caps, {}, {}};
    }
    if (tty) o.process.terminal = true;
    if (nnp) o.process.noNewPrivileges = true;
    if (seccompFile) {
        std::string text;
        if (*seccompFile == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
        else text = fsutil::readFile(*seccompFile);
        json j;
        try {
            j = json::parse(text);
        } catch (const json::exception& e) {
            throw ConfigError(*seccompFile, 0, std::string("invalid JSON: ") + e.what());
        }
        o.seccomp = parseSeccomp(j, *seccompFile);
    }
    return o;
}

}  // namespace hutch::runtime
