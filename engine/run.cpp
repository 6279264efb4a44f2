#include "hutch/engine/run.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/conf/seccomp.hpp"
#include "hutch/engine/capabilities.hpp"
#include "hutch/engine/containers.hpp"
#include "hutch/engine/etcfiles.hpp"
#include "hutch/engine/host_devices.hpp"
#include "hutch/engine/images.hpp"
#include "hutch/engine/monitor.hpp"
#include "hutch/engine/names.hpp"
#include "hutch/engine/network.hpp"
#include "hutch/engine/progress.hpp"
#include "hutch/engine/pull.hpp"
#include "hutch/engine/runtime_proc.hpp"
#include "hutch/engine/signals.hpp"
#include "hutch/engine/user.hpp"
#include "hutch/engine/volume_mounts.hpp"
#include "hutch/engine/volumes.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

int runtimeEntry(int argc, char** argv) { return runtime::runtimeMain(argc, argv); }

namespace {

std::string imageIdFor(Context& ctx, const RunRequest& req) {
    std::optional<std::string> id;
    if (req.pull != "always") id = findLocalImage(ctx, req.image);
    if (id) return *id;
    if (req.pull == "never") throw NotFound(req.image + ": image not known");
    auto progress = Progress::forStderr(req.quietPull);
    PullOptions po;
    po.platform = req.platform;
    return pullImage(ctx, req.image, po, *progress).imageId;
}

/// The container's own cgroup: a child of ours (the caller's delegated cgroup2 subtree, from
/// the "0::" line of /proc/self/cgroup).
std::string containerCgroupPath(const std::string& id) {
    std::string ours = "/";
    try {
        for (const auto& line : str::split(fsutil::readFile("/proc/self/cgroup"), '\n'))
            if (line.rfind("0::", 0) == 0) ours = line.substr(3);
    } catch (const Error&) {
    }
    if (ours.empty() || ours.back() != '/') ours += '/';
    return ours + "hutch-" + id.substr(0, 12);
}

/// Writes the container's /etc/machine-id into its own rootfs (not a bind mount: systemd
/// would then try, and fail, to "commit" a transient id). Left alone when /etc or the file
/// is a symlink (never write through a link out of the rootfs).
void writeMachineId(const std::string& rootfs, const std::string& id) {
    struct stat st {};
    if (::lstat((rootfs + "/etc").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    std::string path = rootfs + "/etc/machine-id";
    if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return;
    fsutil::writeFileAtomic(path, id + "\n", 0444, fsutil::Sync::Volatile);
}

ImageDefaults imageDefaults(Context& ctx, const std::string& imageId) {
    ImageInfo image = imageInfo(ctx, imageId);
    registry::ImageConfig c = registry::parseImageConfig(image.config.dump());
    return ImageDefaults{c.env, c.entrypoint, c.cmd, c.user, c.workingDir, c.stopSignal};
}

/// Removes the container when --rm asked for it; errors are logged, never thrown.
void autoRemove(Context& ctx, const ContainerRecord& rec) {
    if (!rec.autoRemove || !ctx.store().lookupContainer(rec.id)) return;
    try {
        ctx.store().removeContainer(rec.id);
        log::debug("run: container {} removed", rec.id);
        removeAnonymousVolumes(ctx, rec.anonymousVolumes);
    } catch (const std::exception& e) {
        log::error("removing container {}: {}", rec.id, e.what());
    }
}

int runForeground(Context& ctx, ContainerRecord& rec) {
    RootfsMount mounted(ctx, rec.id, rec.autoRemove);
    // The network helper starts now and configures the namespace while the runtime sets the
    // container up; the container's process waits at the start gate until it is ready.
    NetworkHandle net = setupNetwork(ctx, rec, /*wait=*/false);
    rec.netState = net.state();
    std::string bundle = writeBundle(ctx, rec);
    int fds[2];
    checkSys(::pipe2(fds, O_CLOEXEC), "pipe");
    UniqueFd statusRead(fds[0]), statusWrite(fds[1]);
    RuntimeStdio stdio;
    UniqueFd devnull;
    if (!rec.config.interactive) {
        devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        stdio.in = devnull.get();
    }
    StartGate gate(net.pending());
    pid_t rt = spawnRuntime(bundle, rec.id, statusWrite.get(), stdio, gate.runtimeFd());
    statusWrite.reset();
    gate.spawned();
    SignalForwarder fwd(rt);
    try {
        net.waitReady();
    } catch (...) {
        gate.fail();
        waitExit(rt);
        throw;
    }
    rec.netState = net.state();
    gate.open();

    RuntimeStatus st = readStatusLine(statusRead.get());
    if (st.started) {
        rec.status = ContainerStatus::Running;
        rec.pid = st.pid;
        rec.pidStartTime = processStartTime(st.pid);
        // This process is the container's monitor: if it is killed (kill -9 of `run`), the
        // next command ends the container and records 137, as for a detached one.
        rec.monitorPid = ::getpid();
        rec.monitorStartTime = processStartTime(rec.monitorPid);
        rec.startedAt = nowRfc3339();
        saveContainer(ctx, rec);
    }
    log::debug("run: runtime reported {}", st.started ? "started" : "failure");
    int code = waitExit(rt);
    log::debug("run: runtime exited ({})", code);
    net.teardown();
    rec.netState = {};
    rec.status = ContainerStatus::Exited;
    rec.pid = 0;
    rec.monitorPid = 0;
    rec.finishedAt = nowRfc3339();
    if (!st.started) {
        rec.error = st.error.empty() ? "the runtime exited (" + std::to_string(code) + ") before starting the container"
                                     : st.error;
        rec.exitCode = st.exitCode;
        if (!rec.autoRemove) saveContainer(ctx, rec);
        autoRemove(ctx, rec);
        if (st.exitCode == 126 || st.exitCode == 127) throw CommandError(st.exitCode, rec.error);
        throw Error(rec.error);
    }
    rec.exitCode = code;
    if (!rec.autoRemove) saveContainer(ctx, rec);
    autoRemove(ctx, rec);
    return code;
}

}  // namespace

RootfsMount::RootfsMount(Context& ctx, std::string id, bool disposable) : ctx_(ctx), id_(std::move(id)) {
    ctx_.store().mountContainer(id_, disposable);
}

RootfsMount::~RootfsMount() {
    try {
        if (ctx_.store().lookupContainer(id_)) ctx_.store().unmountContainer(id_);
    } catch (const std::exception& e) {
        log::error("unmounting the rootfs of container {}: {}", id_, e.what());
    }
}

ContainerRecord createContainer(Context& ctx, const RunRequest& req) {
    auto& store = ctx.store();
    if (!req.name.empty()) {
        validateName(req.name);
        if (auto existing = store.lookupContainer(req.name);
            existing && std::find(existing->names.begin(), existing->names.end(), req.name) != existing->names.end())
            throw AlreadyExists("creating container storage: the container name \"" + req.name +
                                "\" is already in use by " + existing->id +
                                ". You have to remove that container to be able to reuse that name: that name is "
                                "already in use");
    }
    // Bad flag values fail before anything is made.
    if (!req.stopSignal.empty()) parseSignal(req.stopSignal);
    capabilitySet(req.config.capAdd, req.config.capDrop, req.config.privileged);
    if (req.stopTimeout < 0)
        throw InvalidArgument("invalid argument \"" + std::to_string(req.stopTimeout) +
                              "\" for \"--stop-timeout\" flag: must be a number of seconds, 0 or more");
    validateHostname(req.config.hostname);
    validateNetworkOptions(req.config.net);
    const std::string imageId = imageIdFor(ctx, req);
    log::debug("run: image {} found", imageId);
    ImageDefaults defaults = imageDefaults(ctx, imageId);
    ImageInfo image = imageInfo(ctx, imageId);

    ContainerRecord rec;
    rec.id = str::randomHex(32);
    rec.name = !req.name.empty() ? req.name
                                 : generateName([&](const std::string& n) { return store.lookupContainer(n).has_value(); });
    rec.imageName = image.names.empty() ? imageId : image.names[0];
    rec.imageId = imageId;
    rec.config = req.config;
    prepareNetworkConfig(ctx, rec.config, imageId);  // fails before anything is created
    rec.autoRemove = req.autoRemove;
    rec.detached = req.detach;
    rec.stopSignal = !req.stopSignal.empty() ? req.stopSignal : defaults.stopSignal;
    // systemd shuts down cleanly on SIGRTMIN+3 (podman's default in systemd mode).
    if (rec.stopSignal.empty() && systemdMode(defaults, req.config)) rec.stopSignal = "SIGRTMIN+3";
    rec.stopTimeout = req.stopTimeout;
    // Decided once, from the image and flags: the monitor of every start reads it.
    if (rec.config.sdNotify.empty())
        rec.config.sdNotify = sdNotifyMode(defaults, req.config) == SdNotify::Container ? "container" : "conmon";
    rec.created = nowRfc3339();
    rec.args = effectiveCommand(defaults, req.config);  // fails before anything is created
    auto volumesLock = prepareMounts(ctx, rec, imageVolumes(ctx, imageId));  // held until the record is stored
    try {
        store.createContainer(rec.id, {rec.name}, imageId, jsonbytes::dump(rec.toJson()));
    } catch (...) {
        for (const auto& v : rec.anonymousVolumes) deleteVolumeLocked(ctx, v);
        throw;
    }
    log::debug("run: container {} created", rec.id);
    return rec;
}

std::string writeBundle(Context& ctx, const ContainerRecord& rec, const std::string& notifySocketDir) {
    auto& store = ctx.store();
    std::string rootfs = store.containerRootfs(rec.id);
    std::string runDir = store.containerRunDir(rec.id);
    std::string bundle = store.containerDir(rec.id);
    fsutil::mkdirAll(runDir, 0700);
    ImageDefaults defaults = imageDefaults(ctx, rec.imageId);

    SpecInputs in;
    in.containerId = rec.id;
    in.rootfs = rootfs;
    in.image = defaults;
    in.config = rec.config;
    try {
        in.user = resolveUser(rootfs, !rec.config.user.empty() ? rec.config.user : defaults.user);
    } catch (const InvalidArgument& e) {
        // podman resolves the user when the OCI runtime starts the container: 126.
        throw CommandError(126, e.what());
    }
    in.rootless = ctx.rootless();
    in.notifySocketDir = notifySocketDir;
    in.userMounts = resolveMounts(ctx, rec, rootfs, in.user);
    if (systemdMode(defaults, rec.config)) {
        in.cgroupsPath = containerCgroupPath(rec.id);
        writeMachineId(rootfs, rec.id.substr(0, 32));
    }
    if (!rec.config.privileged && rec.config.seccompProfile != "unconfined") {
        std::string profile;
        if (rec.config.seccompProfile.empty())
            profile = conf::defaultSeccompProfile();
        else {
            try {
                profile = fsutil::readFile(rec.config.seccompProfile);
            } catch (const NotFound&) {
                throw InvalidArgument("--security-opt seccomp=" + rec.config.seccompProfile + ": no such file");
            }
        }
        auto caps = capabilitySet(rec.config.capAdd, rec.config.capDrop, false);
        try {
            in.seccomp = conf::seccompToOci(profile, caps, conf::nativeArch());
        } catch (const std::exception& e) {
            throw InvalidArgument("seccomp profile " +
                                  (rec.config.seccompProfile.empty() ? std::string("(default)") : rec.config.seccompProfile) +
                                  ": " + e.what());
        }
    }
    if (rec.config.privileged) in.hostDevices = hostDevices("/dev", ctx.rootless());
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY) in.nofileLimit = rl.rlim_max;
    std::string hostname = effectiveHostname(rec.config, rec.id);
    in.files = {runDir + "/hostname", runDir + "/hosts", runDir + "/resolv.conf"};
    auto put = [](const std::string& path, const std::string& data) {
        fsutil::writeFileAtomic(path, data, 0644, fsutil::Sync::Volatile);
    };
    put(in.files.hostname, hostnameFile(hostname));
    in.netnsPath = rec.netState.nsPath;
    if (std::string hosts = containerHostsFile(rec, hostname); !hosts.empty())
        put(in.files.hosts, hosts);
    else
        in.files.hosts.clear();  // --no-hosts
    std::string hostResolv;
    try {
        hostResolv = fsutil::readFile("/etc/resolv.conf");
    } catch (const Error&) {
    }
    put(in.files.resolvConf, containerResolvConf(rec, hostResolv));
    fsutil::writeFileAtomic(bundle + "/config.json", jsonbytes::dump(buildSpec(in), 2), 0600, fsutil::Sync::Volatile);
    log::debug("run: bundle written");
    return bundle;
}

RunResult runContainer(Context& ctx, const RunRequest& req) {
    ContainerRecord rec = createContainer(ctx, req);
    try {
        if (req.detach) {
            startDetached(ctx, rec);
            return {rec.id, 0};
        }
        return {rec.id, runForeground(ctx, rec)};
    } catch (...) {
        autoRemove(ctx, rec);
        throw;
    }
}

}  // namespace hutch::engine
