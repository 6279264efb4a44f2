#include "hutch/engine/spec/specgen.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/spec/capabilities.hpp"

namespace hutch::engine {

using nlohmann::json;

std::vector<std::string> effectiveCommand(const ImageDefaults& image, const ContainerConfig& config) {
    std::vector<std::string> args;
    if (config.entrypoint) {
        args = *config.entrypoint;
        args.insert(args.end(), config.command.begin(), config.command.end());
    } else {
        args = image.entrypoint;
        const auto& cmd = config.command.empty() ? image.cmd : config.command;
        args.insert(args.end(), cmd.begin(), cmd.end());
    }
    if (args.empty())
        throw InvalidArgument("no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
    return args;
}

std::string containerEnvFile(const ContainerConfig& config, const std::string& engineVersion, const std::string& name,
                             const std::string& id, const std::string& image, const std::string& imageId, bool rootless) {
    if (!config.privileged) return "";
    auto quoted = [](const std::string& v) { return nlohmann::json(v).dump(); };  // "..." with \" and \\ escaped
    return "engine=" + quoted("hutch-" + engineVersion) + "\nname=" + quoted(name) + "\nid=" + quoted(id) +
           "\nimage=" + quoted(image) + "\nimageid=" + quoted(imageId) + "\nrootless=" + (rootless ? "1" : "0") +
           "\n";
}

std::string effectiveHostname(const ContainerConfig& config, const std::string& containerId) {
    return config.hostname.empty() ? containerId.substr(0, 12) : config.hostname;
}

std::vector<std::string> effectiveEnv(const ImageDefaults& image, const ContainerConfig& config,
                                      const std::string& hostname, const std::string& home) {
    std::vector<std::pair<std::string, std::string>> env;
    std::unordered_map<std::string, size_t> index;  // key -> position in env: linear in entries
    auto set = [&](const std::string& kv) {
        auto eq = kv.find('=');
        std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
        auto [it, added] = index.try_emplace(k, env.size());
        if (added)
            env.emplace_back(std::move(k), std::move(v));
        else
            env[it->second].second = std::move(v);
    };
    if (!config.unsetEnvAll) {
        set("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (config.tty) set("TERM=xterm");
    // podman's value: systemd-detect-virt, toolbox and distrobox know it ("hutch" would read
    // as container-other).
    set("container=podman");
        set("HOSTNAME=" + hostname);  // an image's own HOSTNAME wins, as in Docker
        for (const auto& e : image.env) set(e);
        if (!index.count("HOME")) set("HOME=" + home);
    }
    std::set<std::string> unset(config.unsetEnv.begin(), config.unsetEnv.end());
    for (const auto& e : config.env) {
        set(e);
        unset.erase(e.substr(0, e.find('=')));  // an -e entry stays
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env)
        if (!unset.count(k)) out.push_back(k + "=" + v);
    return out;
}

bool systemdMode(const ImageDefaults& image, const ContainerConfig& config) {
    if (config.systemd == "always") return true;
    if (config.systemd == "false") return false;
    if (config.systemd != "true")
        throw InvalidArgument("--systemd \"" + config.systemd + "\": must be true, false or always");
    std::vector<std::string> args;
    try {
        args = effectiveCommand(image, config);
    } catch (const InvalidArgument&) {
        return false;
    }
    std::string cmd = args[0];
    if (args.size() >= 3 && (args[0] == "/bin/sh" || args[0] == "sh") && args[1] == "-c")
        cmd = args[2].substr(0, args[2].find(' '));
    auto endsWith = [](const std::string& s, const std::string& suf) {
        return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
    };
    return cmd == "/sbin/init" || cmd == "/usr/sbin/init" || cmd == "/usr/local/sbin/init" || endsWith(cmd, "/systemd");
}

SdNotify sdNotifyMode(const ImageDefaults& image, const ContainerConfig& config) {
    if (config.sdNotify == "container") return SdNotify::Container;
    if (config.sdNotify == "conmon") return SdNotify::Conmon;
    if (config.sdNotify == "ignore") return SdNotify::Ignore;
    if (!config.sdNotify.empty())
        throw InvalidArgument("--sdnotify \"" + config.sdNotify + "\": must be container, conmon or ignore");
    return systemdMode(image, config) ? SdNotify::Container : SdNotify::Conmon;
}

namespace {

json mount(const std::string& dst, const std::string& type, const std::string& src, std::vector<std::string> opts) {
    return json{{"destination", dst}, {"type", type}, {"source", src}, {"options", opts}};
}

json device(const std::string& path, int major, int minor) {
    return json{{"path", path}, {"type", "c"}, {"major", major}, {"minor", minor},
                {"fileMode", 0666}, {"uid", 0}, {"gid", 0}};
}


}  // namespace

std::vector<std::string> containerCapabilities(const ImageDefaults& image, const ContainerConfig& c) {
    if (c.privileged || c.uidMappings.empty() || !systemdMode(image, c)) return capabilitySet(c.capAdd, c.capDrop, c.privileged);
    // All but those LXC drops for its unprivileged containers: they act on the host's
    // kernel (modules, clock, raw I/O, the LSM), never on a namespace, and with them systemd
    // starts units that can only fail in a container (debugfs and tracefs mounts). And
    // CAP_SYS_BOOT, which podman's default set lacks too: with it, systemd's final reboot(2)
    // ends its pid namespace with SIGINT (a stopped container would exit 130, not 0). Then
    // --cap-drop and --cap-add, as on the default set.
    auto names = [](const std::vector<std::string>& flags) {
        std::set<std::string> out;
        for (const auto& f : flags)
            for (const auto& name : str::split(f, ','))
                if (!str::trim(name).empty()) out.insert(normalizeCapability(str::trim(name)));
        return out;
    };
    std::set<std::string> add = names(c.capAdd), drop = names(c.capDrop);
    static const std::set<std::string> hostOnly = {"CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_SYS_TIME", "CAP_SYS_MODULE",
                                                   "CAP_SYS_RAWIO", "CAP_SYS_BOOT"};
    std::vector<std::string> out;
    for (const auto& cap : allCapabilities()) {
        bool keep = !hostOnly.count(cap) && !drop.count(cap) && !drop.count("ALL");
        if (keep || add.count(cap) || add.count("ALL")) out.push_back(cap);
    }
    return out;
}

json buildSpec(const SpecInputs& in) {
    const auto& c = in.config;
    validateNetworkMode(c.network);
    std::string hostname = effectiveHostname(c, in.containerId);
    std::string cwd = !c.workdir.empty() ? c.workdir : (!in.image.workingDir.empty() ? in.image.workingDir : "/");
    if (cwd[0] != '/') throw InvalidArgument("--workdir \"" + cwd + "\": must be an absolute path");

    json caps = containerCapabilities(in.image, c);
    json process = {
        {"terminal", c.tty},
        {"user", {{"uid", in.user.uid}, {"gid", in.user.gid}}},
        {"args", effectiveCommand(in.image, c)},
        {"env", effectiveEnv(in.image, c, hostname, in.user.home)},
        {"cwd", cwd},
        {"capabilities",
         {{"bounding", caps},
          {"effective", in.user.uid == 0 ? caps : json::array()},
          {"permitted", in.user.uid == 0 ? caps : json::array()},
          {"inheritable", json::array()},
          {"ambient", json::array()}}},
        // --ulimit entries replace it (applyProcessFlags).
        {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", in.nofileLimit}, {"soft", in.nofileLimit}}})},
        {"noNewPrivileges", c.noNewPrivileges},
    };
    if (!in.user.additionalGids.empty()) process["user"]["additionalGids"] = in.user.additionalGids;

    json mounts = json::array();
    mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    mounts.push_back(mount("/dev/pts", "devpts", "devpts",
                           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
    if (in.rootless && c.network == "host")
        // sysfs can only be mounted by the owner of the network namespace: bind the host's.
        mounts.push_back(mount("/sys", "bind", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    else
        mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    const bool systemd = systemdMode(in.image, c);
    if (systemd && !in.cgroupsPath.empty())
        // The container's own cgroup, writable by its root: systemd manages its units there.
        mounts.push_back(mount("/sys/fs/cgroup", "cgroup2", "cgroup2", {"nosuid", "noexec", "nodev", "relatime", "rw"}));
    else if (!(in.rootless && c.network == "host"))  // the rbind of /sys already brings the host's cgroup mounts
        mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    if (!in.files.hostname.empty()) mounts.push_back(mount("/etc/hostname", "bind", in.files.hostname, {"bind", "rprivate"}));
    if (!in.files.localtime.empty())
        mounts.push_back(mount("/etc/localtime", "bind", in.files.localtime, {"bind", "rprivate", "ro"}));
    if (!in.files.hosts.empty()) mounts.push_back(mount("/etc/hosts", "bind", in.files.hosts, {"bind", "rprivate"}));
    mounts.push_back(mount("/etc/resolv.conf", "bind", in.files.resolvConf, {"bind", "rprivate"}));

    if (systemd) {
        // systemd's API file systems (podman's systemd mode): fresh tmpfs, exec allowed.
        // tmpcopyup: what the image has there is copied into the fresh tmpfs.
        mounts.push_back(mount("/run", "tmpfs", "tmpfs", {"rw", "nosuid", "nodev", "mode=755", "tmpcopyup"}));
        mounts.push_back(mount("/run/lock", "tmpfs", "tmpfs", {"rw", "nosuid", "nodev", "mode=1777", "tmpcopyup"}));
        mounts.push_back(mount("/tmp", "tmpfs", "tmpfs", {"rw", "nosuid", "nodev", "mode=1777", "tmpcopyup"}));
        mounts.push_back(
            mount("/var/log/journal", "tmpfs", "tmpfs", {"rw", "nosuid", "nodev", "mode=2755", "tmpcopyup"}));
    }
    if (c.readOnly)
        for (const char* dir : {"/run", "/tmp", "/var/tmp"})
            // systemd mode has its own /run and /tmp (mounting again would hide /run/lock).
            if (!systemd || std::string(dir) == "/var/tmp")
                mounts.push_back(mount(dir, "tmpfs", "tmpfs", {"rw", "nosuid", "nodev", "mode=1777"}));

    if (!in.userMounts.empty()) {
        std::set<std::string> dests;
        for (const auto& m : in.userMounts) dests.insert(m.at("destination").get<std::string>());
        json kept = json::array();
        for (auto& m : mounts)
            if (!dests.count(m.at("destination").get<std::string>())) kept.push_back(std::move(m));
        mounts = std::move(kept);
        for (const auto& m : in.userMounts) mounts.push_back(m);
        // Parents before children (a volume on /etc goes before the /etc/hosts bind), else
        // in the given order, as podman sorts them.
        std::vector<json> all(mounts.begin(), mounts.end());
        auto depth = [](const json& m) {
            std::string d = m.at("destination");
            return std::count(d.begin(), d.end(), '/') - (d == "/" ? 1 : 0);
        };
        std::stable_sort(all.begin(), all.end(), [&](const json& a, const json& b) { return depth(a) < depth(b); });
        mounts = all;
    }

    if (!in.files.containerEnv.empty())
        // After the user's mounts and systemd's /run tmpfs, which would hide it.
        mounts.push_back(mount("/run/.containerenv", "bind", in.files.containerEnv, {"bind", "rprivate", "nosuid", "nodev"}));
    if (!in.notifySocketDir.empty()) {
        // Last: in systemd mode /run is a fresh tmpfs mounted above.
        mounts.push_back(mount(kNotifySocketDir, "bind", in.notifySocketDir, {"bind", "rprivate", "nosuid", "nodev", "noexec"}));
        process["env"].push_back(std::string("NOTIFY_SOCKET=") + kNotifySocket);
    }

    json namespaces = json::array({json{{"type", "pid"}}, json{{"type", "ipc"}}, json{{"type", "uts"}},
                                   json{{"type", "mount"}}});
    if (c.cgroupns != "host") namespaces.push_back(json{{"type", "cgroup"}});
    if (!in.netnsPath.empty())
        namespaces.push_back(json{{"type", "network"}, {"path", in.netnsPath}});
    else if (c.network != "host")
        namespaces.push_back(json{{"type", "network"}});
    // The container's own user namespace (--uidmap, --userns): created with the others, so
    // it owns them, the network namespace too (the engine's network helper takes it once it
    // exists, network.hpp); one joined by path (container:ID) stays its owner's.
    if (!c.uidMappings.empty()) namespaces.push_back(json{{"type", "user"}});

    json linux = {
        {"namespaces", namespaces},
        {"devices", json::array({device("/dev/null", 1, 3), device("/dev/zero", 1, 5), device("/dev/full", 1, 7),
                                 device("/dev/random", 1, 8), device("/dev/urandom", 1, 9),
                                 device("/dev/tty", 5, 0)})},
        {"maskedPaths",
         {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/selinux",
          "/sys/dev/block"}},
        {"readonlyPaths",
         {"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
        {"rootfsPropagation", "private"},
    };
    if (!c.uidMappings.empty()) {
        auto ociMaps = [](const std::vector<IdMapping>& maps) {
            json a = json::array();
            for (const auto& m : maps) a.push_back({{"containerID", m.containerId}, {"hostID", m.hostId}, {"size", m.size}});
            return a;
        };
        linux["uidMappings"] = ociMaps(c.uidMappings);
        linux["gidMappings"] = ociMaps(c.gidMappings);
    }
    if (c.privileged) {
        linux["maskedPaths"] = json::array();
        linux["readonlyPaths"] = json::array();
        std::set<std::string> have;
        for (const auto& d : linux["devices"]) have.insert(d["path"].get<std::string>());
        for (const auto& d : in.hostDevices)
            if (have.insert(d.path).second)
                linux["devices"].push_back({{"path", d.path}, {"type", std::string(1, d.type)}, {"major", d.major},
                                            {"minor", d.minor}, {"fileMode", d.mode}, {"uid", d.uid}, {"gid", d.gid}});
    }
    if (!in.seccomp.is_null() && !c.privileged) linux["seccomp"] = in.seccomp;
    if (systemd && !in.cgroupsPath.empty()) linux["cgroupsPath"] = in.cgroupsPath;
    // ping without NET_RAW (podman's default_sysctls), in the container's own network only.
    // With a user namespace of the container's own, a network namespace of another
    // container's (container:ID) is not the container's to write.
    if (c.network != "host" && (c.uidMappings.empty() || c.network.rfind("container:", 0) != 0))
        linux["sysctl"] = {{"net.ipv4.ping_group_range", "0 0"}};

    json annotations = c.annotations;
    annotations["io.hutch.container.id"] = in.containerId;
    json spec = {{"ociVersion", "1.0.2"},
                 {"process", process},
                 {"root", {{"path", in.rootfs}, {"readonly", c.readOnly}}},
                 {"hostname", hostname},
                 {"mounts", mounts},
                 {"annotations", annotations},
                 {"linux", linux}};
    applyProcessFlags(spec, c.proc, in.procHost, in.rootless, c.network);
    return spec;
}

}  // namespace hutch::engine
