#include "hutch/engine/launch/launch.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/version.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/conf/seccomp.hpp"
#include "hutch/engine/spec/capabilities.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/container_events.hpp"
#include "hutch/engine/spec/etcfiles.hpp"
#include "hutch/engine/spec/host_devices.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/launch/procflags_host.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/engine/volume/volume_mounts.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

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

}  // namespace

ImageDefaults imageDefaults(Context& ctx, const std::string& imageId) {
    ImageInfo image = imageInfo(ctx, imageId);
    registry::ImageConfig c = registry::parseImageConfig(image.config.dump());
    return ImageDefaults{c.env, c.entrypoint, c.cmd, c.user, c.workingDir, c.stopSignal};
}

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

namespace {

/// The host's /etc/resolv.conf, "" when unreadable (containerResolvConf then has no host
/// servers to copy).
std::string hostResolvConf() {
    try {
        return fsutil::readFile("/etc/resolv.conf");
    } catch (const Error&) {
        return "";
    }
}

}  // namespace

std::string writeBundle(Context& ctx, const ContainerRecord& rec, const std::string& notifySocketDir) {
    auto& store = ctx.store();
    std::string rootfs = store.containerRootfs(rec.id);
    std::string runDir = store.containerRunDir(rec.id);
    // The bundle lives in the run root (tmpfs as a rule): it is rewritten at every start, and
    // creating and deleting it on the graph root's disk was a block allocation, a truncate and
    // (with `discard`) a synchronous TRIM per `run --rm`.
    std::string bundle = runDir;
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
        auto caps = containerCapabilities(defaults, rec.config);
        try {
            in.seccomp = conf::seccompToOci(profile, caps, conf::nativeArch());
        } catch (const std::exception& e) {
            throw InvalidArgument("seccomp profile " +
                                  (rec.config.seccompProfile.empty() ? std::string("(default)") : rec.config.seccompProfile) +
                                  ": " + e.what());
        }
    }
    if (rec.config.privileged) in.hostDevices = hostDevices("/dev", ctx.rootless());
    in.procHost = resolveProcessHost(ctx, rec, rootfs, containerCgroupPath(rec.id));
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY) in.nofileLimit = rl.rlim_max;
    std::string hostname = effectiveHostname(rec.config, rec.id);
    in.files = {runDir + "/hostname", runDir + "/hosts", runDir + "/resolv.conf", runDir + "/containerenv", ""};
    auto put = [](const std::string& path, const std::string& data) {
        fsutil::writeFileAtomic(path, data, 0644, fsutil::Sync::Volatile);
    };
    if (rec.config.noHostname)
        in.files.hostname.clear();
    else
        put(in.files.hostname, hostnameFile(hostname));
    if (!rec.config.timezone.empty()) {
        // A copy: the host's zone file may be a symlink the container cannot follow.
        in.files.localtime = runDir + "/localtime";
        put(in.files.localtime, fsutil::readFile(zoneFile(rec.config.timezone)));
    }
    in.netnsPath = rec.netState.nsPath;
    if (std::string hosts = containerHostsFile(rec, hostname); !hosts.empty())
        put(in.files.hosts, hosts);
    else
        in.files.hosts.clear();  // --no-hosts
    put(in.files.resolvConf, containerResolvConf(rec, hostResolvConf()));
    put(in.files.containerEnv,
        containerEnvFile(rec.config, kVersion, rec.name, rec.id, rec.imageName, rec.imageId, ctx.rootless()));
    if (auto root = containerRootIds(rec.config.uidMappings, rec.config.gidMappings)) {  // its root edits them, as its own
        for (const std::string* f : {&in.files.hostname, &in.files.hosts, &in.files.resolvConf})
            if (!f->empty() && ::chown(f->c_str(), root->first, root->second) != 0) throw SysError(errno, "chown " + *f);
    }
    fsutil::writeFileAtomic(bundle + "/config.json", jsonbytes::dump(buildSpec(in), 2), 0600, fsutil::Sync::Volatile);
    log::debug("run: bundle written");
    return bundle;
}

Launch::Launch(Context& ctx, ContainerRecord& rec, const std::string& notifySocketDir) : ctx_(ctx), rec_(rec) {
    // rm waits for this start to end; one that got in first removed the container.
    starting_.emplace(lockContainerStart(ctx, rec.id));
    if (!ctx.store().lookupContainer(rec.id))
        throw NotFound("container " + rec.id + " was removed before it could start");
    mounted_.emplace(ctx, rec.id, rec.autoRemove);
    // The network helper starts now and configures the namespace while the runtime sets the
    // container up; the container's process waits at the start gate until it is ready.
    net_ = setupNetwork(ctx, rec, /*wait=*/false);
    rec.netState = net_.state();
    bundle_ = writeBundle(ctx, rec, notifySocketDir);
}

Launch::~Launch() {
    if (rt_ > 0 && !waited_) {
        try {
            waitExit(rt_);
        } catch (const std::exception&) {
        }
    }
}

