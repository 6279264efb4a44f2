#include "hutch/engine/container/container_record.hpp"

#include <ctime>

#include <fmt/format.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/proc.hpp"

namespace hutch::engine {

using nlohmann::json;

std::string statusName(ContainerStatus s) {
    switch (s) {
        case ContainerStatus::Created: return "created";
        case ContainerStatus::Running: return "running";
        case ContainerStatus::Exited: return "exited";
    }
    return "unknown";
}

namespace {
ContainerStatus statusFromName(const std::string& s) {
    if (s == "running") return ContainerStatus::Running;
    if (s == "exited") return ContainerStatus::Exited;
    return ContainerStatus::Created;
}
}  // namespace

json ContainerRecord::toJson() const {
    json cfg = {{"command", config.command},    {"env", config.env},         {"hostname", config.hostname},
                {"workdir", config.workdir},    {"user", config.user},       {"network", config.network},
                {"tty", config.tty},            {"interactive", config.interactive},
                {"capAdd", config.capAdd},      {"capDrop", config.capDrop},
                {"privileged", config.privileged}, {"seccompProfile", config.seccompProfile},
                {"noNewPrivileges", config.noNewPrivileges}, {"readOnly", config.readOnly},
                {"systemd", config.systemd},    {"sdNotify", config.sdNotify},
                {"cgroupns", config.cgroupns}};
    if (config.entrypoint) cfg["entrypoint"] = *config.entrypoint;
    if (!config.labels.empty()) cfg["labels"] = config.labels;
    if (!config.annotations.empty()) cfg["annotations"] = config.annotations;
    if (config.envHost) cfg["envHost"] = true;
    if (!config.unsetEnv.empty()) cfg["unsetEnv"] = config.unsetEnv;
    if (config.unsetEnvAll) cfg["unsetEnvAll"] = true;
    if (!config.timezone.empty()) cfg["timezone"] = config.timezone;
    if (config.noHostname) cfg["noHostname"] = true;
    if (config.logDriver != "k8s-file") cfg["logDriver"] = config.logDriver;
    if (!config.logOptions.empty()) cfg["logOptions"] = config.logOptions;
    if (!config.uidMappings.empty()) {
        cfg["usernsMode"] = config.usernsMode;
        cfg["uidMappings"] = formatIdMappings(config.uidMappings);
        cfg["gidMappings"] = formatIdMappings(config.gidMappings);
    }
    cfg["net"] = config.net.toJson();
    // Health checks and restart policy.
    if (!config.restart.name.empty()) cfg["restart"] = {{"name", config.restart.name}, {"retries", config.restart.retries}};
    {
        const HealthFlags& h = config.health;
        json hj = json::object();
        if (!h.cmd.empty()) hj["cmd"] = h.cmd;
        if (!h.interval.empty()) hj["interval"] = h.interval;
        if (!h.timeout.empty()) hj["timeout"] = h.timeout;
        if (!h.startPeriod.empty()) hj["startPeriod"] = h.startPeriod;
        if (h.retries) hj["retries"] = *h.retries;
        if (h.none) hj["none"] = true;
        if (!hj.empty()) cfg["health"] = hj;
    }
    if (auto proc = config.proc.toJson(); !proc.empty()) cfg["proc"] = proc;
    if (!config.mounts.empty()) {
        json ms = json::array();
        for (const auto& m : config.mounts) ms.push_back(m.toJson());
        cfg["mounts"] = ms;
    }
    return json{{"id", id},
                {"name", name},
                {"imageName", imageName},
                {"imageId", imageId},
                {"args", args},
                {"config", cfg},
                {"autoRemove", autoRemove},
                {"stopSignal", stopSignal},
                {"stopTimeout", stopTimeout},
                {"detached", detached},
                {"created", created},
                {"volumes", volumes},
                {"anonymousVolumes", anonymousVolumes},
                {"state",
                 {{"status", statusName(status)},
                  {"pid", pid},
                  {"pidStartTime", pidStartTime},
                  {"monitorPid", monitorPid},
                  {"monitorStartTime", monitorStartTime},
                  {"exitCode", exitCode},
                  {"startedAt", startedAt},
                  {"finishedAt", finishedAt},
                  {"error", error},
                  {"restartCount", restartCount},
                  {"stoppedByUser", stoppedByUser},
                  {"network", netState.toJson()}}}};
}

ContainerRecord ContainerRecord::fromJson(const json& j) {
    try {
        ContainerRecord r;
        r.id = j.at("id");
        r.name = j.at("name");
        r.imageName = j.value("imageName", "");
        r.imageId = j.value("imageId", "");
        r.args = j.value("args", std::vector<std::string>{});
        const json& c = j.at("config");
        r.config.command = c.value("command", std::vector<std::string>{});
        r.config.env = c.value("env", std::vector<std::string>{});
        r.config.hostname = c.value("hostname", "");
        r.config.workdir = c.value("workdir", "");
        r.config.user = c.value("user", "");
        r.config.network = c.value("network", "host");
        r.config.tty = c.value("tty", false);
        r.config.interactive = c.value("interactive", false);
        r.config.capAdd = c.value("capAdd", std::vector<std::string>{});
        r.config.capDrop = c.value("capDrop", std::vector<std::string>{});
        r.config.privileged = c.value("privileged", false);
        r.config.seccompProfile = c.value("seccompProfile", "");
        r.config.noNewPrivileges = c.value("noNewPrivileges", false);
        r.config.readOnly = c.value("readOnly", false);
        r.config.systemd = c.value("systemd", "true");
        r.config.sdNotify = c.value("sdNotify", "");
        r.config.cgroupns = c.value("cgroupns", "private");
        if (c.contains("net")) r.config.net = NetworkOptions::fromJson(c["net"]);
        if (c.contains("proc")) r.config.proc = ProcessFlags::fromJson(c["proc"]);
        if (c.contains("entrypoint")) r.config.entrypoint = c["entrypoint"].get<std::vector<std::string>>();
        r.config.labels = c.value("labels", std::map<std::string, std::string>{});
        r.config.annotations = c.value("annotations", std::map<std::string, std::string>{});
        r.config.envHost = c.value("envHost", false);
        r.config.unsetEnv = c.value("unsetEnv", std::vector<std::string>{});
        r.config.unsetEnvAll = c.value("unsetEnvAll", false);
        r.config.timezone = c.value("timezone", "");
        r.config.noHostname = c.value("noHostname", false);
        r.config.logDriver = c.value("logDriver", "k8s-file");
        r.config.logOptions = c.value("logOptions", std::map<std::string, std::string>{});
        r.config.usernsMode = c.value("usernsMode", "");
        for (const auto& m : c.value("uidMappings", std::vector<std::string>{})) r.config.uidMappings.push_back(parseIdMapFlag("uidMappings", m));
        for (const auto& m : c.value("gidMappings", std::vector<std::string>{})) r.config.gidMappings.push_back(parseIdMapFlag("gidMappings", m));
        if (c.contains("mounts"))
            for (const auto& m : c["mounts"]) r.config.mounts.push_back(MountSpec::fromJson(m));
        // Health checks and restart policy.
        if (c.contains("restart")) {
            r.config.restart.name = c["restart"].value("name", "");
            r.config.restart.retries = c["restart"].value("retries", 0u);
        }
        if (c.contains("health")) {
            const json& h = c["health"];
            r.config.health.cmd = h.value("cmd", "");
            r.config.health.interval = h.value("interval", "");
            r.config.health.timeout = h.value("timeout", "");
            r.config.health.startPeriod = h.value("startPeriod", "");
            if (h.contains("retries")) r.config.health.retries = h["retries"].get<int>();
            r.config.health.none = h.value("none", false);
        }
        r.volumes = j.value("volumes", std::vector<std::string>{});
        r.anonymousVolumes = j.value("anonymousVolumes", std::vector<std::string>{});
        r.autoRemove = j.value("autoRemove", false);
        r.stopSignal = j.value("stopSignal", "");
        r.stopTimeout = j.value("stopTimeout", 10);
        r.detached = j.value("detached", false);
        r.created = j.value("created", "");
        const json& s = j.at("state");
        r.status = statusFromName(s.value("status", "created"));
        r.pid = s.value("pid", 0);
        r.pidStartTime = s.value("pidStartTime", uint64_t{0});
        r.monitorPid = s.value("monitorPid", 0);
        r.monitorStartTime = s.value("monitorStartTime", uint64_t{0});
        r.exitCode = s.value("exitCode", 0);
        r.startedAt = s.value("startedAt", "");
        r.finishedAt = s.value("finishedAt", "");
        r.error = s.value("error", "");
        r.restartCount = s.value("restartCount", 0u);
        r.stoppedByUser = s.value("stoppedByUser", false);
        if (s.contains("network")) r.netState = NetworkState::fromJson(s["network"]);
        return r;
    } catch (const json::exception& e) {
        throw Error(std::string("container metadata is not a hutch container record: ") + e.what());
    }
}

std::string nowRfc3339() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    return fmt::format("{}.{:09d}Z", buf, ts.tv_nsec);
}

