// On-disk layout of a hutch store (pure functions of the roots; no I/O).
//
//   <graphroot>/
//     vfs/dir/<layerid>/                 layer filesystems (vfs driver)
//     vfs-layers/layers.json             layer records (incomplete ones included)
//     vfs-layers/storage.lock            layer store lock
//     vfs-layers/<layerid>.lock          per-layer lock, held by the process creating it
//     vfs-images/images.json             image records
//     vfs-images/storage.lock            image store lock
//     vfs-images/<imageid>/<key>         image big data ("manifest", "config", ...)
//     vfs-containers/containers.json     container records
//     vfs-containers/storage.lock        container store lock
//     vfs-containers/<id>/userdata/      persistent per-container data
//   <runroot>/containers/<id>/userdata/  per-boot per-container data
//
// LOCK ORDER (every code path takes them in this order, releases in reverse, and never
// takes one it already holds):  containers -> images -> layers -> per-layer lock.
// The per-layer lock is only ever taken non-blocking while the layers lock is held, or
// blocking while no store lock is held (waiting for another creator).
#pragma once

#include <string>

#include "hutch/common/fsutil.hpp"

namespace hutch::storage::paths {

inline std::string vfsDir(const std::string& g) { return fsutil::join(g, "vfs/dir"); }
inline std::string vfsLayerDir(const std::string& g, const std::string& id) { return fsutil::join(vfsDir(g), id); }

inline std::string layersDir(const std::string& g) { return fsutil::join(g, "vfs-layers"); }
inline std::string layersJson(const std::string& g) { return fsutil::join(layersDir(g), "layers.json"); }
inline std::string layersLock(const std::string& g) { return fsutil::join(layersDir(g), "storage.lock"); }
inline std::string layerLock(const std::string& g, const std::string& id) {
    return fsutil::join(layersDir(g), id + ".lock");
}

inline std::string imagesDir(const std::string& g) { return fsutil::join(g, "vfs-images"); }
inline std::string imagesJson(const std::string& g) { return fsutil::join(imagesDir(g), "images.json"); }
inline std::string imagesLock(const std::string& g) { return fsutil::join(imagesDir(g), "storage.lock"); }
inline std::string imageDataDir(const std::string& g, const std::string& id) { return fsutil::join(imagesDir(g), id); }

inline std::string containersDir(const std::string& g) { return fsutil::join(g, "vfs-containers"); }
inline std::string containersJson(const std::string& g) { return fsutil::join(containersDir(g), "containers.json"); }
inline std::string containersLock(const std::string& g) { return fsutil::join(containersDir(g), "storage.lock"); }
inline std::string containerDir(const std::string& g, const std::string& id) {
    return fsutil::join(containersDir(g), id);
}
inline std::string containerUserData(const std::string& g, const std::string& id) {
    return fsutil::join(containerDir(g, id), "userdata");
}
inline std::string containerRunDir(const std::string& run, const std::string& id) {
    return fsutil::join(run, "containers/" + id + "/userdata");
}

}  // namespace hutch::storage::paths
