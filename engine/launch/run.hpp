// `run`: create a container from an image (pulling it when needed), start it with the
// embedded runtime in the foreground, record its state, clean up with --rm.
#pragma once

#include <optional>
#include <string>

#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/spec/specgen.hpp"

namespace hutch::engine {

struct RunRequest {
    std::string image;            ///< name or id as the user typed it
    ContainerConfig config;
    std::string name;             ///< --name ("" = generated)
    bool autoRemove = false;      ///< --rm
    std::string pull = "missing"; ///< --pull=always|missing|never|newer
    std::string platform;         ///< --platform for a pull
    bool quietPull = false;       ///< -q/--quiet: no pull progress
    std::optional<bool> tlsVerify; ///< --tls-verify for a pull (PullOptions::tlsVerify; nullopt = registries.conf)
    std::string authFile;         ///< --authfile for a pull (PullOptions::authFile; "" = the default files)
    bool detach = false;          ///< -d: print the id and leave it running under a monitor
    std::string stopSignal;       ///< --stop-signal ("" = image's STOPSIGNAL or SIGTERM)
    int stopTimeout = 10;         ///< --stop-timeout seconds
    bool replace = false;         ///< --replace: a container of the same name is removed first
    bool removeImage = false;     ///< --rmi: the image is removed after the container (implies --rm)
    std::string cidFile;          ///< --cidfile: the id is written there once created (must not exist)
};

struct RunResult {
    std::string id;    ///< the container's id
    int exitCode = 0;  ///< the container's exit code (0 when detached and running)
};

/// Runs the container in the foreground until it exits, or (`detach`) until it runs under
/// its monitor. Errors before the container starts throw (InvalidArgument, NotFound, Error:
/// exit 125 at the CLI); a command that cannot be invoked / is not found throws
/// CommandError(126/127).
RunResult runContainer(Context& ctx, const RunRequest& req);

/// Creates the container (pulling the image as `req.pull` says): storage container, record
/// in state "created". Throws as runContainer.
ContainerRecord createContainer(Context& ctx, const RunRequest& req);

/// `start --attach`: starts the created or exited container `rec` in the foreground as `run`
/// does (its output on ours, signals forwarded, stdin only with `keepStdin`) and returns its
/// exit code; --rm removes it afterwards. Throws as runContainer.
int startAttached(Context& ctx, ContainerRecord rec, bool keepStdin);

/// Re-exec entry for the embedded runtime (`hutch __runtime ...`).
int runtimeEntry(int argc, char** argv);

}  // namespace hutch::engine
