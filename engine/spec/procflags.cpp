#include "hutch/engine/spec/procflags.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {

using nlohmann::json;

json ProcessFlags::toJson() const {
    json j = json::object();
    if (!ulimits.empty()) j["ulimits"] = ulimits;
    if (!sysctls.empty()) j["sysctls"] = sysctls;
    if (shmSize) j["shmSize"] = *shmSize;
    if (oomScoreAdj) j["oomScoreAdj"] = *oomScoreAdj;
    if (pidsLimit) j["pidsLimit"] = *pidsLimit;
    if (!umask.empty()) j["umask"] = umask;
    if (!groupAdd.empty()) j["groupAdd"] = groupAdd;
    if (!devices.empty()) j["devices"] = devices;
    if (!deviceCgroupRules.empty()) j["deviceCgroupRules"] = deviceCgroupRules;
    if (!ipc.empty()) j["ipc"] = ipc;
    if (!pid.empty()) j["pid"] = pid;
    if (init) j["init"] = true;
    if (!initPath.empty()) j["initPath"] = initPath;
    if (preserveFds) j["preserveFds"] = preserveFds;
    return j;
}

ProcessFlags ProcessFlags::fromJson(const json& j) {
    ProcessFlags f;
    if (!j.is_object()) return f;
    using V = std::vector<std::string>;
    f.ulimits = j.value("ulimits", V{});
    f.sysctls = j.value("sysctls", V{});
    if (j.contains("shmSize")) f.shmSize = j["shmSize"].get<uint64_t>();
    if (j.contains("oomScoreAdj")) f.oomScoreAdj = j["oomScoreAdj"].get<int>();
    if (j.contains("pidsLimit")) f.pidsLimit = j["pidsLimit"].get<int64_t>();
    f.umask = j.value("umask", "");
    f.groupAdd = j.value("groupAdd", V{});
    f.devices = j.value("devices", V{});
    f.deviceCgroupRules = j.value("deviceCgroupRules", V{});
    f.ipc = j.value("ipc", "");
    f.pid = j.value("pid", "");
    f.init = j.value("init", false);
    f.initPath = j.value("initPath", "");
    f.preserveFds = j.value("preserveFds", 0u);
    return f;
}


std::pair<std::string, std::string> parseSysctl(const std::string& flag, const std::string& network) {
    auto eq = flag.find('=');
    if (eq == std::string::npos || eq == 0)
        throw InvalidArgument("--sysctl: " + flag + " is invalid, sysctl values must be in the form of KEY=VALUE");
    std::string name = flag.substr(0, eq), value = flag.substr(eq + 1);
    auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
    bool net = starts("net.");
    bool ipc = name == "kernel.sem" || starts("kernel.shm") || starts("kernel.msg") || starts("fs.mqueue.");
    if (!net && !ipc) throw InvalidArgument("--sysctl: sysctl '" + name + "' is not allowed");
    if (net && network == "host")
        throw InvalidArgument("--sysctl: sysctl " + flag + " can't be set since Network Namespace set to host: invalid argument");
    return {name, value};
}

