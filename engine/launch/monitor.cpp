#include "hutch/engine/launch/monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>
#include <fmt/format.h>
#include <optional>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/ipc.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/attach.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/network/network.hpp"
#include "hutch/engine/launch/healthcheck.hpp"
#include "hutch/engine/launch/launch.hpp"
#include "hutch/engine/core/runtime_proc.hpp"
#include "hutch/engine/launch/sdnotify.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {


std::string logPath(Context& ctx, const ContainerRecord& rec) {
    if (auto p = rec.config.logOptions.find("path"); p != rec.config.logOptions.end()) return p->second;
    return ctx.store().containerDir(rec.id) + "/ctr.log";
}

uint64_t logMaxSize(const ContainerConfig& c) {
    auto it = c.logOptions.find("max-size");
    if (it == c.logOptions.end() || it->second == "-1") return 0;
    const std::string& v = it->second;
    size_t digits = v.find_first_not_of("0123456789");
    std::string unit = digits == std::string::npos ? "" : v.substr(digits);
    for (char& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    uint64_t mult = unit.empty() || unit == "b" ? 1 : unit == "k" || unit == "kb" ? 1000 : unit == "m" || unit == "mb" ? 1000000
                  : unit == "g" || unit == "gb" ? 1000000000 : 0;
    if (digits == 0 || mult == 0 || digits > 12)
        throw InvalidArgument("--log-opt max-size=" + v + ": not a size (e.g. 10m, 512k, 1g)");
    return std::stoull(v.substr(0, digits)) * mult;
}

void validateLogConfig(const ContainerConfig& c) {
    if (c.logDriver == "journald" || c.logDriver == "passthrough" || c.logDriver == "passthrough-tty")
        throw InvalidArgument("--log-driver " + c.logDriver + ": hutch keeps a container's output in a file; use k8s-file (the default) or none");
    if (c.logDriver != "k8s-file" && c.logDriver != "none")
        throw InvalidArgument("--log-driver " + c.logDriver + ": invalid log driver (k8s-file, none)");
    for (const auto& [k, v] : c.logOptions) {
        if (k == "path") {
            if (v.empty() || v[0] != '/') throw InvalidArgument("--log-opt path=" + v + ": must be an absolute path");
        } else if (k != "max-size" && k != "tag") {
            throw InvalidArgument("--log-opt " + k + ": unknown log option (path, max-size, tag)");
        }
    }
    logMaxSize(c);
}

namespace {

void writeLine(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        off += static_cast<size_t>(n);
    }
}

/// Splits what a stream produced into k8s-file log lines; keeps a partial last line until
/// more arrives or the stream ends (then it is written with the P tag).
class LogWriter {
public:
    /// `maxSize`: --log-opt max-size (0 = unlimited): the file is emptied before a line that
    /// would take it past that (as conmon's k8s-file does).
    LogWriter(int fd, uint64_t maxSize) : fd_(fd), max_(maxSize) {
        struct stat st {};
        if (::fstat(fd, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
    }
    void feed(const char* stream, std::string& pending, const char* data, size_t n) {
        pending.append(data, n);
        size_t start = 0;
        for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
            put(nowRfc3339() + " " + stream + " F " + pending.substr(start, nl - start) + "\n");
        pending.erase(0, start);
        if (pending.size() > 16384) flush(stream, pending);
    }
    void flush(const char* stream, std::string& pending) {
        if (pending.empty()) return;
        put(nowRfc3339() + " " + stream + " P " + pending + "\n");
        pending.clear();
    }

private:
    void put(const std::string& line) {
        if (max_ > 0 && size_ + line.size() > max_ && ::ftruncate(fd_, 0) == 0) size_ = 0;
        writeLine(fd_, line);
        size_ += line.size();
    }
    int fd_;
    uint64_t max_ = 0, size_ = 0;
};

/// Answers the caller on `fd` (ipc::MonitorReply; closes it and sets it to -1).
void report(int& fd, const ipc::MonitorReply& m) {
    if (fd < 0) return;
    ipc::send(fd, m);
    fd = -1;
}

/// Runs `hutch healthcheck run ID` (our own binary, with our global options) with no
/// standard streams; returns its pid, -1 when it could not be started.
pid_t spawnHealthcheck(Context& ctx, const std::string& id) {
    const auto& g = ctx.options();
    std::vector<std::string> args = {"hutch"};
    if (!g.root.empty()) args.insert(args.end(), {"--root", g.root});
    if (!g.runroot.empty()) args.insert(args.end(), {"--runroot", g.runroot});
    if (!g.storageDriver.empty()) args.insert(args.end(), {"--storage-driver", g.storageDriver});
    args.insert(args.end(), {"healthcheck", "run", id});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        int nul = ::open("/dev/null", O_RDWR);
        ::dup2(nul, 0);
        ::dup2(nul, 1);
        ::dup2(nul, 2);
        ::execv("/proc/self/exe", argv.data());
        _exit(125);
    }
    return pid;
}

/// One run of the container under this monitor, from its start to its recorded exit.
/// `started` says whether the container's process ran. Returns the monitor's exit code.
int monitorRun(Context& ctx, const std::string& id, int& syncFd, bool& started) {
    started = false;
    ContainerRecord rec = loadContainer(ctx, id);
    // --sdnotify: with "container" the container reports READY=1 on our socket and the
    // caller (run -d, start) is answered only then; our own caller's NOTIFY_SOCKET (hutch
    // run under a service manager) hears READY=1 when the caller does, except with "ignore".
    const bool waitReady = rec.config.sdNotify == "container";
    const bool tellCaller = rec.config.sdNotify != "ignore";
    std::optional<NotifySocket> notify;
    std::optional<Launch> launch;  // ours for the container's life: network and rootfs
    try {
        if (waitReady)
            notify.emplace(ctx.store().containerRunDir(id) + "/notify",
                           containerRootIds(rec.config.uidMappings, rec.config.gidMappings));
        launch.emplace(ctx, rec, notify ? notify->dir() : std::string());
    } catch (const CommandError& e) {
        report(syncFd, {false, e.exitCode(), e.what(), ""});
        return e.exitCode();
    } catch (const std::exception& e) {
        report(syncFd, {false, 125, e.what(), ""});
        return 125;
    }
    UniqueFd logFd(::open(rec.config.logDriver == "none" ? "/dev/null" : logPath(ctx, rec).c_str(),
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!logFd) {
        report(syncFd, {false, 125, "open log file: " + std::string(std::strerror(errno)), ""});
        return 125;
    }
    int out[2], err[2], in[2];
    checkSys(::pipe2(out, O_CLOEXEC), "pipe");
    checkSys(::pipe2(err, O_CLOEXEC), "pipe");
    UniqueFd outR(out[0]), outW(out[1]), errR(err[0]), errW(err[1]);
    // With -i the container's stdin is a pipe we hold open (attach writes into it).
    UniqueFd inR, inW;
    if (rec.config.interactive) {
        checkSys(::pipe2(in, O_CLOEXEC), "pipe");
        inR.reset(in[0]);
        inW.reset(in[1]);
    } else {
        inR.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    std::unique_ptr<AttachServer> attach;
    try {
        attach = std::make_unique<AttachServer>(ctx.store().containerRunDir(id));
    } catch (const Error& e) {
        log::warn("container {}: attach is not available: {}", id, e.what());
    }
    try {
        launch->spawn(RuntimeStdio{inR.get(), outW.get(), errW.get()});
    } catch (const std::exception& e) {
        report(syncFd, {false, 125, e.what(), ""});
        return 125;
    }
    pid_t rt = launch->runtimePid();
    inR.reset();
    outW.reset();
    errW.reset();

    // The answer to the caller, once: at start, or at READY=1 with --sdnotify=container.
    auto answer = [&](const ipc::MonitorReply& m) {
        if (syncFd < 0) return;
        report(syncFd, m);
        if (m.ok && tellCaller) notifyCaller("MAINPID=" + std::to_string(::getpid()) + "\nREADY=1");
    };
    using Clock = std::chrono::steady_clock;
    bool waitingReady = false;  // the caller waits for READY=1 until readyBy
    Clock::time_point readyBy{};
    const RuntimeStatus& st = launch->awaitStarted();
    started = st.started;
    // The health check runs every interval while the container runs (interval 0: only by
    // `healthcheck run`).
    std::optional<HealthConfig> health;
    if (st.started) {
        try {
            health = containerHealthcheck(ctx, rec);
            if (health) resetHealth(ctx, id);
        } catch (const std::exception& e) {
            log::warn("container {}: health check: {}", id, e.what());
        }
        if (health && health->intervalNs <= 0) health.reset();
    }
    auto interval = std::chrono::nanoseconds(health ? health->intervalNs : 0);
    Clock::time_point nextCheck = Clock::now() + interval;
    pid_t checkPid = -1;
    UniqueFd checkDone;  // pidfd of the running check
    if (st.started) {
        if (notify) {
            waitingReady = true;
            readyBy = Clock::now() + sdNotifyTimeout();
        } else {
            answer({true, 0, "", ""});
        }
    } else {
        std::string msg = st.error.empty() ? "the runtime exited before starting the container" : st.error;
        answer({false, st.exitCode, msg, ""});
    }

    // Copy the container's output into the log (and to attached clients) until both pipes
    // close; take attach clients and their input meanwhile.
    LogWriter logw(logFd.get(), logMaxSize(rec.config));
    std::string pendOut, pendErr;
    int streams[2] = {outR.get(), errR.get()};
    int open = 2;
    char buf[16384];
    // Readable once the runtime (so the container) exited: a container that closed its
    // output but still runs keeps us waiting for READY=1 (bounded), one that exited does not.
    UniqueFd rtExited;
    if (waitingReady) rtExited.reset(static_cast<int>(::syscall(SYS_pidfd_open, rt, 0)));
    auto readable = [](int fd) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    };
    while (open > 0 || waitingReady) {
        if (open == 0 && (!rtExited || readable(rtExited.get()))) break;  // exited before READY=1: answered below
        std::vector<pollfd> fds = {{streams[0], POLLIN, 0}, {streams[1], POLLIN, 0},
                                   {notify ? notify->fd() : -1, POLLIN, 0},
                                   {open == 0 ? rtExited.get() : -1, POLLIN, 0},
                                   {checkDone ? checkDone.get() : -1, POLLIN, 0}};
        const size_t firstAttach = fds.size();
        if (attach) {
            fds.push_back({attach->listenFd(), POLLIN, 0});
            for (int c : attach->clientFds()) fds.push_back({c, POLLIN, 0});
        }
        int timeout = -1;
        if (waitingReady) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(readyBy - Clock::now()).count();
            timeout = static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
        }
        if (health && checkPid < 0 && open > 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(nextCheck - Clock::now()).count();
            int t = static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
            timeout = timeout < 0 ? t : std::min(timeout, t);
        }
        int n = ::poll(fds.data(), fds.size(), timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (checkPid > 0 && (fds[4].revents & POLLIN)) {
            ::waitpid(checkPid, nullptr, 0);
            checkPid = -1;
            checkDone.reset();
            nextCheck = Clock::now() + interval;
        }
        if (health && checkPid < 0 && open > 0 && Clock::now() >= nextCheck) {
            checkPid = spawnHealthcheck(ctx, id);
            if (checkPid > 0) checkDone.reset(static_cast<int>(::syscall(SYS_pidfd_open, checkPid, 0)));
            if (checkPid <= 0 || !checkDone) {
                if (checkPid > 0) ::waitpid(checkPid, nullptr, 0);
                checkPid = -1;
                nextCheck = Clock::now() + interval;
            }
        }
        if (notify && (fds[2].revents & POLLIN) && notify->drainReady() && waitingReady) {
            waitingReady = false;
            answer({true, 0, "", ""});
        }
        if (waitingReady && Clock::now() >= readyBy) {
            waitingReady = false;
            answer({true, 0, "",
                    fmt::format("container {} is running but did not report READY=1 within {:g} s (--sdnotify=container)",
                                id, std::chrono::duration<double>(sdNotifyTimeout()).count())});
        }
        for (int i = 0; i < 2; ++i) {
            if (streams[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t r = ::read(streams[i], buf, sizeof buf);
            if (r > 0) {
                logw.feed(i == 0 ? "stdout" : "stderr", i == 0 ? pendOut : pendErr, buf, static_cast<size_t>(r));
                if (attach)
                    attach->broadcast(i == 0 ? AttachKind::Stdout : AttachKind::Stderr,
                                      std::string_view(buf, static_cast<size_t>(r)));
            } else if (r == 0 || errno != EINTR) {
                streams[i] = -1;
                --open;
            }
        }
        for (size_t i = firstAttach; attach && i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (fds[i].fd == attach->listenFd())
                attach->accept();
            else
                attach->onClientReadable(fds[i].fd, inW.get());
        }
    }
    logw.flush("stdout", pendOut);
    logw.flush("stderr", pendErr);
    if (checkPid > 0) {  // the container is gone: so is what the check was running in it
        ::kill(checkPid, SIGKILL);
        ::waitpid(checkPid, nullptr, 0);
    }
    int code = launch->wait();
    if (waitingReady) answer({true, 0, "", "container " + id + " exited before it reported READY=1 (--sdnotify=container)"});
    inW.reset();
    // Reap whatever else was re-parented to us (we are a subreaper).
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    code = launch->finish(code);
    // Attached clients learn the exit code last, once it is recorded.
    if (attach) attach->broadcast(AttachKind::Exit, std::to_string(code));
    return 0;
}

/// The monitor: runs the container, and again as its --restart policy says, until it ends
/// for good (stopped or killed through hutch, removed, policy done, or a start failed).
int monitor(Context& ctx, const std::string& id, int& syncFd) {
    for (;;) {
        bool started = false;
        int rc = monitorRun(ctx, id, syncFd, started);
        if (rc != 0 || !started) return rc;
        ContainerRecord now;
        try {
            now = loadContainer(ctx, id);
        } catch (const NotFound&) {
            return 0;  // removed (--rm, rm -f)
        }
        if (now.status != ContainerStatus::Exited || now.autoRemove ||
            !shouldRestart(now.config.restart, now.exitCode, now.restartCount, now.stoppedByUser))
            return 0;
        ++now.restartCount;
        // Not "exited" with the new count while the next run is being set up: a reader
        // would take that for the end (the policy's last run has not happened yet).
        now.status = ContainerStatus::Created;
        saveContainer(ctx, now);
        log::debug("monitor: restarting container {} ({} restarts)", id, now.restartCount);
    }
}

}  // namespace

void startDetached(Context& ctx, ContainerRecord& rec) {
    // The monitor has no stderr: a bad HUTCH_SDNOTIFY_TIMEOUT is said here.
    if (rec.config.sdNotify == "container") sdNotifyTimeout();
    int fds[2];
    checkSys(::pipe2(fds, O_CLOEXEC), "pipe");
    UniqueFd syncR(fds[0]), syncW(fds[1]);
    const auto& g = ctx.options();
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork monitor");
    if (pid == 0) {
        // The monitor must outlive this command: its own session, no terminal.
        ::setsid();
        if (::dup2(syncW.get(), 3) < 0) _exit(125);
        // No standard stream of ours: a caller reading our output to EOF must not wait for
        // the container. Failures are recorded in the container's state instead.
        int nul = ::open("/dev/null", O_RDWR);
        ::dup2(nul, 0);
        ::dup2(nul, 1);
        ::dup2(nul, 2);
        std::vector<std::string> args = {"hutch", "__monitor", "--sync-fd", "3"};
        if (!g.root.empty()) args.insert(args.end(), {"--root", g.root});
        if (!g.runroot.empty()) args.insert(args.end(), {"--runroot", g.runroot});
        if (!g.storageDriver.empty()) args.insert(args.end(), {"--storage-driver", g.storageDriver});
        args.push_back(rec.id);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv("/proc/self/exe", argv.data());
        _exit(125);
    }
    syncW.reset();
    ipc::MonitorReply reply = ipc::receiveMonitorReply(syncR.get());
    int st = 0;
    ::waitpid(pid, &st, WNOHANG);  // the monitor keeps running; it is not our child for long
    if (!reply.ok) {
        if (reply.error.empty()) throw Error("the container monitor exited before starting container " + rec.id);
        if (reply.exitCode == 126 || reply.exitCode == 127) throw CommandError(reply.exitCode, reply.error);
        throw Error(reply.error);
    }
    if (!reply.warning.empty()) log::warn("{}", reply.warning);
    try {
        rec = loadContainer(ctx, rec.id);
    } catch (const NotFound&) {
        // It ran, exited and was removed (--rm) already.
    }
}

int monitorEntry(int argc, char** argv) {
    GlobalOptions g;
    int syncFd = -1;
    std::string id;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--sync-fd") syncFd = std::atoi(next().c_str());
        else if (a == "--root") g.root = next();
        else if (a == "--runroot") g.runroot = next();
        else if (a == "--storage-driver") g.storageDriver = next();
        else id = a;
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    try {
        Context ctx(g);
        return monitor(ctx, id, syncFd);
    } catch (const std::exception& e) {
        report(syncFd, {false, 125, e.what(), ""});
        return 125;
    }
}

}  // namespace hutch::engine
