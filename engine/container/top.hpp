// `top`: the processes of a running container (those in its pid namespace), as podman's
// default descriptors show them: USER PID PPID %CPU ELAPSED TTY TIME COMMAND.
#pragma once

#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// Rows of `top` (the first is the header), pids as seen inside the container. Throws
/// NotFound, Error when the container is not running.
std::vector<std::vector<std::string>> containerTop(Context& ctx, const std::string& nameOrId);

}  // namespace hutch::engine
