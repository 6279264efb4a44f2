// `run`: create a container from an image (pulling it when needed), start it with the
// embedded runtime in the foreground, record its state, clean up with --rm.
#pragma once

#include <string>

#include "hutch/engine/context.hpp"
#include "hutch/engine/specgen.hpp"

namespace hutch::engine {

struct RunRequest {
    std::string image;            ///< name or id as the user typed it
    ContainerConfig config;
    std::string name;             ///< --name ("" = generated)
    bool autoRemove = false;      ///< --rm
    std::string pull = "missing"; ///< --pull=always|missing|never|newer
    std::string platform;         ///< --platform for a pull
    bool quietPull = false;       ///< -q/--quiet: no pull progress
};

/// Runs the container in the foreground and returns its exit code. Errors before the
/// container starts throw (InvalidArgument, NotFound, Error: exit 125 at the CLI);
/// a command that cannot be invoked / is not found throws CommandError(126/127).
int runContainer(Context& ctx, const RunRequest& req);

/// Re-exec entry for the embedded runtime (`hutch __runtime ...`).
int runtimeEntry(int argc, char** argv);

}  // namespace hutch::engine
