// Container events (engine/core/events.hpp) from a container record: podman's ID, Name,
// Image (the image as the container was created from it) and attributes.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// Records the container event `status` ("create", "start", "died", ...) for `rec`, with
/// `attributes` (e.g. kill's signal) and, for "died", the exit code. Never throws (recordEvent).
void recordContainerEvent(Context& ctx, const ContainerRecord& rec, const std::string& status,
                          const std::map<std::string, std::string>& attributes = {},
                          std::optional<int> exitCode = std::nullopt) noexcept;

}  // namespace hutch::engine
