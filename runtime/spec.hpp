// The subset of the OCI runtime-spec 1.0.2 config.json (config.md, config-linux.md) that
// the embedded runtime implements, parsed into plain structs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hutch/common/idmap.hpp"
#include "hutch/runtime/seccomp.hpp"

namespace hutch::runtime {

/// config.md "Mounts": one entry of `mounts`, in order.
struct Mount {
    std::string destination, type, source;
    std::vector<std::string> options;
};

/// config-linux.md "Namespaces": type is pid|network|mount|ipc|uts|user|cgroup; a path
/// (an nsfs file such as /proc/PID/ns/net or a bind mount of one) joins that namespace
/// with setns(2) instead of creating one: supported for network, ipc, uts and pid.
struct Namespace {
    std::string type, path;
};

/// config-linux.md "Devices".
struct Device {
    std::string path, type;  ///< type: c, u, b, p
    int64_t major = 0, minor = 0;
    std::optional<uint32_t> fileMode, uid, gid;
};

/// config.md "POSIX process rlimits".
struct Rlimit {
    std::string type;  ///< e.g. RLIMIT_NOFILE
    uint64_t soft = 0, hard = 0;
};

/// config.md "Linux Process" capabilities: names like CAP_CHOWN per set. A missing set is empty.
struct Capabilities {
    std::vector<std::string> bounding, effective, permitted, inheritable, ambient;
};

/// config.md "Process".
struct Process {
    bool terminal = false;
    uint32_t uid = 0, gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additionalGids;
    std::vector<std::string> args, env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;  ///< absent = leave capabilities alone
    std::vector<Rlimit> rlimits;
    bool noNewPrivileges = false;
    std::optional<int> oomScoreAdj;  ///< process.oomScoreAdj, written to /proc/self/oom_score_adj
    /// crun's annotation run.oci.keep_original_groups=1 (podman's --group-add keep-groups):
    /// setgroups is not called, the caller's supplementary groups stay.
    bool keepOriginalGroups = false;
};

/// The parsed config.json.
struct Spec {
    std::string ociVersion;
    std::string rootPath;  ///< absolute (resolved against the bundle)
    bool rootReadonly = false;
    Process process;
    std::string hostname, domainname;
    std::vector<Mount> mounts;
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uidMappings, gidMappings;
    std::vector<Device> devices;
    std::vector<std::string> maskedPaths, readonlyPaths;
    std::vector<std::pair<std::string, std::string>> sysctl;
    std::string rootfsPropagation;  ///< "" = rslave
    std::optional<Seccomp> seccomp; ///< linux.seccomp; absent = no filter
    std::string cgroupsPath;        ///< linux.cgroupsPath (absolute, cgroup v2); "" = stay in ours
    std::optional<int64_t> pidsLimit;  ///< linux.resources.pids.limit (-1 = max), with cgroupsPath

    bool hasNamespace(const std::string& type) const;
};

/// Parses config.json text. `bundleDir` resolves a relative root.path. Throws
/// ConfigError(file, 0, "...field...") on missing/ill-typed required fields (ociVersion,
/// root.path, process.args, process.cwd absolute) and unsupported values (a path for a
/// pid/mount/user/cgroup namespace, an unknown namespace type).
Spec parseSpec(const std::string& json, const std::string& bundleDir, const std::string& fileName = "config.json");

/// Reads and parses BUNDLE/config.json. Throws NotFound, ConfigError.
Spec loadSpec(const std::string& bundleDir);

}  // namespace hutch::runtime
