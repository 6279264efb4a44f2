// Lifecycle verbs on existing containers: start, stop, kill, wait, logs. No daemon: each
// reads the container's record, acts on its process, and leaves the state changes to the
// container's monitor (or records them itself when the monitor is gone).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// `start`: starts a created or exited container detached under a new monitor. A running
/// one is left alone (returns false). Throws NotFound, CommandError(126/127), Error.
bool startContainer(Context& ctx, const std::string& nameOrId);

/// `stop`: sends the stop signal (the container's, else SIGTERM), waits up to `timeout`
/// seconds (the container's --stop-timeout when nullopt) for it to exit, then SIGKILLs it.
/// Returns once the container is recorded exited. Stopping an exited container is not an
/// error (as podman). Throws NotFound.
void stopContainer(Context& ctx, const std::string& nameOrId, std::optional<int> timeout);

/// `kill`: sends `signal` (name or number) to the container's init. Throws NotFound,
/// InvalidArgument for a bad signal, Error when the container is not running.
void killContainer(Context& ctx, const std::string& nameOrId, const std::string& signal);

/// `wait`: blocks until the container has exited; returns its exit code. Throws NotFound.
int waitContainer(Context& ctx, const std::string& nameOrId);

/// `wait --condition`: the states podman 4.3 accepts ("created", "initialized", "running",
/// "stopped", "exited", "paused", "removing", "unknown"); "stopped" and "exited" mean the
/// container's exit. Throws InvalidArgument ("unknown container state: X: invalid argument").
void checkWaitConditions(const std::vector<std::string>& conditions);

/// `wait --interval`: a Go duration ("250ms", "2s"), else a number of milliseconds ("500"),
/// as podman reads it. Throws InvalidArgument (`time: invalid duration "X"`).
std::chrono::milliseconds parseWaitInterval(const std::string& s);

/// `wait --condition C...` (checkWaitConditions; empty = "stopped"): blocks until one holds.
/// Returns the exit code when the exit is what it waited for, else -1 (podman's). Another
/// state is polled every `interval`; states hutch never has ("paused", "removing",
/// "initialized", "unknown") never hold. Throws NotFound (also when the container is removed
/// while waited for a state other than its exit).
int waitContainerCondition(Context& ctx, const std::string& nameOrId, const std::vector<std::string>& conditions,
                           std::chrono::milliseconds interval);

/// What `logs` prints (podman's flags).
struct LogOptions {
    bool follow = false;              ///< -f: keep reading until the container exits
    int tail = -1;                    ///< --tail N: the last N lines (< 0 = all)
    std::optional<int64_t> sinceNs;   ///< --since: lines written at or after (ns since the epoch)
    std::optional<int64_t> untilNs;   ///< --until: lines written at or before
    bool timestamps = false;          ///< -t: each line prefixed with its time (RFC 3339)
};

/// `logs`: writes the container's output (stdout lines to stdout, stderr lines to stderr) as
/// `opts` select. Throws NotFound.
void printLogs(Context& ctx, const std::string& nameOrId, const LogOptions& opts);

/// `system migrate`: stops every running container (they live in the rootless session's
/// user namespace) and ends the session, so the next command makes a new one with the
/// current /etc/subuid and /etc/subgid ranges. Returns the names of the stopped containers.
/// Throws what stopContainer throws.
std::vector<std::string> systemMigrate(Context& ctx);

}  // namespace hutch::engine