int64_t parseRfc3339(const std::string& s) {
    tm t{};
    const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
    if (!rest) return 0;
    return static_cast<int64_t>(timegm(&t));
}

std::string humanAgo(int64_t then) {
    // go-units HumanDuration, which podman uses: hours are rounded, the rest truncated.
    int64_t d = static_cast<int64_t>(time(nullptr)) - then;
    if (d < 1) return "Less than a second ago";
    if (d == 1) return "1 second ago";
    if (d < 60) return fmt::format("{} seconds ago", d);
    int64_t minutes = d / 60;
    if (minutes == 1) return "About a minute ago";
    if (minutes < 60) return fmt::format("{} minutes ago", minutes);
    int64_t hours = (d + 1800) / 3600;
    if (hours == 1) return "About an hour ago";
    if (hours < 48) return fmt::format("{} hours ago", hours);
    if (hours < 24 * 7 * 2) return fmt::format("{} days ago", hours / 24);
    if (hours < 24 * 30 * 2) return fmt::format("{} weeks ago", hours / 24 / 7);
    if (hours < 24 * 365 * 2) return fmt::format("{} months ago", hours / 24 / 30);
    return fmt::format("{} years ago", d / 3600 / 24 / 365);
}

uint64_t processStartTime(pid_t pid) { return proc::startTime(pid); }

bool monitorGone(const ContainerRecord& r) {
    return r.monitorPid != 0 && processStartTime(r.monitorPid) != r.monitorStartTime;
}

ContainerStatus effectiveStatus(const ContainerRecord& r) {
    if (r.status != ContainerStatus::Running) return r.status;
    if (monitorGone(r)) return ContainerStatus::Exited;
    uint64_t st = processStartTime(r.pid);
    if (st == 0 || (r.pidStartTime != 0 && st != r.pidStartTime)) return ContainerStatus::Exited;
    return ContainerStatus::Running;
}

}  // namespace hutch::engine
