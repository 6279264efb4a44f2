// The engine's record of a container, stored as the storage container's metadata (JSON),
// and its state machine: created -> running -> exited (-> removed). No daemon watches
// containers, so every reader checks that a "running" container's process still exists.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hutch/engine/spec/specgen.hpp"

namespace hutch::engine {

enum class ContainerStatus { Created, Running, Exited };

/// "created", "running", "exited".
std::string statusName(ContainerStatus s);

struct ContainerRecord {
    std::string id, name;
    std::string imageName;  ///< the image as resolved ("127.0.0.1:5000/busybox:latest")
    std::string imageId;
    std::vector<std::string> args;  ///< effective entrypoint + cmd
    ContainerConfig config;
    bool autoRemove = false;        ///< --rm
    std::string stopSignal;         ///< --stop-signal, else the image's STOPSIGNAL ("" = SIGTERM)
    int stopTimeout = 10;           ///< --stop-timeout seconds
    bool detached = false;          ///< started with -d: a monitor process owns it
    std::string created;            ///< RFC 3339 UTC with nanoseconds
    ContainerStatus status = ContainerStatus::Created;
    pid_t pid = 0;                  ///< host pid of the container's init while running
    uint64_t pidStartTime = 0;      ///< its start time (/proc/PID/stat field 22), against pid reuse
    pid_t monitorPid = 0;           ///< detached: the monitor's host pid while running (0 = none)
    uint64_t monitorStartTime = 0;  ///< its start time, against pid reuse
    int exitCode = 0;
    std::string startedAt, finishedAt, error;
    NetworkState netState;          ///< the private network while running (netconf.hpp)
    std::vector<std::string> volumes;           ///< named volumes it mounts (anonymous ones too)
    std::vector<std::string> anonymousVolumes;  ///< the anonymous ones: removed by rm -v and --rm
    unsigned restartCount = 0;      ///< restarts the monitor made by the --restart policy since the last start
    bool stoppedByUser = false;     ///< stop/kill through hutch since the last start: not restarted

    nlohmann::json toJson() const;
    /// Throws Error naming the container when the metadata is not a record.
    static ContainerRecord fromJson(const nlohmann::json& j);
};

/// Current time as RFC 3339 with nanoseconds in UTC ("2026-11-29T17:20:01.123456789Z").
std::string nowRfc3339();
/// Seconds since the epoch for an RFC 3339 UTC timestamp; 0 if unparsable.
int64_t parseRfc3339(const std::string& ts);
/// "5 seconds ago", "About a minute ago", "2 hours ago" as podman prints durations.
std::string humanAgo(int64_t epochSeconds);

/// Start time of a process (field 22 of /proc/PID/stat, clock ticks since boot); 0 if gone.
uint64_t processStartTime(pid_t pid);

/// True when the record names a monitor (detached containers) and that process is gone.
bool monitorGone(const ContainerRecord& r);

/// The status a reader must show: a "running" record whose process is gone (or was
/// replaced by another with the same pid), or whose monitor is gone, is shown exited.
ContainerStatus effectiveStatus(const ContainerRecord& r);

}  // namespace hutch::engine
