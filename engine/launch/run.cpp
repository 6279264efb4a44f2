#include "hutch/engine/launch/run.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/conf/seccomp.hpp"
#include "hutch/engine/spec/capabilities.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/container_events.hpp"
#include "hutch/engine/spec/etcfiles.hpp"
#include "hutch/engine/spec/host_devices.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/launch/launch.hpp"
#include "hutch/engine/launch/monitor.hpp"
#include "hutch/engine/container/names.hpp"
#include "hutch/engine/network/network.hpp"
#include "hutch/engine/image/progress.hpp"
#include "hutch/engine/image/pull.hpp"
#include "hutch/engine/core/runtime_proc.hpp"
#include "hutch/engine/spec/signals.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/engine/volume/volume_mounts.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/runtime/session.hpp"
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
    po.tlsVerify = req.tlsVerify;
    po.authFile = req.authFile;
    return pullImage(ctx, req.image, po, *progress).imageId;
}

/// Removes the container when --rm asked for it; errors are logged, never thrown.
void autoRemove(Context& ctx, const ContainerRecord& rec) {
    if (!rec.autoRemove || !ctx.store().lookupContainer(rec.id)) return;
    try {
        ctx.store().removeContainer(rec.id);
        log::debug("run: container {} removed", rec.id);
        recordContainerEvent(ctx, rec, "remove");
        removeAnonymousVolumes(ctx, rec.anonymousVolumes);
    } catch (const std::exception& e) {
        log::error("removing container {}: {}", rec.id, e.what());
    }
}

/// Foreground `run`: the container's streams are ours; signals to us go to it.
int runForeground(Context& ctx, ContainerRecord& rec, bool keepStdin) {
    Launch launch(ctx, rec);
    RuntimeStdio stdio;
    stdio.preserveFds = rec.config.proc.preserveFds;
    UniqueFd devnull;
    if (!keepStdin) {
        devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        stdio.in = devnull.get();
    }
    launch.spawn(stdio);
    SignalForwarder fwd(launch.runtimePid());
    const RuntimeStatus& st = launch.awaitStarted();
    if (st.started) recordContainerEvent(ctx, rec, "attach");
    int code = launch.finish(launch.wait());
    if (!st.started) {
        if (code == 126 || code == 127) throw CommandError(code, rec.error);
        throw Error(rec.error);
    }
    return code;
}

/// --userns/--uidmap/--gidmap against the namespace hutch runs in (rootless: the session,
/// 0 = the user, 1.. = the subordinate range); keep-id's user becomes the default -u. For
/// auto, returns the lock that keeps another `run` from taking the same ids until the
/// container (and its mapping) is stored.
std::optional<fsutil::FileLock> resolveContainerUserns(Context& ctx, ContainerConfig& c, const std::string& imageId) {
    if (c.userns.mode.empty() && c.userns.uidmap.empty() && c.userns.gidmap.empty() && c.userns.subuidname.empty() &&
        c.userns.subgidname.empty())
        return std::nullopt;
    std::optional<fsutil::FileLock> lock;
    UsernsHost host;
    if (isAutoUserns(c.userns.mode)) {
        lock.emplace(fsutil::join(ctx.store().graphRoot(), "userns-auto.lock"), fsutil::FileLock::Mode::Exclusive);
        for (const auto& other : ctx.store().containers()) {
            for (const auto& m : other.uidMap) host.used.emplace_back(m.hostId, uint64_t{m.hostId} + m.size);
            for (const auto& m : other.gidMap) host.used.emplace_back(m.hostId, uint64_t{m.hostId} + m.size);
        }
        if (c.userns.mode.find("size=") == std::string::npos) {
            host.imageSpan = ctx.store().imageOwnerSpan(imageId);
            // A numeric -u UID[:GID] must be mapped too (podman sizes the range for it).
            auto [u, g] = str::cut(c.user, ':');
            for (const std::string& id : {u, g})
                if (!id.empty() && id.size() < 10 && id.find_first_not_of("0123456789") == std::string::npos)
                    host.imageSpan = std::max<uint32_t>(host.imageSpan, static_cast<uint32_t>(std::stoul(id)) + 1);
        }
    }
    auto uids = runtime::sessionUidMap(), gids = runtime::sessionGidMap();
    host.uidCount = mappedCount(uids);
    host.gidCount = mappedCount(gids);
    host.userUid = mapToHost(uids, 0).value_or(0);
    host.userGid = mapToHost(gids, 0).value_or(0);
    if (!c.userns.subuidname.empty() || !c.userns.subgidname.empty()) {
        host.ownUids = uids;
        host.ownGids = gids;
        auto granted = [](const std::string& file, const std::string& name) {
            const passwd* pw = ::getpwnam(name.c_str());
            return readSubIds(file, name, pw ? pw->pw_uid : static_cast<uid_t>(-1));
        };
        const std::string& un = c.userns.subuidname.empty() ? c.userns.subgidname : c.userns.subuidname;
        const std::string& gn = c.userns.subgidname.empty() ? c.userns.subuidname : c.userns.subgidname;
        host.subuidRanges = granted("/etc/subuid", un);
        host.subgidRanges = granted("/etc/subgid", gn);
    }
    if (!ctx.rootless() && c.userns.mode.rfind("keep-id", 0) == 0)
        throw InvalidArgument("--userns=keep-id is for rootless containers (it maps your own uid into the container)");
    UsernsPlan plan = resolveUserns(c.userns, host);
    c.uidMappings = plan.uids;
    c.gidMappings = plan.gids;
    c.usernsMode = plan.mode == "host" ? "" : plan.mode;
    if (c.user.empty()) c.user = plan.defaultUser;
    return lock;
}

}  // namespace

