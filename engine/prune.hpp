// Store maintenance (issue 5, "A store that never corrupts"): podman 4.3's `container
// prune`, `image prune`, `system prune`, `system df` and `system reset`. A failure on one
// object is recorded and the others are still handled; nothing outside the store is touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// What one prune did: the ids (names for volumes) removed, in order, the bytes they
/// occupied (approximate: image = its layers no remaining image or container shares,
/// container = its rw layer, volume = its _data), and one message per object that failed.
struct PruneReport {
    std::vector<std::string> removed;
    uint64_t reclaimed = 0;
    std::vector<std::string> errors;
};

/// `container prune`: removes every container that is not running (created or exited),
/// as `rm` without force. A container that starts meanwhile fails (recorded in errors).
PruneReport pruneContainers(Context& ctx);

/// `image prune`: removes the dangling images (no names), or with `all` every image no
/// container uses. Repeats until nothing more is removable.
PruneReport pruneImages(Context& ctx, bool all);

/// `volume prune` with sizes: removes the volumes no container uses (pruneVolumes).
PruneReport pruneUnusedVolumes(Context& ctx);

/// Bytes of the regular files and symlinks under `path` (st_size, hard links once), not
/// crossing into other filesystems; 0 when missing. Unreadable entries are skipped.
uint64_t diskUsage(const std::string& path);

/// `system df` data. Sizes in bytes.
struct DfImage {
    std::string id;
    std::vector<std::string> names;
    int64_t created = 0;  ///< Unix seconds
    uint64_t size = 0, sharedSize = 0, uniqueSize = 0;
    int containers = 0;  ///< containers using it
};
struct DfContainer {
    std::string id, imageId, command, name, status;
    int64_t created = 0;
    uint64_t rwSize = 0;
    int localVolumes = 0;
    bool running = false;
};
struct DfVolume {
    std::string name;
    int links = 0;  ///< containers using it
    uint64_t size = 0;
};
struct DfSummaryRow {
    std::string type;  ///< "Images", "Containers", "Local Volumes"
    int total = 0, active = 0;
    uint64_t size = 0, reclaimable = 0;
};
struct SystemDf {
    std::vector<DfImage> images;
    std::vector<DfContainer> containers;
    std::vector<DfVolume> volumes;
    std::vector<DfSummaryRow> summary;  ///< the three rows in podman's order
};

/// Measures the store: images (layer records; shared = layers another image also has),
/// containers (rw layer: overlay diff dir; vfs: the copy beyond the image's size), volumes
/// (_data). Active = in use (image by a container, container running, volume mounted by a
/// container); reclaimable = what prunes would free.
SystemDf systemDf(Context& ctx);

/// `system reset`: removes every container (killing running ones), image and volume, then
/// everything left in the graph root and run root (the rootless session's pause record is
/// kept when the run root holds it). Refuses (Error, nothing deleted by the final sweep)
/// when something is still mounted under them that cannot be unmounted. Returns the
/// errors of objects that could not be removed one by one (the sweep removes them anyway).
std::vector<std::string> systemReset(Context& ctx);

/// The graph root and run root of the context's store (what systemReset empties).
StorePaths storeRoots(Context& ctx);

}  // namespace hutch::engine
