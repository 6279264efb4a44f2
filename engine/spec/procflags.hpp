// The process's kernel settings and resources (podman's --ulimit, --sysctl, --shm-size,
// --oom-score-adj, --pids-limit, --umask, --group-add, --device, --device-cgroup-rule, --ipc,
// --pid, --init, --preserve-fds): the flags as given, their pure parsers, and what they add
// to the OCI spec. Pure: the host facts they need (device nodes, the caller's limits, the
// namespaces of other containers, group ids) are resolved by the engine into ProcessHost.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/spec/ulimit.hpp"

namespace hutch::engine {

/// The flags as the user gave them (kept in the container's record).
struct ProcessFlags {
    std::vector<std::string> ulimits;            ///< --ulimit TYPE=SOFT[:HARD] | host
    std::vector<std::string> sysctls;            ///< --sysctl NAME=VALUE
    std::optional<uint64_t> shmSize;             ///< --shm-size in bytes (parseShmSize)
    std::optional<int> oomScoreAdj;              ///< --oom-score-adj
    std::optional<int64_t> pidsLimit;            ///< --pids-limit (-1 or 0 = unlimited)
    std::string umask;                           ///< --umask (octal), "" = 0022
    std::vector<std::string> groupAdd;           ///< --group-add GID|NAME|keep-groups
    std::vector<std::string> devices;            ///< --device HOST[:CONTAINER][:PERMS]
    std::vector<std::string> deviceCgroupRules;  ///< --device-cgroup-rule "TYPE MAJ:MIN ACCESS"
    std::string ipc;                             ///< --ipc: ""/private/shareable, host, none, container:ID
    std::string pid;                             ///< --pid: ""/private, host, container:ID
    bool init = false;                           ///< --init
    std::string initPath;                        ///< --init-path ("" = hutch's own)
    unsigned preserveFds = 0;                    ///< --preserve-fds

    nlohmann::json toJson() const;
    static ProcessFlags fromJson(const nlohmann::json& j);
};


/// Splits "NAME=VALUE" and checks NAME is a namespaced sysctl podman allows (net.*,
/// kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) and that a net.* one does not meet
/// --network host. Throws InvalidArgument with podman's message otherwise.
std::pair<std::string, std::string> parseSysctl(const std::string& flag, const std::string& network);

/// Parses a --shm-size value: a number with an optional unit b, k, m, g (any case, an
/// optional trailing "b"/"ib", powers of 1024). Throws InvalidArgument otherwise.
uint64_t parseShmSize(const std::string& value);

/// Parses --umask (octal, at most 0777, 1-4 digits). Throws InvalidArgument.
uint32_t parseUmask(const std::string& value);

/// A parsed --device value.
struct DeviceFlag {
    std::string hostPath, containerPath, perms = "rwm";
};

/// Parses HOST[:CONTAINER][:PERMS] (PERMS: a combination of r, w, m). Throws InvalidArgument.
DeviceFlag parseDeviceFlag(const std::string& flag);

/// Checks a --device-cgroup-rule ("c|b|a MAJOR|*:MINOR|* [rwm]"). Throws InvalidArgument.
void checkDeviceCgroupRule(const std::string& rule);

/// Checks --ipc and --pid values (--ipc: private, shareable, host, none, container:NAME;
/// --pid: private, host, container:NAME, "" = private) and --group-add's keep-groups rule,
/// and parses the ulimits, sysctls, umask and devices: every error a flag can have before
/// the container exists. Throws InvalidArgument naming the flag.
void checkProcessFlags(const ProcessFlags& f, const std::string& network);

/// A device node found on the host for --device.
struct DeviceNode {
    std::string hostPath, containerPath;
    char type = 'c';
    unsigned major = 0, minor = 0;
    unsigned mode = 0666;
};

/// What the engine resolved on the host for these flags (launch time).
struct ProcessHost {
    std::vector<Ulimit> hostUlimits;       ///< --ulimit host: the caller's limits
    std::vector<uint32_t> groupIds;        ///< --group-add resolved against the rootfs
    std::vector<DeviceNode> devices;       ///< --device
    std::string ipcNsPath, pidNsPath;      ///< container:NAME: /proc/PID/ns/ipc|pid
    std::string initBinary;                ///< --init: the host path of the init program
    std::optional<std::string> cgroupsPath;  ///< --pids-limit with a cgroup of its own
};

/// Where --init's program is mounted in the container (podman's path).
inline constexpr const char* kInitMountPath = "/run/podman-init";

/// Adds the flags' effect to `spec` (built by buildSpec): rlimits, sysctls, /dev/shm size,
/// oomScoreAdj, pids limit, umask, additional gids (keep-groups: crun's
/// run.oci.keep_original_groups annotation), devices (bind mounts when rootless), ipc and
/// pid namespaces, the init mount and argv. Throws InvalidArgument as checkProcessFlags.
void applyProcessFlags(nlohmann::json& spec, const ProcessFlags& f, const ProcessHost& host, bool rootless,
                       const std::string& network);

}  // namespace hutch::engine
