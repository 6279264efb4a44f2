// The one launch path: a created container to a running process and back to a recorded exit.
// Foreground `run` and the monitor of a detached container (`run -d`, `start`, `restart`)
// both go through Launch; they differ only in where the container's streams go.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/network/network.hpp"
#include "hutch/engine/core/runtime_proc.hpp"
#include "hutch/engine/spec/specgen.hpp"

namespace hutch::engine {

/// Keeps the container's rootfs mounted (Store::mountContainer; a no-op with vfs) while it
/// lives: the runtime and writeBundle need it. The destructor unmounts it unless the
/// container was removed meanwhile; unmount errors are logged, never thrown.
class RootfsMount {
public:
    /// `disposable`: the container is removed when it exits (--rm). Throws as
    /// Store::mountContainer.
    RootfsMount(Context& ctx, std::string id, bool disposable);
    ~RootfsMount();
    RootfsMount(const RootfsMount&) = delete;
    RootfsMount& operator=(const RootfsMount&) = delete;

private:
    Context& ctx_;
    std::string id_;
};

/// The image's defaults (Env, Entrypoint, Cmd, User, WorkingDir, StopSignal) for specgen.
/// Throws NotFound when the image is gone.
ImageDefaults imageDefaults(Context& ctx, const std::string& imageId);

/// (Re)writes the container's bundle in its run directory (the run root): config.json and the
/// generated /etc files; returns the bundle directory. The rootfs must be mounted
/// (RootfsMount). `notifySocketDir`: the monitor's sd_notify socket directory for
/// --sdnotify=container (SpecInputs::notifySocketDir), "" = none. Throws CommandError(126)
/// when the user cannot be resolved in the image, as podman does.
std::string writeBundle(Context& ctx, const ContainerRecord& rec, const std::string& notifySocketDir = "");

/// One start of a container, in this order: prepare (constructor: rootfs mounted, network
/// helper started, bundle written), spawn() the runtime, awaitStarted() (the record says
/// running, with this process as the monitor), wait() for the exit, finish() (network down,
/// exit recorded or the --rm container removed). The rootfs stays mounted until the Launch is
/// destroyed.
class Launch {
public:
    /// Throws what RootfsMount, setupNetwork and writeBundle throw; nothing is left running.
    Launch(Context& ctx, ContainerRecord& rec, const std::string& notifySocketDir = "");
    ~Launch();
    Launch(const Launch&) = delete;
    Launch& operator=(const Launch&) = delete;

    /// Starts the runtime with these standard streams (-1 keeps ours); the container's process
    /// waits at the start gate until the network helper is ready. Throws (the runtime reaped)
    /// when the network cannot be set up.
    void spawn(const RuntimeStdio& stdio);
    /// The runtime's pid (the container's parent), after spawn().
    pid_t runtimePid() const { return rt_; }
    /// Reads the runtime's status line; when the container started, records it running (pid
    /// and start times, this process as its monitor, startedAt) and saves the record.
    const RuntimeStatus& awaitStarted();
    /// Waits for the runtime, which exits with the container: the exit code (128+signal).
    int wait();
    /// Tears the network down and records the end from the stored record (another command
    /// may have changed it; a removed container is left alone): exited, the exit code or the
    /// start failure, --rm removal with anonymous volumes. Returns the exit code recorded.
    int finish(int runtimeCode);

private:
    /// /etc/hosts and /etc/resolv.conf again, in place, for the network's final addresses.
    void rewriteNetworkFiles();
    Context& ctx_;
    ContainerRecord& rec_;
    /// lockContainerStart, held until the record says running (awaitStarted) or, when the
    /// start fails, until all of it is undone (declared first: released last).
    std::optional<fsutil::FileLock> starting_;
    std::optional<RootfsMount> mounted_;
    NetworkHandle net_;
    std::string bundle_;
    UniqueFd statusRead_;
    pid_t rt_ = -1;
    bool waited_ = false;
    RuntimeStatus status_;
};

}  // namespace hutch::engine
