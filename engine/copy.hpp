// `hutch cp` (podman-cp(1)): files and directories between the host and containers, or
// between two containers, or a tar stream on stdin/stdout, for running and stopped
// containers. Path rules: engine/container/copy_paths.hpp.
//
// Every path of a container side is resolved inside that container's root (symlinks, "..",
// absolute link targets never leave it: fsutil::resolveInRoot, then openat2
// RESOLVE_IN_ROOT for each file opened or created), and entries are created relative to an
// open directory without following a symlink at their last component, so a link planted in
// the container cannot make hutch read or write a host file. A running container is reached
// through its init's root (/proc/PID/root), which also shows its volumes, bind mounts and
// tmpfs mounts; a stopped one is mounted for the copy, and a path under one of its volume or
// bind-mount destinations is resolved in that volume's directory or bind source instead.
#pragma once

#include <string>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// `cp`'s options.
struct CopyOptions {
    std::string source;       ///< CONTAINER:PATH, a host path, or "-" (a tar on `inFd`)
    std::string destination;  ///< CONTAINER:PATH, a host path, or "-" (a tar to `outFd`)
    /// -a/--archive: true = what lands in a container is owned by the container's user
    /// (its --user, else the image's USER, resolved in its /etc/passwd); false = owners
    /// kept as the source has them (container ids, or a tar's ids). Either way the ids are
    /// the container's, written through its id mapping. Files written on the host belong to
    /// the caller.
    bool archive = true;
    /// --overwrite: a directory may replace a non-directory and the other way round.
    bool overwrite = false;
};

/// Copies as podman cp does. `inFd` is read for a "-" source (a tar, plain or compressed:
/// extracted into the destination directory, which must exist), `outFd` written for a "-"
/// destination (an uncompressed tar of the source, owners as the container sees them).
/// Throws NotFound naming a missing container, InvalidArgument for podman's path errors
/// (missing source or destination, a directory onto a file, a conflicting entry without
/// --overwrite, stdin not a tar), SysError naming the path for I/O errors.
void copyFiles(Context& ctx, const CopyOptions& o, int inFd, int outFd);

}  // namespace hutch::engine