ContainerRecord createContainer(Context& ctx, const RunRequest& req) {
    auto& store = ctx.store();
    if (!req.cidFile.empty() && ::access(req.cidFile.c_str(), F_OK) == 0)
        throw AlreadyExists("container id file exists. Ensure another container is not using it or delete " + req.cidFile);
    if (!req.config.timezone.empty()) zoneFile(req.config.timezone);
    // --replace: replacers of one name go one at a time (held until the new container is
    // stored), so each removes the one before it; one removed meanwhile is not an error.
    std::optional<fsutil::FileLock> replaceLock;
    if (req.replace && !req.name.empty()) {
        validateName(req.name);  // before it names a lock file
        fsutil::mkdirAll(fsutil::join(store.runRoot(), "locks"), 0700);
        replaceLock.emplace(fsutil::join(store.runRoot(), "locks/" + req.name + ".replace"),
                            fsutil::FileLock::Mode::Exclusive);
        if (auto existing = store.lookupContainer(req.name);
            existing && std::find(existing->names.begin(), existing->names.end(), req.name) != existing->names.end()) {
            try {
                removeContainer(ctx, existing->id, true);
            } catch (const NotFound&) {
            }
        }
    }
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
    if (!req.config.cgroupns.empty() && req.config.cgroupns != "private" && req.config.cgroupns != "host")
        throw InvalidArgument("--cgroupns \"" + req.config.cgroupns + "\": must be private or host" +
                              (req.config.cgroupns.rfind("ns:", 0) == 0 || req.config.cgroupns.rfind("container:", 0) == 0
                                   ? " (joining another cgroup namespace is not supported)"
                                   : ""));
    validateNetworkOptions(req.config.net);
    validateLogConfig(req.config);
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
    // The image's labels, under the run's own (as podman: --label wins).
    if (const auto& l = image.config.value("config", nlohmann::json::object()).value("Labels", nlohmann::json(nullptr));
        l.is_object())
        for (auto it = l.begin(); it != l.end(); ++it)
            if (it.value().is_string()) rec.config.labels.emplace(it.key(), it.value().get<std::string>());
    if (rec.config.cgroupns.empty()) rec.config.cgroupns = "private";  // --cgroupns= : the default
    prepareNetworkConfig(ctx, rec.config, imageId);  // fails before anything is created
    rec.autoRemove = req.autoRemove;
    rec.detached = req.detach;
    rec.stopSignal = !req.stopSignal.empty() ? req.stopSignal : defaults.stopSignal;
    const bool systemd = systemdMode(defaults, req.config);
    // systemd shuts down cleanly on SIGRTMIN+3 (podman's default in systemd mode).
    if (rec.stopSignal.empty() && systemd) rec.stopSignal = "SIGRTMIN+3";
    rec.stopTimeout = req.stopTimeout;
    // Decided once, from the image and flags: the monitor of every start reads it.
    if (rec.config.sdNotify.empty())
        rec.config.sdNotify = sdNotifyMode(defaults, req.config) == SdNotify::Container ? "container" : "conmon";
    rec.created = nowRfc3339();
    rec.args = effectiveCommand(defaults, req.config);  // fails before anything is created
    // systemd mounts cgroup2 for its cgroup: only one rooted at it (its own cgroup namespace)
    // can be mounted, and written, from a rootless container.
    if (rec.config.cgroupns == "host" && systemd)
        throw InvalidArgument("--cgroupns=host: systemd needs a cgroup namespace of its own to manage its cgroup "
                              "(a cgroup2 mount rooted there); use --cgroupns=private, or --systemd=false");
    // systemd gets a user namespace of its own by default, rootless: its PID 1 then holds
    // CAP_SYS_ADMIN (and NET_ADMIN over its own network) there only, which unit sandboxing
    // (PrivateTmp, ProtectSystem, DynamicUser...) needs. All of the session's ids map onto
    // themselves: files keep their owners, the image is not copied. --userns=host opts out.
    const UsernsFlags& u = rec.config.userns;
    if (ctx.rootless() && !rec.config.privileged && u.mode.empty() && u.uidmap.empty() && u.gidmap.empty() &&
        u.subuidname.empty() && u.subgidname.empty() && systemd)
        rec.config.userns.mode = "private";
    auto usernsLock = resolveContainerUserns(ctx, rec.config, imageId);  // so does a bad --uidmap
    for (const auto& m : rec.config.mounts)
        if (rec.config.uidMappings.empty() && std::find(m.options.begin(), m.options.end(), "idmap") != m.options.end())
            throw InvalidArgument(m.flag + " " + m.source + ":" + m.destination +
                                  ": idmap needs a user namespace of the container's own (--userns=auto|private|keep-id, "
                                  "--uidmap)");
    auto volumesLock = prepareMounts(ctx, rec, imageVolumes(ctx, imageId));  // held until the record is stored
    try {
        // The store shifts file owners (and --userns=auto counts the ids used) only for a
        // mapping that moves them.
        bool moves = !isIdentityMapping(rec.config.uidMappings) || !isIdentityMapping(rec.config.gidMappings);
        store.createContainer(rec.id, {rec.name}, imageId, jsonbytes::dump(rec.toJson()),
                              moves ? rec.config.uidMappings : std::vector<IdMapping>{},
                              moves ? rec.config.gidMappings : std::vector<IdMapping>{});
    } catch (...) {
        for (const auto& v : rec.anonymousVolumes) deleteVolumeLocked(ctx, v);
        throw;
    }
    log::debug("run: container {} created", rec.id);
    recordContainerEvent(ctx, rec, "create");
    if (!req.cidFile.empty()) {
        try {
            fsutil::writeFileAtomic(req.cidFile, rec.id, 0644, fsutil::Sync::Volatile);
        } catch (const std::exception& e) {
            removeContainer(ctx, rec.id, true);
            throw Error("--cidfile " + req.cidFile + ": " + e.what());
        }
    }
    return rec;
}

RunResult runContainer(Context& ctx, const RunRequest& req) {
    ContainerRecord rec = createContainer(ctx, req);
    try {
        if (req.detach) {
            startDetached(ctx, rec);
            return {rec.id, 0};
        }
        int code = runForeground(ctx, rec, rec.config.interactive);
        if (req.removeImage) {
            // --rmi: the image goes too, unless another container still uses it.
            try {
                removeImage(ctx, rec.imageId, false);
            } catch (const std::exception& e) {
                log::warn("--rmi: image {} kept: {}", rec.imageName, e.what());
            }
        }
        return {rec.id, code};
    } catch (...) {
        autoRemove(ctx, rec);
        throw;
    }
}

int startAttached(Context& ctx, ContainerRecord rec, bool keepStdin) {
    rec.status = ContainerStatus::Created;
    rec.detached = false;
    try {
        return runForeground(ctx, rec, keepStdin);
    } catch (...) {
        autoRemove(ctx, rec);
        throw;
    }
}

}  // namespace hutch::engine
