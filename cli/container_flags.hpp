// The flags `run` and `create` share (podman's container flags), parsed into an
// engine::RunRequest. One definition so that `create` takes every `run` flag.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/launch/run.hpp"

namespace hutch::cli {

/// What the shared flags collect before they become a RunRequest (values that need files
/// or the environment are read when the verb runs, not while parsing).
struct ContainerFlags {
    engine::RunRequest req;
    std::vector<std::string> env, envFiles;
    std::string entrypoint;
    bool entrypointSet = false;
    std::string network = "private";
    std::vector<std::string> securityOpts, publish;
    std::vector<std::string> volumes, mounts, tmpfs;
    std::vector<std::string> labels, labelFiles, annotations, logOpts;
};

/// Adds the container flags to `sub` (the `run` or `create` verb, or `container run|create`)
/// and makes IMAGE [COMMAND [ARG...]] its positional arguments: flags stop at the image.
/// The returned object is filled when the command line is parsed.
std::shared_ptr<ContainerFlags> addContainerFlags(CLI::App* sub);

/// Throws CLI::ValidationError (a usage error, exit 125) when `sub` got no image, or an
/// unknown flag stands before it. Called while parsing, before the verb runs.
void checkImageArgument(CLI::App* sub);

/// The request the flags and positional arguments of `sub` describe: image, command, -e and
/// --env-file entries read now (in that order), mounts and ports parsed. Throws
/// InvalidArgument naming the flag for a bad value; CLI::ValidationError when no image.
engine::RunRequest containerRequest(CLI::App* sub, ContainerFlags& f);

}  // namespace hutch::cli
