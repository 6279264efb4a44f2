// specgen: image config + run flags -> OCI runtime spec (runtime-spec config.md,
// config-linux.md). Pure: no I/O, so it is unit-tested directly.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/spec/health.hpp"
#include "hutch/engine/spec/host_devices.hpp"
#include "hutch/engine/spec/netconf.hpp"
#include "hutch/engine/spec/procflags.hpp"
#include "hutch/engine/spec/mountspec.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/engine/spec/userns.hpp"

namespace hutch::engine {

/// The subset of the image config that shapes a container (OCI image-spec config.md).
struct ImageDefaults {
    std::vector<std::string> env, entrypoint, cmd;
    std::string user, workingDir, stopSignal;
};

/// What `run` asked for (podman's flags of the same names).
struct ContainerConfig {
    std::vector<std::string> command;           ///< arguments after the image name
    std::optional<std::vector<std::string>> entrypoint;  ///< --entrypoint (empty vector clears it)
    std::vector<std::string> env;               ///< -e, after --env-file entries, in order
    std::string hostname;                       ///< -h ("" = first 12 chars of the id)
    std::string workdir;                        ///< -w
    std::string user;                           ///< -u
    std::string network = "private";            ///< private|pasta|slirp4netns|host|none|container:ID
    NetworkOptions net;                         ///< ports, DNS and hosts flags (netconf.hpp)
    bool tty = false;                           ///< -t
    bool interactive = false;                   ///< -i
    std::vector<std::string> capAdd, capDrop;   ///< --cap-add, --cap-drop (names, any case, ALL)
    bool privileged = false;                    ///< --privileged: all capabilities, no seccomp, no masks
    std::string seccompProfile;                 ///< --security-opt seccomp=: "" default, "unconfined", or a path
    bool noNewPrivileges = false;               ///< --security-opt no-new-privileges
    bool readOnly = false;                      ///< --read-only (with tmpfs on /run, /tmp, /var/tmp)
    std::string systemd = "true";               ///< --systemd=true|false|always
    std::string sdNotify;                       ///< --sdnotify=container|conmon|ignore ("" = sdNotifyMode's default)
    std::vector<MountSpec> mounts;              ///< -v, --mount, --tmpfs, then image VOLUMEs (engine/mountspec.hpp)
    UsernsFlags userns;                         ///< --userns, --uidmap, --gidmap as given
    /// The container's own user namespace, resolved at create (resolveUserns): container id
    /// -> id of hutch's namespace. Empty = none (the files and ids of the session).
    std::vector<IdMapping> uidMappings, gidMappings;
    std::string usernsMode;                     ///< UsernsPlan::mode ("" = host)
    std::string cgroupns = "private";           ///< --cgroupns=private (a cgroup namespace of its own) | host

    // Labels, annotations and the record's other flags.
    std::map<std::string, std::string> labels;       ///< the image's labels, then --label/--label-file
    std::map<std::string, std::string> annotations;  ///< --annotation (OCI spec annotations)
    bool envHost = false;                            ///< --env-host: hutch's environment first
    std::vector<std::string> unsetEnv;               ///< --unsetenv NAME: default variables left out
    bool unsetEnvAll = false;                        ///< --unsetenv-all: only -e/--env-file variables
    std::string timezone;                            ///< --tz: "local" or an Area/City zone ("" = the image's)
    bool noHostname = false;                         ///< --no-hostname: no /etc/hostname is made
    std::string logDriver = "k8s-file";              ///< --log-driver: k8s-file (hutch logs reads it) | none
    std::map<std::string, std::string> logOptions;   ///< --log-opt: path=FILE, max-size=SIZE (bytes, k, m, g)

    // The process's kernel settings and resources.
    ProcessFlags proc;                          ///< --ulimit, --sysctl, --device, --ipc, --pid, --init, ... (procflags.hpp)