uint64_t parseShmSize(const std::string& value) {
    auto fail = [&]() -> uint64_t { throw InvalidArgument("unable to translate --shm-size: invalid size: '" + value + "'"); };
    size_t i = 0;
    while (i < value.size() && (std::isdigit(static_cast<unsigned char>(value[i])) || value[i] == '.')) ++i;
    if (i == 0) return fail();
    double num;
    try {
        num = std::stod(value.substr(0, i));
    } catch (const std::exception&) {
        return fail();
    }
    std::string unit = value.substr(i);
    for (auto& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (unit.size() > 1 && (unit.substr(1) == "b" || unit.substr(1) == "ib")) unit = unit.substr(0, 1);
    uint64_t mult;
    if (unit.empty() || unit == "b") mult = 1;
    else if (unit == "k") mult = 1ull << 10;
    else if (unit == "m") mult = 1ull << 20;
    else if (unit == "g") mult = 1ull << 30;
    else return fail();
    return static_cast<uint64_t>(num * static_cast<double>(mult));
}

uint32_t parseUmask(const std::string& value) {
    bool ok = !value.empty() && value.size() <= 4;
    for (char ch : value) ok = ok && ch >= '0' && ch <= '7';
    uint32_t v = ok ? static_cast<uint32_t>(std::stoul(value, nullptr, 8)) : 0;
    if (!ok || v > 0777) throw InvalidArgument("--umask: invalid umask string " + value + ": invalid argument");
    return v;
}

DeviceFlag parseDeviceFlag(const std::string& flag) {
    auto parts = str::split(flag, ':');
    auto isPerms = [](const std::string& s) {
        if (s.empty() || s.size() > 3) return false;
        for (char ch : s)
            if (ch != 'r' && ch != 'w' && ch != 'm') return false;
        return true;
    };
    DeviceFlag d;
    if (parts.empty() || parts.size() > 3 || parts[0].empty()) throw InvalidArgument("--device: invalid device specification: " + flag);
    d.hostPath = parts[0];
    d.containerPath = d.hostPath;
    if (parts.size() == 2) {
        if (isPerms(parts[1])) d.perms = parts[1];
        else if (!parts[1].empty() && parts[1][0] == '/') d.containerPath = parts[1];
        else throw InvalidArgument("--device: invalid device mode: " + parts[1]);
    } else if (parts.size() == 3) {
        if (parts[1].empty() || parts[1][0] != '/') throw InvalidArgument("--device: " + parts[1] + " is not an absolute path");
        d.containerPath = parts[1];
        if (!isPerms(parts[2])) throw InvalidArgument("--device: invalid device mode: " + parts[2]);
        d.perms = parts[2];
    }
    if (d.hostPath[0] != '/') throw InvalidArgument("--device: " + d.hostPath + " is not an absolute path");
    return d;
}

void checkDeviceCgroupRule(const std::string& rule) {
    auto fail = [&]() {
        throw InvalidArgument("--device-cgroup-rule: invalid device cgroup rule requires type, major:Minor, and access rules: \"" +
                              rule + "\"");
    };
    auto f = str::split(str::trim(rule), ' ');
    f.erase(std::remove(f.begin(), f.end(), std::string()), f.end());
    if (f.size() < 2 || f.size() > 3) fail();
    if (f[0] != "a" && f[0] != "b" && f[0] != "c") fail();
    auto mm = str::split(f[1], ':');
    if (mm.size() != 2) fail();
    for (const auto& n : mm) {
        if (n == "*") continue;
        if (n.empty() || !std::all_of(n.begin(), n.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }))
            fail();
    }
    if (f.size() == 3)
        for (char ch : f[2])
            if (ch != 'r' && ch != 'w' && ch != 'm') fail();
}

void checkProcessFlags(const ProcessFlags& f, const std::string& network) {
    for (const auto& u : f.ulimits)
        if (u != "host") parseUlimit(u);
    for (const auto& s : f.sysctls) parseSysctl(s, network);
    if (!f.umask.empty()) parseUmask(f.umask);
    if (std::find(f.groupAdd.begin(), f.groupAdd.end(), "keep-groups") != f.groupAdd.end() && f.groupAdd.size() > 1)
        throw InvalidArgument("the '--group-add keep-groups' option is not allowed with any other --group-add options");
    for (const auto& d : f.devices) parseDeviceFlag(d);
    for (const auto& r : f.deviceCgroupRules) checkDeviceCgroupRule(r);
    auto ns = [](const std::string& flag, const std::string& v, bool ipc) {
        if (v.empty() || v == "private" || v == "host" || (ipc && (v == "shareable" || v == "none"))) return;
        if (v.rfind("container:", 0) == 0 && v.size() > 10) return;
        throw InvalidArgument(flag + ": unrecognized namespace mode " + v + " passed");
    };
    ns("--ipc", f.ipc, true);
    ns("--pid", f.pid, false);
}

namespace {

json* findMount(json& spec, const std::string& dest) {
    for (auto& m : spec["mounts"])
        if (m.value("destination", "") == dest) return &m;
    return nullptr;
}

void removeMount(json& spec, const std::string& dest) {
    auto& ms = spec["mounts"];
    for (auto it = ms.begin(); it != ms.end();)
        if (it->value("destination", "") == dest) it = ms.erase(it);
        else ++it;
}

/// Drops the namespace of `type`, or gives it a path when `path` is not empty.
void setNamespace(json& spec, const std::string& type, bool host, const std::string& path) {
    auto& nss = spec["linux"]["namespaces"];
    for (auto it = nss.begin(); it != nss.end();) {
        if (it->value("type", "") != type) {
            ++it;
            continue;
        }
        if (host) {
            it = nss.erase(it);
            continue;
        }
        if (!path.empty()) (*it)["path"] = path;
        ++it;
    }
}

}  // namespace

