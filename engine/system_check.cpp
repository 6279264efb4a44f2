#include "hutch/engine/system_check.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/idmap.hpp"
#include "hutch/common/proc.hpp"
#include "hutch/engine/core/runtime_proc.hpp"
#include "hutch/runtime/cgroup.hpp"

namespace hutch::engine {
namespace {

constexpr uint64_t kWantIds = 65536;

CheckResult ok(const std::string& name, const std::string& detail) { return {name, CheckStatus::Ok, detail, ""}; }
CheckResult note(const std::string& name, const std::string& detail, const std::string& fix = "") {
    return {name, CheckStatus::Note, detail, fix};
}
CheckResult problem(const std::string& name, const std::string& detail, const std::string& fix) {
    return {name, CheckStatus::Problem, detail, fix};
}

/// A sysctl value as an integer; nullopt when absent or not a number.
std::optional<long long> number(const std::optional<std::string>& v) {
    if (!v) return std::nullopt;
    std::string t = str::trim(*v);
    if (t.empty()) return std::nullopt;
    try {
        size_t used = 0;
        long long n = std::stoll(t, &used);
        if (used != t.size()) return std::nullopt;
        return n;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

/// A persistent sysctl setting, applied now: the drop-in file and `sysctl --system`.
std::string sysctlFix(const std::string& key, const std::string& value, const std::string& file) {
    return "echo '" + key + "=" + value + "' | sudo tee /etc/sysctl.d/" + file + " && sudo sysctl --system";
}

std::optional<std::string> readOptional(const std::string& path) {
    try {
        return fsutil::readFile(path);
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace

CheckResult checkSubIds(const std::string& name, const std::string& path, const std::string& siblingPath,
                        const std::string& user, uid_t uid) {
    auto ranges = readSubIds(path, user, uid);
    uint64_t total = 0;
    std::string list;
    for (const auto& r : ranges) {
        total += r.count;
        if (!list.empty()) list += ", ";
        list += std::to_string(r.start) + "-" + std::to_string(static_cast<uint64_t>(r.start) + r.count - 1);
    }
    if (total >= kWantIds)
        return ok(name, user + " has " + std::to_string(total) + " ids in " + path + " (" + list + ")");
    uint64_t start = std::max(freeSubIdStart(path), freeSubIdStart(siblingPath));
    std::string range = std::to_string(start) + "-" + std::to_string(start + kWantIds - 1);
    std::string detail = ranges.empty() ? "no range for " + user + " in " + path
                                        : user + " has only " + std::to_string(total) + " ids in " + path + " (" + list +
                                              "), fewer than 65536";
    return problem(name, detail,
                   "sudo usermod --add-" + name + "s " + range + " " + user + " && hutch system migrate");
}

CheckResult checkIdMapTool(const std::string& tool, const std::string& path, mode_t mode, uid_t owner, bool fileCaps) {
    if (path.empty())
        return problem(tool, tool + " not found (package uidmap)", "sudo apt-get install -y uidmap");
    if ((mode & S_ISUID) && owner == 0) return ok(tool, path + " is setuid root");
    if (fileCaps) return ok(tool, path + " has file capabilities");
    const char* cap = tool == "newuidmap" ? "cap_setuid" : "cap_setgid";
    return problem(tool, path + " is neither setuid root nor has file capabilities",
                   "sudo setcap " + std::string(cap) + "+ep " + path);
}

CheckResult checkCgroup(const CgroupFacts& f, const std::string& user, uid_t uid) {
    const std::string name = "cgroup";
    if (f.v2Mount.empty())
        return problem(name, "no cgroup2 hierarchy is mounted (cgroup v1 only): systemd containers need one",
                       "sudo mkdir -p /sys/fs/cgroup/unified && sudo mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified");
    const bool hybrid = f.v2Mount != "/sys/fs/cgroup";
    const std::string dir = f.v2Mount + (f.ownPath == "/" ? "" : f.ownPath);
    if (f.ownPath.empty() || !f.writable) {
        std::string where = f.ownPath.empty() ? "this process has no cgroup2 path" : dir + " is not writable by " + user;
        return problem(name, where + ": no delegated cgroup2 subtree (systemd containers need one)",
                       "sudo loginctl enable-linger " + user +
                           " && systemd-run --user --scope -p Delegate=yes $SHELL  # then run hutch from that shell");
    }
    std::vector<std::string> missing;
    auto have = str::split(str::trim(f.controllers), ' ');
    for (const char* c : {"cpu", "memory", "pids"})
        if (std::find(have.begin(), have.end(), c) == have.end()) missing.push_back(c);
    std::string detail = "delegated cgroup2 subtree " + dir + " (controllers: " +
                         (str::trim(f.controllers).empty() ? std::string("none") : str::trim(f.controllers)) + ")";
    if (hybrid)
        return ok(name, detail + "; cgroup v1/hybrid host: containers use the cgroup2 tree at " + f.v2Mount +
                            ", resource limits are not available");
    if (!missing.empty())
        return note(name, detail + "; not delegated: " + str::join(missing, " ") + " (no limits on them)",
                    "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io "
                    "memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl "
                    "daemon-reload && sudo systemctl restart user@" + std::to_string(uid) + ".service");
    return ok(name, detail);
}

CheckResult checkNetwork(bool tunCharDev, bool tunUsable, const std::string& pasta, const std::string& slirp4netns) {
    const std::string name = "network";
    if (!tunCharDev)
        return problem(name, "/dev/net/tun is missing (private networks need it)",
                       "sudo modprobe tun || (sudo mkdir -p /dev/net && sudo mknod -m 0666 /dev/net/tun c 10 200)");
    if (!tunUsable) return problem(name, "/dev/net/tun cannot be opened read-write", "sudo chmod 0666 /dev/net/tun");
    if (pasta.empty() && slirp4netns.empty())
        return problem(name, "neither slirp4netns nor pasta is installed", "sudo apt-get install -y slirp4netns passt");
    std::string helpers = slirp4netns.empty() ? pasta : pasta.empty() ? slirp4netns : slirp4netns + ", " + pasta;
    return ok(name, "/dev/net/tun, " + helpers);
}

CheckResult checkOverlay(const std::string& kernelRelease, bool fuseUsable, const std::string& fuseOverlayfs) {
    const std::string name = "overlay";
    int major = 0, minor = 0;
    bool parsed = std::sscanf(kernelRelease.c_str(), "%d.%d", &major, &minor) == 2;
    if (parsed && (major > 5 || (major == 5 && minor >= 11)))
        return ok(name, "native overlay in a user namespace (Linux " + kernelRelease + ")");
    std::string detail = "Linux " + kernelRelease +
                         " has no overlay in a user namespace (5.11+): hutch stores layers with the vfs driver (a copy "
                         "per layer)";
    detail += std::string("; /dev/fuse ") + (fuseUsable ? "usable" : "not usable") + ", fuse-overlayfs " +
              (fuseOverlayfs.empty() ? "not installed" : "at " + fuseOverlayfs) + " (hutch does not use it)";
    return note(name, detail, "a kernel >= 5.11 (Debian 12's 6.1)");
}

CheckResult checkUnprivilegedPorts(const std::optional<std::string>& value) {
    const std::string name = "ports";
    auto n = number(value);
    if (!n) return note(name, "net.ipv4.ip_unprivileged_port_start is not readable");
    if (*n <= 0) return ok(name, "net.ipv4.ip_unprivileged_port_start=" + std::to_string(*n) + ": every port can be published");
    return note(name,
                "net.ipv4.ip_unprivileged_port_start=" + std::to_string(*n) + ": host ports below " + std::to_string(*n) +
                    " cannot be published",
                sysctlFix("net.ipv4.ip_unprivileged_port_start", "80", "90-hutch-ports.conf"));
}

CheckResult checkUserNamespaces(const std::optional<std::string>& maxUserNamespaces,
                                const std::optional<std::string>& unprivilegedUsernsClone) {
    const std::string name = "userns";
    auto maxNs = number(maxUserNamespaces);
    if (maxNs && *maxNs <= 0)
        return problem(name, "user.max_user_namespaces=" + std::to_string(*maxNs) + ": user namespaces are disabled",
                       sysctlFix("user.max_user_namespaces", "28633", "90-hutch-userns.conf"));
    auto clone = number(unprivilegedUsernsClone);
    if (unprivilegedUsernsClone && clone && *clone == 0)
        return problem(name, "kernel.unprivileged_userns_clone=0: unprivileged users cannot create user namespaces",
                       sysctlFix("kernel.unprivileged_userns_clone", "1", "90-hutch-userns.conf"));
    std::string detail = "user.max_user_namespaces=" + (maxNs ? std::to_string(*maxNs) : std::string("?"));
    if (clone) detail += ", kernel.unprivileged_userns_clone=" + std::to_string(*clone);
    return ok(name, detail);
}

CheckResult checkAppArmorUserns(const std::optional<std::string>& restrict, const std::vector<std::string>& binaries) {
    const std::string name = "apparmor";
    auto n = number(restrict);
    if (!restrict || !n) return ok(name, "kernel.apparmor_restrict_unprivileged_userns is not set");
    if (*n == 0) return ok(name, "kernel.apparmor_restrict_unprivileged_userns=0");
    std::string profiles;
    for (const auto& b : binaries) {
        std::string base = b.substr(b.rfind('/') + 1);
        profiles += "abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile " + base + " " + b +
                    " flags=(unconfined) {\\n  userns,\\n}\\n";
    }
    return problem(name,
                   "kernel.apparmor_restrict_unprivileged_userns=" + std::to_string(*n) +
                       ": AppArmor denies user namespaces to unconfined programs",
                   "printf '" + profiles +
                       "' | sudo tee /etc/apparmor.d/hutch && sudo apparmor_parser -r /etc/apparmor.d/hutch");
}

std::vector<CheckResult> runSystemChecks() {
    std::vector<CheckResult> out;
    const uid_t uid = ::getuid();
    std::string user = std::to_string(uid);
    if (struct passwd* pw = ::getpwuid(uid); pw && pw->pw_name) user = pw->pw_name;

    out.push_back(checkSubIds("subuid", "/etc/subuid", "/etc/subgid", user, uid));
    out.push_back(checkSubIds("subgid", "/etc/subgid", "/etc/subuid", user, uid));
    for (const std::string tool : {"newuidmap", "newgidmap"}) {
        std::string path = proc::findProgram(tool);
        struct stat st {};
        bool caps = false;
        if (!path.empty() && ::stat(path.c_str(), &st) == 0)
            caps = ::getxattr(path.c_str(), "security.capability", nullptr, 0) > 0;
        out.push_back(checkIdMapTool(tool, path, st.st_mode, st.st_uid, caps));
    }

    CgroupFacts cg;
    cg.v2Mount = runtime::cgroup2MountPoint();
    if (auto self = readOptional("/proc/self/cgroup"))
        for (const auto& line : str::split(*self, '\n'))
            if (line.rfind("0::", 0) == 0) cg.ownPath = line.substr(3);
    if (!cg.v2Mount.empty() && !cg.ownPath.empty()) {
        std::string dir = cg.v2Mount + (cg.ownPath == "/" ? "" : cg.ownPath);
        cg.writable = ::access(dir.c_str(), W_OK) == 0;
        cg.controllers = readOptional(dir + "/cgroup.controllers").value_or("");
    }
    out.push_back(checkCgroup(cg, user, uid));

    struct stat tun {};
    bool tunDev = ::stat("/dev/net/tun", &tun) == 0 && S_ISCHR(tun.st_mode);
    out.push_back(checkNetwork(tunDev, tunDev && ::access("/dev/net/tun", R_OK | W_OK) == 0, proc::findProgram("pasta"),
                               proc::findProgram("slirp4netns")));

    struct utsname u {};
    ::uname(&u);
    out.push_back(checkOverlay(u.release, ::access("/dev/fuse", R_OK | W_OK) == 0, proc::findProgram("fuse-overlayfs")));
    out.push_back(checkUnprivilegedPorts(readOptional("/proc/sys/net/ipv4/ip_unprivileged_port_start")));
    out.push_back(checkUserNamespaces(readOptional("/proc/sys/user/max_user_namespaces"),
                                      readOptional("/proc/sys/kernel/unprivileged_userns_clone")));

    std::vector<std::string> binaries;
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) binaries.emplace_back(self, static_cast<size_t>(n));
    auto rt = runtimeCommand("run");
    if (!rt.empty() && (binaries.empty() || rt[0] != binaries[0])) binaries.push_back(rt[0]);
    out.push_back(checkAppArmorUserns(readOptional("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"), binaries));
    return out;
}

std::string formatCheck(const CheckResult& r) {
    const char* status = r.status == CheckStatus::Ok ? "ok       " : r.status == CheckStatus::Note ? "note     " : "problem  ";
    std::string line = status + r.name + ": " + r.detail;
    if (!r.fix.empty()) line += (r.status == CheckStatus::Problem ? "; fix: " : "; to change: ") + r.fix;
    return line;
}

}  // namespace hutch::engine
