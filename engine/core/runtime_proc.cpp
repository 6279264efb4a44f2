#include "hutch/engine/core/runtime_proc.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

#include <nlohmann/json.hpp>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/jsonbytes.hpp"

namespace hutch::engine {

namespace {
volatile sig_atomic_t g_forwardPid = 0;

void forwardSignal(int sig, siginfo_t* info, void*) {
    if (info && info->si_code == SI_KERNEL) return;
    if (g_forwardPid > 0) ::kill(g_forwardPid, sig);
}
}  // namespace

namespace {
std::string g_seccompCache;
}

void setSeccompCacheDir(const std::string& dir) { g_seccompCache = dir; }
const std::string& seccompCacheDir() { return g_seccompCache; }

namespace {

/// The lean runtime beside the binary that runs now, or "" when there is none.
std::string findLeanRuntime() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return "";
    std::string dir(buf, static_cast<size_t>(n));
    dir.erase(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/'));
    for (const char* rel : {"/hutch-runtime", "/../libexec/hutch/hutch-runtime"})
        if (std::string p = dir + rel; ::access(p.c_str(), X_OK) == 0) return p;
    return "";
}

}  // namespace

std::vector<std::string> runtimeCommand(const std::string& verb) {
    static const std::string lean = findLeanRuntime();
    if (!lean.empty()) return {lean, "hutch-runtime", verb};
    return {"/proc/self/exe", "hutch", "__runtime", verb};
}

pid_t spawnRuntimeVerb(const std::string& verb, const std::vector<std::string>& args, int statusFd,
                       const RuntimeStdio& stdio, int startGateFd) {
    std::vector<std::string> cmd = runtimeCommand(verb);
    std::vector<const char*> argv;
    for (size_t i = 1; i < cmd.size(); ++i) argv.push_back(cmd[i].c_str());
    argv.insert(argv.end(), {"--status-fd", "3"});
    std::string preserve = std::to_string(stdio.preserveFds);
    if (stdio.preserveFds) argv.insert(argv.end(), {"--preserve-fds", preserve.c_str()});
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork");
    if (pid == 0) {
        // First, before 3 and 4 are taken: the caller's fds for the container, moved up.
        for (unsigned i = 0; i < stdio.preserveFds; ++i)
            if (::dup2(3 + static_cast<int>(i), kPreservedFdBase + static_cast<int>(i)) < 0) _exit(125);
        if (stdio.in >= 0) ::dup2(stdio.in, 0);
        if (stdio.out >= 0) ::dup2(stdio.out, 1);
        if (stdio.err >= 0) ::dup2(stdio.err, 2);
        int gate = startGateFd;
        if (gate == 3 && (gate = ::dup(gate)) < 0) _exit(125);  // fd 3 is the status fd's
        if (::dup2(statusFd, 3) < 0) _exit(125);
        if (gate >= 0 && (::dup2(gate, 4) < 0 || ::fcntl(4, F_SETFD, 0) < 0)) _exit(125);
        ::execv(cmd[0].c_str(), const_cast<char* const*>(argv.data()));
        _exit(125);
    }
    return pid;
}

pid_t spawnRuntime(const std::string& bundle, const std::string& id, int statusFd, const RuntimeStdio& stdio,
                   int startGateFd) {
    std::vector<std::string> args;
    if (startGateFd >= 0) args.insert(args.end(), {"--start-gate-fd", "4"});
    if (!g_seccompCache.empty()) args.insert(args.end(), {"--seccomp-cache", g_seccompCache});
    args.insert(args.end(), {"--bundle", bundle, id});
    return spawnRuntimeVerb("run", args, statusFd, stdio, startGateFd);
}

StartGate::StartGate(bool needed) {
    if (!needed) return;
    // A socket pair rather than a pipe: send(MSG_NOSIGNAL) to a runtime that already failed
    // and closed its end gives EPIPE instead of killing us with SIGPIPE.
    int fds[2];
    checkSys(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
    read_.reset(fds[0]);
    write_.reset(fds[1]);
}

pid_t StartGate::containerPid() { return write_ ? ipc::receivePid(write_.get()) : -1; }

void StartGate::open() {
    if (!write_) return;
    char go = ipc::kGateOpen;
    ssize_t n;
    while ((n = ::send(write_.get(), &go, 1, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }  // EPIPE: the runtime failed before its gate; it reports that itself
    write_.reset();
}

int waitExit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw SysError(errno, "waitpid runtime");
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

SignalForwarder::SignalForwarder(pid_t pid) {
    g_forwardPid = pid;
    struct sigaction sa {};
    sa.sa_sigaction = forwardSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
}

SignalForwarder::~SignalForwarder() {
    for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
    g_forwardPid = 0;
}

}  // namespace hutch::engine