    // Health checks and restart policy.
    RestartPolicy restart;                      ///< --restart (name "" = not given: no)
    HealthFlags health;                         ///< --health-*, --no-healthcheck as given (effectiveHealthcheck)
};

/// Files the engine generated for the container, bind-mounted in.
struct GeneratedFiles {
    std::string hostname, hosts, resolvConf;
    std::string containerEnv;  ///< /run/.containerenv (containerEnvFile), "" = none
    std::string localtime;     ///< --tz: the zone file for /etc/localtime, "" = none
};

/// Inputs to buildSpec. `user` must already be resolved against the rootfs.
struct SpecInputs {
    std::string containerId;
    std::string rootfs;
    ImageDefaults image;
    ContainerConfig config;
    ResolvedUser user;
    GeneratedFiles files;            ///< hosts "" = --no-hosts (the image's file stays)
    std::string netnsPath;           ///< network namespace to join (private, container:); "" = new one
    bool rootless = false;
    nlohmann::json seccomp;          ///< linux.seccomp object; null = no filter
    std::string cgroupsPath;         ///< systemd mode: the container's own cgroup (cgroup v2 path)
    uint64_t nofileLimit = 1048576;  ///< RLIMIT_NOFILE for the container (the caller's hard limit)
    std::vector<HostDevice> hostDevices;  ///< --privileged: the host's devices to add (hostDevices())
    /// sd_notify socket directory (the monitor's, sdNotifyMode Container): bind-mounted on
    /// /run/notify, with NOTIFY_SOCKET=/run/notify/notify.sock in the environment. "" = none.
    std::string notifySocketDir;
    /// The run's mounts as OCI mounts, sources resolved (engine/run.cpp writeBundle). They
    /// replace default mounts at the same destination and go last, parents before children.
    nlohmann::json userMounts = nlohmann::json::array();
    ProcessHost procHost;            ///< host facts for config.proc (procflags.hpp)
};

/// Entrypoint + Cmd as Docker combines them: --entrypoint replaces the image's
/// entrypoint and drops its Cmd; a command after the image replaces Cmd. Throws
/// InvalidArgument when the result is empty.
std::vector<std::string> effectiveCommand(const ImageDefaults& image, const ContainerConfig& config);

/// The container environment: PATH default, TERM with -t, container=podman, HOSTNAME,
/// HOME from the user, then the image's Env, then the run's -e entries (later wins).
/// --unsetenv NAME leaves a default (not an -e entry) out; --unsetenv-all leaves only the
/// -e entries.
std::vector<std::string> effectiveEnv(const ImageDefaults& image, const ContainerConfig& config,
                                      const std::string& hostname, const std::string& home);

/// The text of /run/.containerenv, which tells programs inside (toolbox, distrobox,
/// systemd-detect-virt via container=podman) that they run in a podman-style container: as
/// podman writes it, the key="value" lines engine, name, id, image, imageid, rootless=0|1 for
/// a --privileged container, and an empty file otherwise.
std::string containerEnvFile(const ContainerConfig& config, const std::string& engineVersion, const std::string& name,
                             const std::string& id, const std::string& image, const std::string& imageId, bool rootless);

/// The hostname the container gets: -h, else the first 12 characters of its id.
std::string effectiveHostname(const ContainerConfig& config, const std::string& containerId);

/// systemd mode (podman's --systemd): "always", or "true" when the effective command (after
/// a leading /bin/sh -c) is /sbin/init, /usr/sbin/init, /usr/local/sbin/init or ends in
/// /systemd. Throws InvalidArgument for a value other than true, false, always.
bool systemdMode(const ImageDefaults& image, const ContainerConfig& config);

/// How a detached container's readiness is reported (podman's --sdnotify).
enum class SdNotify {
    Container,  ///< the container gets NOTIFY_SOCKET; `run -d`/`start` return when it sends READY=1
    Conmon,     ///< ready as soon as the container's process runs (the monitor reports it)
    Ignore,     ///< as Conmon, and nothing is sent to the caller's NOTIFY_SOCKET
};

/// The container's sd_notify mode: --sdnotify, else Container in systemd mode (systemd as
/// PID 1 reports READY=1 once it booted) and Conmon otherwise. Throws InvalidArgument for a
/// value other than container, conmon, ignore.
SdNotify sdNotifyMode(const ImageDefaults& image, const ContainerConfig& config);

/// Where the container sees the sd_notify socket (SdNotify::Container).
inline constexpr const char* kNotifySocketDir = "/run/notify";
inline constexpr const char* kNotifySocket = "/run/notify/notify.sock";

/// The capabilities of the container's process: podman's default set with --cap-add and
/// --cap-drop, all of them with --privileged, and all of them in systemd mode with a user
/// namespace of the container's own (as LXC gives its unprivileged containers): there they
/// count only in that namespace, and PID 1 needs CAP_SYS_ADMIN in it to sandbox units
/// (PrivateTmp, ProtectSystem, DynamicUser, ...). --cap-drop still applies. Throws
/// InvalidArgument for an unknown capability.
std::vector<std::string> containerCapabilities(const ImageDefaults& image, const ContainerConfig& config);

/// Builds config.json (runtime-spec 1.0.2). Throws InvalidArgument on bad flags.
nlohmann::json buildSpec(const SpecInputs& in);


}  // namespace hutch::engine
