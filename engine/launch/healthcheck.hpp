// Health checks of running containers (podman's `healthcheck run` and its timers): the
// check runs in the container as `exec` runs a command, and its result goes to the
// container's health state (<container dir>/healthcheck.json), which inspect and ps show.
// The monitor of a detached container runs `hutch healthcheck run` every interval.
#pragma once

#include <optional>
#include <string>

#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/spec/health.hpp"

namespace hutch::engine {

/// The container's health check (its --health-* flags, else its image's HEALTHCHECK); none
/// when neither defines one or it was disabled. Throws NotFound when the image is gone.
std::optional<HealthConfig> containerHealthcheck(Context& ctx, const ContainerRecord& rec);

/// The container's current health state; status "" and an empty log before its first start.
HealthState loadHealth(Context& ctx, const std::string& id);

/// Resets the state at a start of the container: status "starting", streak 0 (the log stays).
void resetHealth(Context& ctx, const std::string& id);

/// `healthcheck run`: runs the check once now (in the container, output and exit code
/// recorded, killed after its timeout) and records the result. Returns true when it passed.
/// Throws NotFound, Error("container ID is not running"), Error("container ID has no
/// defined healthcheck") and, with the result recorded (exit code -1), Error("healthcheck
/// command exceeded timeout of 1s") as podman (exit 125).
bool runHealthcheck(Context& ctx, const std::string& nameOrId);

}  // namespace hutch::engine
