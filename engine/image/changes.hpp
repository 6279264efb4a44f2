// `diff`: the files a container changed against its image, or an image's top layer against
// its parent, as podman lists them ("A /path", "C /path", "D /path"; storage/changes.hpp).
#pragma once

#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// What `diff` looks up a name as: `diff` tries an image, then a container, then a layer id
/// (podman's order); `container diff` and `image diff` only their own kind.
enum class DiffTarget { Any, Container, Image };

/// One change: kind 'A' (added), 'C' (changed) or 'D' (deleted), and the absolute path.
struct FileChange {
    char kind = 'C';
    std::string path;
};

/// The changes of `name`'s layer against its parent, in podman's order, without the paths
/// podman leaves out because the runtime makes them (/dev, /proc, /sys, /run, /etc/hosts,
/// /etc/hostname, /etc/resolv.conf, /etc/mtab, /run/.containerenv, ...). Throws NotFound
/// with podman's text ("NAME not found: container not known", "...: NAME: image not known",
/// "...: layer not known"), SysError.
std::vector<FileChange> diffChanges(Context& ctx, const std::string& name, DiffTarget target);

}  // namespace hutch::engine
