// `hutch system check` (hutch's own verb; podman 4.3 has none): is this host and user ready
// for rootless containers? One result per check, each with the exact command that fixes a
// problem. The check functions take their inputs (paths, file contents, facts gathered from
// the host) so the unit tests run them on fakes; runSystemChecks() gathers the real ones.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace hutch::engine {

enum class CheckStatus {
    Ok,       ///< ready
    Note,     ///< works, with a limit worth knowing (does not fail the check)
    Problem,  ///< rootless containers (or a part of them) fail until fixed
};

/// One check's outcome.
struct CheckResult {
    std::string name;    ///< short name: subuid, subgid, newuidmap, ...
    CheckStatus status = CheckStatus::Ok;
    std::string detail;  ///< what was found
    std::string fix;     ///< the command that fixes it ("" when none is needed)
};

/// The user's subordinate ids in `path` (/etc/subuid or /etc/subgid, its sibling the other
/// one; matched by name or uid): Ok when they total at least 65536 ids, else Problem with
/// `sudo usermod --add-subuids|--add-subgids FIRST-LAST USER && hutch system migrate`, the
/// range the first 65536 ids free in both files (as useradd would grant). `name` is
/// "subuid" or "subgid". Throws SysError when a file exists but cannot be read.
CheckResult checkSubIds(const std::string& name, const std::string& path, const std::string& siblingPath,
                        const std::string& user, uid_t uid);

/// newuidmap or newgidmap (`tool`) at `path` ("" = not found), with its mode, owner and
/// whether it carries a security.capability xattr: Ok when it is setuid root or has file
/// capabilities; Problem otherwise (install `uidmap`, or restore the setuid bit).
CheckResult checkIdMapTool(const std::string& tool, const std::string& path, mode_t mode, uid_t owner, bool fileCaps);

/// What checkCgroup needs to know about the host's cgroups.
struct CgroupFacts {
    std::string v2Mount;      ///< the cgroup2 mount point: /sys/fs/cgroup (unified), /sys/fs/cgroup/unified (hybrid), "" (v1 only)
    std::string ownPath;      ///< the "0::" path of /proc/self/cgroup ("" when none)
    bool writable = false;    ///< the user may create cgroups in v2Mount + ownPath
    std::string controllers;  ///< its cgroup.controllers (space-separated)
};

/// cgroup v2 delegation: Ok when the user's cgroup2 subtree is writable (systemd containers
/// get their own cgroup there), noting the controllers missing for resource limits (cpu,
/// memory, pids: a Note with systemd's Delegate= drop-in on a unified host) and a cgroup
/// v1/hybrid host; Problem without a cgroup2 mount or a writable subtree.
CheckResult checkCgroup(const CgroupFacts& f, const std::string& user, uid_t uid);

/// /dev/net/tun (`tunCharDev`: it is a character device, `tunUsable`: the user may open it
/// read-write) and a network helper (paths "" = not found): Ok with either pasta or
/// slirp4netns; Problem otherwise.
CheckResult checkNetwork(bool tunCharDev, bool tunUsable, const std::string& pasta, const std::string& slirp4netns);

/// Native overlay in a user namespace needs Linux >= 5.11 (`kernelRelease`, uname -r): Ok;
/// before it, a Note (hutch falls back to the vfs driver, a copy per layer), which names
/// /dev/fuse (`fuseUsable`) and fuse-overlayfs (`fuseOverlayfs`, "" = not found) when found.
CheckResult checkOverlay(const std::string& kernelRelease, bool fuseUsable, const std::string& fuseOverlayfs);

/// net.ipv4.ip_unprivileged_port_start (`value`, nullopt = not readable): Ok when 0 (every
/// port can be published), else a Note saying which ports cannot be, with the sysctl.
CheckResult checkUnprivilegedPorts(const std::optional<std::string>& value);

/// user.max_user_namespaces (must be > 0) and Debian's kernel.unprivileged_userns_clone (must
/// be 1 when the file exists; nullopt = absent): Ok, or Problem with a persistent sysctl.
CheckResult checkUserNamespaces(const std::optional<std::string>& maxUserNamespaces,
                                const std::optional<std::string>& unprivilegedUsernsClone);

/// kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+; nullopt = absent): "1" is a
/// Problem, fixed by an AppArmor profile that allows `userns` for each of `binaries` (hutch
/// and hutch-runtime), loaded with apparmor_parser.
CheckResult checkAppArmorUserns(const std::optional<std::string>& restrict, const std::vector<std::string>& binaries);

/// Runs every check for the calling user on this host, in the order above (subuid, subgid,
/// newuidmap, newgidmap, cgroup, network, overlay, ports, userns, apparmor).
std::vector<CheckResult> runSystemChecks();

/// One line: "ok       NAME: DETAIL" / "note     ..." / "problem  NAME: DETAIL; fix: FIX".
std::string formatCheck(const CheckResult& r);

}  // namespace hutch::engine
