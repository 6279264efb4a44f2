// Restart policies and health checks as `run`/`create` take them (podman's --restart and
// --health-* flags) and as image configs carry them (config.Healthcheck). Pure: parsing and
// the state rules; the monitor (engine/launch/healthcheck.hpp) runs them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hutch::engine {

/// --restart as parsed: name "" (not given), "no", "on-failure", "always", "unless-stopped";
/// retries only with on-failure (0 = no limit).
struct RestartPolicy {
    std::string name;
    unsigned retries = 0;
};

/// Parses --restart ("on-failure:3", "always", ...). Throws InvalidArgument with podman's
/// messages ("\"x\" is not a valid restart policy: invalid argument", ...).
RestartPolicy parseRestartPolicy(const std::string& value);

/// Whether a container that exited with `exitCode` is started again: always and
/// unless-stopped always, on-failure when the code is not 0 and fewer than `retries` restarts
/// were made (`restartsSoFar`; retries 0 = no limit). Never after a stop by the user.
bool shouldRestart(const RestartPolicy& p, int exitCode, unsigned restartsSoFar, bool stoppedByUser);

/// A health check: test is {"CMD-SHELL", line} or {"CMD", args...} (Docker's form), with
/// its settings resolved (effectiveHealthcheck): durations in nanoseconds, interval 0 = no
/// automatic checks (--health-interval=disable; `healthcheck run` still runs it).
struct HealthConfig {
    std::vector<std::string> test;
    int64_t intervalNs = 30'000'000'000, timeoutNs = 30'000'000'000, startPeriodNs = 0;
    int retries = 3;

    /// The command to run in the container: CMD-SHELL's line under /bin/sh -c, CMD's args.
    std::vector<std::string> command() const;
    /// As podman's inspect Config.Healthcheck: Test, StartPeriod (when set), Interval,
    /// Timeout, Retries.
    nlohmann::ordered_json toInspect() const;
};

/// The --health-* flags as given (strings are Go durations; "" = not given).
struct HealthFlags {
    std::string cmd;          ///< --health-cmd: a JSON array, else a shell line (CMD-SHELL)
    std::string interval;     ///< --health-interval, or "disable"
    std::string timeout, startPeriod;
    std::optional<int> retries;
    bool none = false;        ///< --no-healthcheck
};

/// Checks the flags as podman does (exit 125 messages: "invalid healthcheck-interval: time:
/// invalid duration \"x\"", "healthcheck-retries must be greater than 0", "cannot specify
/// both --no-healthcheck and --health-cmd", ...). Throws InvalidArgument.
void validateHealthFlags(const HealthFlags& f);

/// The container's health check: none with --no-healthcheck, --health-interval=disable or a
/// test of {"NONE"}; --health-cmd, else the image's config.Healthcheck (`imageHealthcheck`,
/// null = none), with the other flags overriding its settings. Flags must be valid.
std::optional<HealthConfig> effectiveHealthcheck(const HealthFlags& f, const nlohmann::json& imageHealthcheck);

/// One result of a check, as podman's inspect State.Health.Log entries.
struct HealthResult {
    std::string start, end;  ///< RFC 3339
    int exitCode = 0;
    std::string output;
};

/// A container's health: Status "" (never started), "starting", "healthy" or "unhealthy",
/// the current failing streak and the last results (at most kHealthLogSize, oldest first).
struct HealthState {
    std::string status;
    int failingStreak = 0;
    std::vector<HealthResult> log;

    nlohmann::ordered_json toJson() const;
    static HealthState fromJson(const nlohmann::json& j);
};

inline constexpr size_t kHealthLogSize = 5;

/// Applies one result: success resets the streak and makes the container healthy; a failure
/// counts unless `inStartPeriod`, and makes it unhealthy once the streak reaches `retries`.
/// The log keeps the last kHealthLogSize results.
void recordHealthResult(HealthState& s, const HealthResult& r, int retries, bool inStartPeriod);

}  // namespace hutch::engine