void Launch::spawn(const RuntimeStdio& stdio) {
    int fds[2];
    checkSys(::pipe2(fds, O_CLOEXEC), "pipe");
    statusRead_.reset(fds[0]);
    UniqueFd statusWrite(fds[1]);
    StartGate gate(net_.pending());
    rt_ = spawnRuntime(bundle_, rec_.id, statusWrite.get(), stdio, gate.runtimeFd());
    statusWrite.reset();
    gate.spawned();
    try {
        if (net_.deferred()) {
            pid_t pid = gate.containerPid();
            if (pid <= 0) return;  // the runtime failed before: awaitStarted() reports why
            net_.attach(pid);
        }
        net_.waitReady();
        const NetworkState& now = net_.state();
        if (now.address != rec_.netState.address || now.gateway != rec_.netState.gateway ||
            now.dnsForwarder != rec_.netState.dnsForwarder) {
            rec_.netState = now;
            rewriteNetworkFiles();
        }
    } catch (...) {
        gate.fail();  // the container's process ends at its gate (125)
        waited_ = true;
        waitExit(rt_);
        throw;
    }
    rec_.netState = net_.state();
    gate.open();
}

void Launch::rewriteNetworkFiles() {
    // The helper fell back (slirp4netns -> pasta) after the bundle was written: /etc/hosts
    // and /etc/resolv.conf get its addresses. Rewritten in place: the container's bind
    // mounts hold these inodes, and its process has not run yet (it waits at the gate).
    std::string runDir = ctx_.store().containerRunDir(rec_.id);
    std::string hostname = effectiveHostname(rec_.config, rec_.id);
    auto rewrite = [](const std::string& path, const std::string& data) {
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT) return;  // --no-hosts
            throw SysError(errno, "open " + path);
        }
        if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
            throw SysError(errno, "write " + path);
    };
    if (!rec_.config.net.noHosts) rewrite(runDir + "/hosts", containerHostsFile(rec_, hostname));
    rewrite(runDir + "/resolv.conf", containerResolvConf(rec_, hostResolvConf()));
}

const RuntimeStatus& Launch::awaitStarted() {
    status_ = ipc::receiveRuntimeStatus(statusRead_.get());
    log::debug("launch: runtime reported {}", status_.started ? "started" : "failure");
    if (!status_.started) return status_;
    rec_.status = ContainerStatus::Running;
    rec_.pid = status_.pid;
    rec_.pidStartTime = processStartTime(status_.pid);
    // This process is the container's monitor: if it is killed (kill -9 of a foreground
    // `run`, or of a monitor), the next command that changes state ends the container and
    // records 137 (recoverContainers).
    rec_.monitorPid = ::getpid();
    rec_.monitorStartTime = processStartTime(rec_.monitorPid);
    rec_.startedAt = nowRfc3339();
    rec_.exitCode = 0;
    rec_.error.clear();
    saveContainer(ctx_, rec_);
    recordContainerEvent(ctx_, rec_, "init");
    recordContainerEvent(ctx_, rec_, "start");
    starting_.reset();  // running: rm may kill it now
    return status_;
}

int Launch::wait() {
    waited_ = true;
    int code = waitExit(rt_);
    log::debug("launch: runtime exited ({})", code);
    return code;
}

int Launch::finish(int runtimeCode) {
    if (status_.started) recordContainerEvent(ctx_, rec_, "died", {}, runtimeCode);
    net_.teardown();
    recordContainerEvent(ctx_, rec_, "cleanup");
    rec_.netState = {};
    rec_.status = ContainerStatus::Exited;
    rec_.pid = 0;
    rec_.monitorPid = 0;
    rec_.finishedAt = nowRfc3339();
    if (status_.started) {
        rec_.exitCode = runtimeCode;
    } else {
        rec_.exitCode = status_.exitCode;
        rec_.error = status_.error.empty()
                         ? "the runtime exited (" + std::to_string(runtimeCode) + ") before starting the container"
                         : status_.error;
    }
    try {
        ContainerRecord now = loadContainer(ctx_, rec_.id);
        now.status = rec_.status;
        now.pid = 0;
        now.monitorPid = 0;
        now.netState = {};
        now.finishedAt = rec_.finishedAt;
        now.exitCode = rec_.exitCode;
        if (!status_.started) now.error = rec_.error;
        if (now.autoRemove) {
            ctx_.store().removeContainer(now.id);
            removeContainerStartLock(ctx_, now.id);
            log::debug("launch: container {} removed", now.id);
            recordContainerEvent(ctx_, now, "remove");
            removeAnonymousVolumes(ctx_, now.anonymousVolumes);
        } else {
            saveContainer(ctx_, now);
        }
    } catch (const NotFound&) {
        // Removed meanwhile (rm -f): nothing to record.
    } catch (const std::exception& e) {
        log::error("recording the exit of container {}: {}", rec_.id, e.what());
    }
    return rec_.exitCode;
}

}  // namespace hutch::engine
