// A container's private network: a network namespace made by the engine before the container
// starts, connected to the host by a user-mode network stack (slirp4netns, else pasta), whose
// lifetime is tied to the container's. The runtime joins the namespace by path (config.json
// linux.namespaces {type network, path}), so nothing runs in the container before its network
// is configured.
//
// Design (podman 4.x with slirp4netns and rootlessport is similar): a "keeper" process, forked
// by the owner of the container's lifetime (`run` in the foreground, the monitor when
// detached), unshares a network namespace inside the session's user namespace, bind-mounts it
// on <runroot>/netns/<id>, relays the published ports (portfwd.hpp: host sockets bound before
// the fork, connections to 127.0.0.1 in the namespace) and waits on a pipe the owner holds.
// When the owner ends the network, or dies in any way (even SIGKILL), the pipe reaches EOF
// and the keeper unmounts and removes the file and stops the helper.
//
// A container with a user namespace of its own (--uidmap, --userns, systemd by default) gets
// a network namespace that namespace owns, so its root may configure it (NET_ADMIN): the
// runtime creates it with the user namespace, hands the engine the container's pid over the
// start gate, and the keeper holds /proc/PID/ns/net instead of making one (attach()); the
// helper and the published ports then work as above, and the process waits at the gate until
// they do. (podman does the same after the OCI runtime's create.)
//
// Why slirp4netns first: it is ready in about 5 ms, where pasta's start-up (about 30 MB of
// buffers faulted in) takes 50-100 ms on a VM with costly page faults; with published ports
// relayed by the keeper either way, pasta's faster data path matters only for outbound traffic.
#pragma once

#include <string>
#include <vector>

#include "hutch/common/fd.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/spec/netconf.hpp"
#include "hutch/engine/container/network_cleanup.hpp"
#include "hutch/engine/network/portfwd.hpp"

namespace hutch::engine {

/// Which helper `--network=private` uses here: "slirp4netns" when installed, else "pasta",
/// else "" (private networking unavailable). `executable` gets its path.
std::string defaultNetworkHelper(std::string* executable = nullptr);

/// A helper started by setupNetwork(wait = false) whose readiness is not known yet.
struct PendingHelper {
    int pid = 0;                     ///< pasta: its first process (exits once ready);
                                     ///< slirp4netns: the daemon itself; 0 = none
    UniqueFd readyFd;                ///< slirp4netns: its --ready-fd pipe (one byte once configured)
    std::vector<std::string> args;   ///< its command line, for error messages
    std::string pidFile, logFile;    ///< where it writes its daemon's pid (pasta) and its output
    std::string fallback;            ///< pasta's path when slirp4netns may fall back to it, else ""
};

/// The network of one running container; tears it down when destroyed.
class NetworkHandle {
public:
    NetworkHandle() = default;
    NetworkHandle(NetworkHandle&&) noexcept;
    NetworkHandle& operator=(NetworkHandle&&) noexcept;
    NetworkHandle(const NetworkHandle&) = delete;
    NetworkHandle& operator=(const NetworkHandle&) = delete;
    ~NetworkHandle() { teardown(); }

    const NetworkState& state() const { return state_; }
    /// True when the helper was started without waiting (or waits for attach()) and
    /// waitReady() is still due.
    bool pending() const { return pending_.pid > 0 || deferred_.active; }
    /// True when the network namespace is to be the container's own, made by the runtime
    /// with the container's user namespace: attach() takes it once the process exists.
    bool deferred() const { return deferred_.active; }
    /// Holds the network namespace of `containerPid` (the keeper bind-mounts it and relays
    /// the published ports into it) and starts the helper on it, without waiting. No-op
    /// unless deferred(). Throws as setupNetwork.
    void attach(pid_t containerPid);
    /// Waits until the helper has configured the namespace and hands its pid to the keeper.
    /// No-op when nothing is pending. Throws as setupNetwork.
    void waitReady();
    /// Stops the helper, unmounts and removes the namespace file, waits for the keeper.
    /// Idempotent; never throws.
    void teardown() noexcept;

private:
    friend NetworkHandle setupNetwork(Context& ctx, const ContainerRecord& rec, bool wait);
    /// What attach() needs: the helper chosen and the host ports bound by setupNetwork.
    struct Deferred {
        bool active = false;
        std::string exe, helper, mode, runDir, nsPath;
        PortForwarder forwarder;
    };
    void startHelper(const std::string& exe, const std::string& helper, const std::string& mode, const std::string& runDir);
    NetworkState state_;
    PendingHelper pending_;
    Deferred deferred_;
    UniqueFd lifetime_;  ///< write end of the keeper's pipe
};

/// Prepares the network `rec.config.network` asks for, before the container starts:
/// host/none: nothing; container:ID: that running container's /proc/PID/ns/net;
/// private/pasta/slirp4netns: binds every published host port (errors name the port, and
/// net.ipv4.ip_unprivileged_port_start for a privileged one), creates the namespace with its
/// keeper (which relays those ports), starts the helper and waits until it is configured
/// ("private" falls back from slirp4netns to pasta when slirp4netns fails). Throws Error naming
/// the helper and its output, InvalidArgument for a port or container that cannot be used.
/// A container with a user namespace of its own gets a handle that is deferred() (nothing
/// started yet; `wait` must be false) until attach(its pid).
/// With `wait` false, the helper is only started: the caller overlaps its start-up with the
/// container's and calls waitReady() before the container's process may run (the runtime's
/// start gate, runtime_proc.hpp).
NetworkHandle setupNetwork(Context& ctx, const ContainerRecord& rec, bool wait = true);


/// Checks and completes the network part of a new container's config: the mode is valid,
/// container:NAME names an existing container (stored as its id), ports are published only
/// with a private network and are resolved (resolvePorts, with the image's ExposedPorts for
/// -P), --add-host values parse. Throws InvalidArgument/NotFound naming the flag.
void prepareNetworkConfig(Context& ctx, ContainerConfig& config, const std::string& imageId);

/// /etc/hosts for the container (etcfiles.hpp), from its flags and network state; "" with
/// --no-hosts.
std::string containerHostsFile(const ContainerRecord& rec, const std::string& hostname);

/// /etc/resolv.conf for the container from the host's file, its flags and network state.
std::string containerResolvConf(const ContainerRecord& rec, const std::string& hostResolvConf);

/// Resolves the ports of a new container: the -p mappings, then (with -P) one per image
/// ExposedPorts key not already published; a host port 0 gets a free port of the host.
/// Throws InvalidArgument for a bad ExposedPorts key, Error when no port is free.
std::vector<PortMapping> resolvePorts(const NetworkOptions& opts, const std::vector<std::string>& exposed);

}  // namespace hutch::engine
