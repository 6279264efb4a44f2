// `info` and `version`: what hutch is and how this host is set up for it.
#pragma once

#include <nlohmann/json.hpp>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// Version string of this build ("0.1.0").
const char* version();

/// podman-style `info` data: host (arch, kernel, rootless, id mappings), store (driver,
/// graphroot, runroot, image and container counts), registries (search list, files).
nlohmann::json info(Context& ctx);

}  // namespace hutch::engine
