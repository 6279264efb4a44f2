#include "hutch/engine/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container_record.hpp"
#include "hutch/engine/containers.hpp"
#include "hutch/engine/etcfiles.hpp"
#include "hutch/engine/images.hpp"
#include "hutch/engine/names.hpp"
#include "hutch/engine/progress.hpp"
#include "hutch/engine/pull.hpp"
#include "hutch/engine/user.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

int runtimeEntry(int argc, char** argv) { return runtime::runtimeMain(argc, argv); }

namespace {

volatile sig_atomic_t g_runtimePid = 0;

// A signal the terminal generated (Ctrl-C: si_code SI_KERNEL) already reached the whole
// foreground process group, the container included; only signals sent to hutch itself
// (kill, systemd, a parent) are passed on, so the container never gets one twice.
void forwardSignal(int sig, siginfo_t* info, void*) {
    if (info && info->si_code == SI_KERNEL) return;
    if (g_runtimePid > 0) ::kill(g_runtimePid, sig);
}

/// Forwards the usual termination signals to the runtime process while it runs.
class SignalForwarder {
public:
    explicit SignalForwarder(pid_t pid) {
        g_runtimePid = pid;
        struct sigaction sa {};
        sa.sa_sigaction = forwardSignal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART | SA_SIGINFO;
        for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
    }
    ~SignalForwarder() {
        for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
        g_runtimePid = 0;
    }

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    struct sigaction old_[std::size(kSignals)];
};

std::string imageIdFor(Context& ctx, const RunRequest& req) {
    std::optional<std::string> id;
    if (req.pull != "always") id = findLocalImage(ctx, req.image);
    if (id) return *id;
    if (req.pull == "never")
        throw NotFound(req.image + ": image not known");
    auto progress = Progress::forStderr(req.quietPull);
    PullOptions po;
    po.platform = req.platform;
    return pullImage(ctx, req.image, po, *progress).imageId;
}

/// One line of the runtime's status pipe, parsed.
struct RuntimeStatus {
    bool started = false;
    pid_t pid = 0;
    std::string error;
    int exitCode = 125;
};

RuntimeStatus readStatusLine(int fd) {
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == '\n') break;
        line.push_back(c);
    }
    RuntimeStatus st;
    if (line.empty()) return st;
    try {
        json j = json::parse(line);
        if (j.contains("pid")) {
            st.started = true;
            st.pid = j["pid"].get<pid_t>();
        } else {
            st.error = j.value("error", "unknown runtime error");
            st.exitCode = j.value("exitCode", 125);
        }
    } catch (const json::exception&) {
        st.error = "the runtime sent an invalid status line: " + line;
    }
    return st;
}

pid_t spawnRuntime(const std::string& bundle, const std::string& id, int statusFd, bool interactive) {
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork");
    if (pid == 0) {
        if (::dup2(statusFd, 3) < 0) _exit(125);
        if (!interactive) {
            int nul = ::open("/dev/null", O_RDONLY);
            if (nul >= 0) ::dup2(nul, 0);
        }
        std::string fd = "3";
        const char* argv[] = {"hutch", "__runtime", "run", "--status-fd", fd.c_str(), "--bundle", bundle.c_str(),
                              id.c_str(), nullptr};
        ::execv("/proc/self/exe", const_cast<char* const*>(argv));
        _exit(125);
    }
    return pid;
}

int waitExit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw SysError(errno, "waitpid runtime");
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

}  // namespace