void applyProcessFlags(json& spec, const ProcessFlags& f, const ProcessHost& host, bool rootless,
                       const std::string& network) {
    checkProcessFlags(f, network);
    json& process = spec["process"];
    json& linux = spec["linux"];

    // Rlimits: --ulimit host first (the caller's), then each --ulimit, later ones win.
    std::vector<Ulimit> want;
    for (const auto& u : f.ulimits) {
        if (u == "host") want.insert(want.end(), host.hostUlimits.begin(), host.hostUlimits.end());
        else want.push_back(parseUlimit(u));
    }
    if (!want.empty()) {
        json& rl = process["rlimits"];
        if (!rl.is_array()) rl = json::array();
        for (const auto& u : want) {
            json entry = {{"type", u.type}, {"soft", u.soft}, {"hard", u.hard}};
            bool replaced = false;
            for (auto& e : rl)
                if (e.value("type", "") == u.type) e = entry, replaced = true;
            if (!replaced) rl.push_back(entry);
        }
    }

    if (!f.sysctls.empty()) {
        if (!linux.contains("sysctl") || !linux["sysctl"].is_object()) linux["sysctl"] = json::object();
        for (const auto& s : f.sysctls) {
            auto [k, v] = parseSysctl(s, network);
            linux["sysctl"][k] = v;
        }
    }

    if (f.oomScoreAdj) process["oomScoreAdj"] = *f.oomScoreAdj;
    if (!f.umask.empty()) process["user"]["umask"] = parseUmask(f.umask);

    if (f.pidsLimit && host.cgroupsPath) {
        linux["cgroupsPath"] = *host.cgroupsPath;
        linux["resources"]["pids"]["limit"] = *f.pidsLimit <= 0 ? -1 : *f.pidsLimit;
    }

    bool keepGroups = std::find(f.groupAdd.begin(), f.groupAdd.end(), "keep-groups") != f.groupAdd.end();
    if (keepGroups) {
        spec["annotations"]["run.oci.keep_original_groups"] = "1";
    } else if (!host.groupIds.empty()) {
        json& gids = process["user"]["additionalGids"];
        if (!gids.is_array()) gids = json::array();
        for (auto g : host.groupIds)
            if (std::find(gids.begin(), gids.end(), json(g)) == gids.end()) gids.push_back(g);
    }

    for (const auto& d : host.devices) {
        if (rootless) {
            // mknod is not permitted in a user namespace: the host's node, bind-mounted.
            removeMount(spec, d.containerPath);
            spec["mounts"].push_back({{"destination", d.containerPath}, {"type", "bind"}, {"source", d.hostPath},
                                      {"options", {"bind", "nosuid", "noexec", "rprivate"}}});
        } else {
            json& devs = linux["devices"];
            for (auto it = devs.begin(); it != devs.end();)
                if (it->value("path", "") == d.containerPath) it = devs.erase(it);
                else ++it;
            devs.push_back({{"path", d.containerPath}, {"type", std::string(1, d.type)}, {"major", d.major},
                            {"minor", d.minor}, {"fileMode", d.mode}, {"uid", 0}, {"gid", 0}});
        }
    }

    // IPC: host = the caller's namespace and its /dev/shm; none = no /dev/shm at all.
    if (f.ipc == "host") {
        setNamespace(spec, "ipc", true, "");
        if (json* shm = findMount(spec, "/dev/shm"))
            *shm = {{"destination", "/dev/shm"}, {"type", "bind"}, {"source", "/dev/shm"},
                    {"options", {"rbind", "nosuid", "noexec", "nodev"}}};
        // An mqueue file system belongs to the IPC namespace that mounts it: not ours to mount.
        removeMount(spec, "/dev/mqueue");
    } else if (f.ipc.rfind("container:", 0) == 0) {
        setNamespace(spec, "ipc", false, host.ipcNsPath);
    } else if (f.ipc == "none") {
        removeMount(spec, "/dev/shm");
    }
    if (f.shmSize)
        if (json* shm = findMount(spec, "/dev/shm"); shm && shm->value("type", "") == "tmpfs") {
            json opts = json::array();
            for (const auto& o : (*shm)["options"])
                if (o.get<std::string>().rfind("size=", 0) != 0) opts.push_back(o);
            opts.push_back("size=" + std::to_string(*f.shmSize));
            (*shm)["options"] = opts;
        }

    // PID: host = no namespace of its own; rootless, proc cannot be mounted for the host's
    // pid namespace (owned by the initial user namespace): the host's /proc is bound.
    if (f.pid == "host") {
        setNamespace(spec, "pid", true, "");
        if (rootless)
            if (json* proc = findMount(spec, "/proc"))
                *proc = {{"destination", "/proc"}, {"type", "bind"}, {"source", "/proc"},
                         {"options", {"rbind", "nosuid", "noexec", "nodev"}}};
    } else if (f.pid.rfind("container:", 0) == 0) {
        setNamespace(spec, "pid", false, host.pidNsPath);
    }

    if (f.init && !host.initBinary.empty()) {
        spec["mounts"].push_back({{"destination", kInitMountPath}, {"type", "bind"}, {"source", host.initBinary},
                                  {"options", {"bind", "ro", "nosuid", "nodev", "rprivate"}}});
        json args = json::array({kInitMountPath, "--"});
        for (const auto& a : process["args"]) args.push_back(a);
        process["args"] = args;
    }
}

}  // namespace hutch::engine
