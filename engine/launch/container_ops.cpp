#include "hutch/engine/launch/container_ops.hpp"
#include "hutch/engine/launch/monitor.hpp"

#include <signal.h>

#include <algorithm>

#include "hutch/common/error.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/container_events.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/network_cleanup.hpp"
#include "hutch/engine/launch/healthcheck.hpp"
#include "hutch/engine/spec/signals.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

int recoverContainers(Context& ctx) {
    int n = 0;
    for (const auto& c : ctx.store().containers()) {
        ContainerRecord r;
        try {
            r = ContainerRecord::fromJson(jsonbytes::parse(c.metadata));
        } catch (const std::exception&) {
            continue;  // loadContainer() reports it to whoever names this container
        }
        if (r.status != ContainerStatus::Running || !monitorGone(r)) continue;
        // Nobody collects its output or exit code any more: end it rather than leave an
        // orphan. Killing a pid namespace's init ends every process in it.
        if (r.pid != 0 && processStartTime(r.pid) == r.pidStartTime) {
            log::warn("container {}: its monitor (pid {}) is gone; killing the container", r.id, r.monitorPid);
            ::kill(r.pid, SIGKILL);
        }
        cleanupNetwork(r.netState);
        r.netState = {};
        r.status = ContainerStatus::Exited;
        r.exitCode = 137;
        r.error = kMonitorGone;
        if (r.finishedAt.empty()) r.finishedAt = nowRfc3339();
        r.pid = 0;
        r.monitorPid = 0;
        recordContainerEvent(ctx, r, "died", {}, 137);
        try {
            if (r.autoRemove) {
                ctx.store().removeContainer(r.id);
                removeAnonymousVolumes(ctx, r.anonymousVolumes);
            } else {
                saveContainer(ctx, r);
            }
        } catch (const NotFound&) {
            continue;  // removed meanwhile by another command
        }
        ++n;
    }
    return n;
}

namespace {

/// podman's inspect "Mounts": the volume and bind mounts (not tmpfs), in the run's order.
nlohmann::ordered_json inspectMounts(Context& ctx, const ContainerRecord& r) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& m : r.config.mounts) {
        if (m.type == MountType::Tmpfs || m.type == MountType::Devpts) continue;
        std::vector<std::string> opts;
        std::string propagation = "rprivate";
        for (const auto& o : m.options) {
            if (o == "rprivate" || o == "private" || o == "shared" || o == "rshared" || o == "slave" || o == "rslave" ||
                o == "unbindable" || o == "runbindable")
                propagation = o;
            else if (o != "bind" && o != "rbind")
                opts.push_back(o);
        }
        if (m.chown) opts.insert(opts.begin(), "U");
        if (m.type == MountType::Volume) {
            auto given = [&](const char* a, const char* b) {
                return std::find(opts.begin(), opts.end(), a) != opts.end() || std::find(opts.begin(), opts.end(), b) != opts.end();
            };
            if (!given("suid", "nosuid")) opts.push_back("nosuid");
            if (!given("dev", "nodev")) opts.push_back("nodev");
        }
        opts.push_back(std::find(m.options.begin(), m.options.end(), "bind") != m.options.end() ? "bind" : "rbind");
        nlohmann::ordered_json j;
        j["Type"] = mountTypeName(m.type);
        if (m.type == MountType::Volume) {
            j["Name"] = m.source;
            auto v = findVolume(ctx, m.source);
            j["Source"] = v ? v->mountpoint : "";
        } else {
            j["Source"] = m.source;
        }
        j["Destination"] = m.destination;
        j["Driver"] = m.type == MountType::Volume ? "local" : "";
        j["Mode"] = "";
        j["Options"] = opts;
        j["RW"] = !m.readOnly;
        j["Propagation"] = propagation;
        out.push_back(j);
    }
    return out;
}

}  // namespace

namespace {

/// Health checks and restart policy: HostConfig.RestartPolicy, Config.Healthcheck and
/// State.Health (with a health check) as podman shows them.
void addMonitorFields(Context& ctx, const ContainerRecord& r, nlohmann::ordered_json& j) {
    j["HostConfig"]["RestartPolicy"] = {{"Name", r.config.restart.name},
                                        {"MaximumRetryCount", r.config.restart.retries}};
    std::optional<HealthConfig> hc;
    try {
        hc = containerHealthcheck(ctx, r);
    } catch (const NotFound&) {
    }
    if (!hc) return;
    j["Config"]["Healthcheck"] = hc->toInspect();
    j["State"]["Health"] = loadHealth(ctx, r.id).toJson();
}

}  // namespace

nlohmann::ordered_json inspectContainer(Context& ctx, const ContainerRecord& r) {
    auto& store = ctx.store();
    ContainerStatus st = effectiveStatus(r);
    std::string path = r.args.empty() ? "" : r.args[0];
    std::vector<std::string> args(r.args.begin() + (r.args.empty() ? 0 : 1), r.args.end());
    std::string runDir = store.containerRunDir(r.id);
    nlohmann::ordered_json j{{"Id", r.id},
                {"Created", r.created},
                {"Path", path},
                {"Args", args},
                {"State",
                 {{"Status", statusName(st)},
                  {"Running", st == ContainerStatus::Running},
                  {"Paused", false},
                  {"Restarting", false},
                  {"OOMKilled", false},
                  {"Dead", false},
                  {"Pid", st == ContainerStatus::Running ? r.pid : 0},
                  {"ConmonPid", st == ContainerStatus::Running ? r.monitorPid : 0},
                  {"ExitCode", r.exitCode},
                  {"Error", r.error},
                  {"StartedAt", r.startedAt},
                  {"FinishedAt", r.finishedAt}}},
                {"Image", r.imageId},
                {"ImageName", r.imageName},
                {"Rootfs", ""},
                {"ResolvConfPath", runDir + "/resolv.conf"},
                {"HostnamePath", runDir + "/hostname"},
                {"HostsPath", runDir + "/hosts"},
                {"Name", r.name},
                {"RestartCount", r.restartCount},
                {"Driver", store.driverName()},
                {"Config",
                 {{"Hostname", effectiveHostname(r.config, r.id)},
                  {"Env", r.config.env},
                  {"Cmd", r.config.command},
                  {"Image", r.imageName},
                  {"WorkingDir", r.config.workdir},
                  {"StopSignal", parseSignal(r.stopSignal.empty() ? "SIGTERM" : r.stopSignal)},
                  {"StopTimeout", r.stopTimeout},
                  {"Entrypoint", r.config.entrypoint ? json(*r.config.entrypoint) : json(nullptr)},
                  {"User", r.config.user},
                  {"Tty", r.config.tty},
                  {"OpenStdin", r.config.interactive},
                  {"Labels", r.config.labels.empty() ? json(nullptr) : json(r.config.labels)},
                  {"Annotations", r.config.annotations},
                  {"Timezone", r.config.timezone}}},
                {"HostConfig",
                 {{"NetworkMode", r.config.network},
                  {"LogConfig", {{"Type", r.config.logDriver}, {"Config", r.config.logOptions},
                                 {"Path", r.config.logDriver == "none" ? std::string() : logPath(ctx, r)}}},
                  {"AutoRemove", r.autoRemove},
                  {"UsernsMode", r.config.usernsMode},
                  {"CgroupMode", r.config.cgroupns},
                  {"IDMappings",
                   {{"UidMap", formatIdMappings(r.config.uidMappings)}, {"GidMap", formatIdMappings(r.config.gidMappings)}}}}},
                {"Mounts", inspectMounts(ctx, r)}};
    addMonitorFields(ctx, r, j);
    return j;
}

}  // namespace hutch::engine
