#include "hutch/engine/launch/procflags_host.hpp"

#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/spec/user.hpp"

namespace hutch::engine {

namespace {

const std::pair<const char*, int> kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

std::optional<rlimit> currentLimit(const std::string& type) {
    for (auto [name, res] : kRlimits)
        if (type == name) {
            rlimit rl{};
            if (::getrlimit(res, &rl) == 0) return rl;
        }
    return std::nullopt;
}

/// The gid of group `name` in the rootfs's /etc/group, or nullopt.
std::optional<uint32_t> groupId(const std::string& rootfs, const std::string& name) {
    auto text = readFileInRoot(rootfs, "/etc/group");
    if (!text) return std::nullopt;
    for (const auto& line : str::split(*text, '\n')) {
        auto f = str::split(line, ':');
        if (f.size() >= 3 && f[0] == name) {
            try {
                return static_cast<uint32_t>(std::stoul(f[2]));
            } catch (const std::exception&) {
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

/// strerror as Go words it: "no such file or directory".
std::string errnoText(int err) {
    std::string s = std::strerror(err);
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

bool allDigits(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

/// The running container `name` for --ipc/--pid container:NAME, as /proc/PID/ns/KIND.
std::string otherNamespace(Context& ctx, const std::string& flag, const std::string& value, const char* kind) {
    std::string other = value.substr(10);
    ContainerRecord o;
    try {
        o = loadContainer(ctx, other);
    } catch (const NotFound&) {
        throw InvalidArgument(std::string("looking up container to share ") + kind + " namespace with: no container with name or ID \"" +
                              other + "\" found: no such container");
    }
    if (effectiveStatus(o) != ContainerStatus::Running || o.pid <= 0)
        throw InvalidArgument(flag + " " + value + ": the container is not running");
    return "/proc/" + std::to_string(o.pid) + "/ns/" + kind;
}

/// True when the cgroup2 controllers our cgroup hands to its children include pids.
bool pidsControllerDelegated() {
    std::string ours;
    try {
        for (const auto& line : str::split(fsutil::readFile("/proc/self/cgroup"), '\n'))
            if (line.rfind("0::", 0) == 0) ours = line.substr(3);
    } catch (const Error&) {
        return false;
    }
    for (const char* mnt : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
        std::string dir = std::string(mnt) + ours;
        try {
            std::string ctl = fsutil::readFile(dir + "/cgroup.subtree_control");
            for (const auto& c : str::split(str::trim(ctl), ' '))
                if (c == "pids") return ::access((dir + "/cgroup.procs").c_str(), W_OK) == 0;
            return false;
        } catch (const Error&) {
        }
    }
    return false;
}

}  // namespace

std::string defaultInitBinary() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return "";
    std::string dir(buf, static_cast<size_t>(n));
    dir.erase(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/'));
    for (const char* rel : {"/hutch-init", "/../libexec/hutch/hutch-init"})
        if (std::string p = dir + rel; ::access(p.c_str(), X_OK) == 0) return p;
    return "";
}

ProcessHost resolveProcessHost(Context& ctx, const ContainerRecord& rec, const std::string& rootfs,
                               const std::string& cgroupPath) {
    const ProcessFlags& f = rec.config.proc;
    ProcessHost h;
    for (const auto& u : f.ulimits) {
        if (u == "host") {
            for (auto [name, res] : kRlimits) {
                rlimit rl{};
                if (::getrlimit(res, &rl) == 0) h.hostUlimits.push_back({name, rl.rlim_cur, rl.rlim_max});
            }
            continue;
        }
        Ulimit want = parseUlimit(u);
        // Raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace.
        auto cur = currentLimit(want.type);
        if (ctx.rootless() && cur && cur->rlim_max != RLIM_INFINITY && want.hard > cur->rlim_max)
            throw CommandError(126, "--ulimit " + u + ": error setting rlimit " + want.type +
                                        ": operation not permitted (above the caller's hard limit " +
                                        std::to_string(cur->rlim_max) + "): OCI permission denied");
    }
    for (const auto& g : f.groupAdd) {
        if (g == "keep-groups") continue;
        if (allDigits(g)) {
            h.groupIds.push_back(static_cast<uint32_t>(std::stoul(g)));
            continue;
        }
        auto gid = groupId(rootfs, g);
        if (!gid)
            throw CommandError(126, "looking up supplemental groups for container " + rec.id + ": Unable to find group " + g +
                                        ": no matching entries in group file");
        h.groupIds.push_back(*gid);
    }
    for (const auto& d : f.devices) {
        DeviceFlag df = parseDeviceFlag(d);
        struct stat st {};
        if (::stat(df.hostPath.c_str(), &st) != 0)
            throw InvalidArgument("--device: stat " + df.hostPath + ": " + errnoText(errno));
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            throw InvalidArgument("--device: " + df.hostPath + " is not a device node");
        h.devices.push_back({df.hostPath, df.containerPath, S_ISBLK(st.st_mode) ? 'b' : 'c', major(st.st_rdev),
                             minor(st.st_rdev), static_cast<unsigned>(st.st_mode & 07777)});
    }
    if (f.ipc.rfind("container:", 0) == 0) h.ipcNsPath = otherNamespace(ctx, "--ipc", f.ipc, "ipc");
    if (f.pid.rfind("container:", 0) == 0) h.pidNsPath = otherNamespace(ctx, "--pid", f.pid, "pid");
    if (f.init) {
        h.initBinary = f.initPath.empty() ? defaultInitBinary() : f.initPath;
        struct stat st {};
        if (h.initBinary.empty() || ::stat(h.initBinary.c_str(), &st) != 0)
            throw InvalidArgument("container-init binary not found on the host: stat " +
                                  (h.initBinary.empty() ? std::string("hutch-init") : h.initBinary) +
                                  ": no such file or directory");
    }
    if (f.pidsLimit) {
        if (!ctx.rootless() || pidsControllerDelegated())
            h.cgroupsPath = cgroupPath;
        else
            log::warn("Resource limits are not supported and ignored on cgroups V1 rootless systems");
    }
    return h;
}

}  // namespace hutch::engine
