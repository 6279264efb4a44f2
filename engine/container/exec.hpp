// `exec`: run a command in a running container, with the container's namespaces,
// capabilities, seccomp filter and no_new_privs (via `hutch __runtime exec`).
#pragma once

#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

struct ExecRequest {
    std::string container;          ///< name or id
    std::vector<std::string> cmd;   ///< command and arguments
    bool interactive = false;       ///< -i: keep stdin
    bool tty = false;               ///< -t: a pty from the container's devpts
    std::string user;               ///< -u ("" = the container's user)
    std::string workdir;            ///< -w ("" = the container's)
    std::vector<std::string> env;   ///< -e / --env-file entries, added to the container's env
    bool privileged = false;        ///< --privileged: all capabilities, no seccomp
};

/// Runs the command and returns its exit code. Throws NotFound (no such container),
/// InvalidArgument (empty command), Error (container not running: 125) and
/// CommandError(126/127) when the command cannot be invoked / is not found.
int execInContainer(Context& ctx, const ExecRequest& req);

}  // namespace hutch::engine