int runContainer(Context& ctx, const RunRequest& req) {
    auto& store = ctx.store();
    if (!req.name.empty()) {
        validateName(req.name);
        if (auto existing = store.lookupContainer(req.name); existing && existing->names.size() &&
                                                              existing->names[0] == req.name)
            throw AlreadyExists("creating container storage: the container name \"" + req.name +
                                "\" is already in use by " + existing->id +
                                ". You have to remove that container to be able to reuse that name: that name is "
                                "already in use");
    }
    const std::string imageId = imageIdFor(ctx, req);
    log::debug("run: image {} found", imageId);
    ImageInfo image = imageInfo(ctx, imageId);
    registry::ImageConfig icfg = registry::parseImageConfig(image.config.dump());

    ContainerRecord rec;
    rec.id = str::randomHex(32);
    rec.name = !req.name.empty() ? req.name
                                 : generateName([&](const std::string& n) { return store.lookupContainer(n).has_value(); });
    rec.imageName = image.names.empty() ? imageId : image.names[0];
    rec.imageId = imageId;
    rec.config = req.config;
    rec.autoRemove = req.autoRemove;
    rec.created = nowRfc3339();

    ImageDefaults defaults{icfg.env, icfg.entrypoint, icfg.cmd, icfg.user, icfg.workingDir, icfg.stopSignal};
    rec.args = effectiveCommand(defaults, req.config);  // fails before anything is created

    store.createContainer(rec.id, {rec.name}, imageId, rec.toJson().dump());
    log::debug("run: container {} created", rec.id);
    bool removed = false;
    auto cleanup = [&] {
        if (req.autoRemove && !removed) {
            removed = true;
            try {
                store.removeContainer(rec.id);
                log::debug("run: container {} removed", rec.id);
            } catch (const std::exception& e) {
                log::error("removing container {}: {}", rec.id, e.what());
            }
        }
    };
    try {
        std::string rootfs = store.containerRootfs(rec.id);
        std::string runDir = store.containerRunDir(rec.id);
        std::string bundle = store.containerDir(rec.id);
        fsutil::mkdirAll(runDir, 0700);

        SpecInputs in;
        in.containerId = rec.id;
        in.rootfs = rootfs;
        in.image = defaults;
        in.config = req.config;
        try {
            in.user = resolveUser(rootfs, !req.config.user.empty() ? req.config.user : icfg.user);
        } catch (const InvalidArgument& e) {
            // podman resolves the user when the OCI runtime starts the container: 126.
            throw CommandError(126, e.what());
        }
        in.rootless = ctx.rootless();
        rlimit rl{};
        if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY) in.nofileLimit = rl.rlim_max;
        std::string hostname = effectiveHostname(req.config, rec.id);
        in.files = {runDir + "/hostname", runDir + "/hosts", runDir + "/resolv.conf"};
        fsutil::writeFileAtomic(in.files.hostname, hostnameFile(hostname), 0644, fsutil::Sync::Volatile);
        fsutil::writeFileAtomic(in.files.hosts, hostsFile(hostname), 0644, fsutil::Sync::Volatile);
        std::string hostResolv;
        try {
            hostResolv = fsutil::readFile("/etc/resolv.conf");
        } catch (const Error&) {
        }
        fsutil::writeFileAtomic(in.files.resolvConf, resolvConfFile(hostResolv, req.config.network == "host"), 0644,
                                fsutil::Sync::Volatile);
        fsutil::writeFileAtomic(bundle + "/config.json", buildSpec(in).dump(2), 0600, fsutil::Sync::Volatile);

        log::debug("run: bundle written");
        int fds[2];
        checkSys(::pipe2(fds, O_CLOEXEC), "pipe");
        UniqueFd statusRead(fds[0]), statusWrite(fds[1]);
        // The child dup2s the write end to fd 3, which clears O_CLOEXEC on the copy.
        pid_t rt = spawnRuntime(bundle, rec.id, statusWrite.get(), req.config.interactive);
        statusWrite.reset();
        SignalForwarder fwd(rt);

        RuntimeStatus st = readStatusLine(statusRead.get());
        if (st.started) {
            rec.status = ContainerStatus::Running;
            rec.pid = st.pid;
            rec.pidStartTime = processStartTime(st.pid);
            rec.startedAt = nowRfc3339();
            saveContainer(ctx, rec);
        }
        log::debug("run: runtime reported {}", st.started ? "started" : "failure");
        int code = waitExit(rt);
        log::debug("run: runtime exited ({})", code);
        if (!st.started && st.error.empty()) {
            RuntimeStatus late = readStatusLine(statusRead.get());
            if (!late.error.empty()) st = late;
        }
        rec.status = ContainerStatus::Exited;
        rec.pid = 0;
        rec.finishedAt = nowRfc3339();
        if (!st.started) {
            rec.error = st.error.empty() ? "the runtime exited (" + std::to_string(code) + ") before starting the container"
                                         : st.error;
            rec.exitCode = st.exitCode;
            if (!req.autoRemove) saveContainer(ctx, rec);
            cleanup();
            if (st.exitCode == 126 || st.exitCode == 127) throw CommandError(st.exitCode, rec.error);
            throw Error(rec.error);
        }
        rec.exitCode = code;
        if (!req.autoRemove) saveContainer(ctx, rec);
        cleanup();
        return code;
    } catch (...) {
        cleanup();
        throw;
    }
}

}  // namespace hutch::engine
