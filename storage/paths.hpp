// On-disk layout of a hutch store (pure functions of the roots; no I/O). Like
// containers/storage, the record directories are named after the store's driver
// (<driver>-layers, ...): the driver of an existing store is the one whose directories exist.
//
//   <graphroot>/
//     vfs/dir/<layerid>/                 layer filesystems (vfs driver)
//     overlay/<layerid>/diff/            a layer's own files (overlay driver; whiteouts as
//                                        0/0 character devices, opaque dirs by xattr)
//     overlay/<layerid>/link             the layer's short name SHORT
//     overlay/<layerid>/lower            "l/SHORT:l/SHORT..." of its parents, nearest first
//     overlay/<layerid>/work/, merged/   a mounted layer's overlay workdir and mount point
//     overlay/l/<SHORT> -> ../<layerid>/diff   short links, so many lowers fit one mount
//     <driver>-layers/layers.json        layer records (incomplete ones included)
//     <driver>-layers/storage.lock       layer store lock
//     <driver>-layers/<layerid>.lock     per-layer lock, held by the process creating it
//     <driver>-images/images.json        image records
//     <driver>-images/storage.lock       image store lock
//     <driver>-images/<imageid>/<key>    image big data ("manifest", "config", ...)
//     <driver>-containers/containers.json  container records
//     <driver>-containers/storage.lock   container store lock (also held while mounting)
//     <driver>-containers/<id>/userdata/ persistent per-container data
//     driver.lock                        held while a new store's driver is chosen
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

/// The roots the record paths depend on: the graph root and the store's driver name.
struct Root {
    std::string graph, driver;
};

inline std::string overlayDir(const std::string& g) { return fsutil::join(g, "overlay"); }
inline std::string overlayLayerDir(const std::string& g, const std::string& id) { return fsutil::join(overlayDir(g), id); }
inline std::string overlayLinkDir(const std::string& g) { return fsutil::join(overlayDir(g), "l"); }

inline std::string driverLock(const std::string& g) { return fsutil::join(g, "driver.lock"); }

inline std::string vfsDir(const std::string& g) { return fsutil::join(g, "vfs/dir"); }
inline std::string vfsLayerDir(const std::string& g, const std::string& id) { return fsutil::join(vfsDir(g), id); }

inline std::string layersDir(const Root& r) { return fsutil::join(r.graph, r.driver + "-layers"); }
inline std::string layersJson(const Root& r) { return fsutil::join(layersDir(r), "layers.json"); }
inline std::string layersLock(const Root& r) { return fsutil::join(layersDir(r), "storage.lock"); }
inline std::string layerLock(const Root& r, const std::string& id) {
    return fsutil::join(layersDir(r), id + ".lock");
}

inline std::string imagesDir(const Root& r) { return fsutil::join(r.graph, r.driver + "-images"); }
inline std::string imagesJson(const Root& r) { return fsutil::join(imagesDir(r), "images.json"); }
inline std::string imagesLock(const Root& r) { return fsutil::join(imagesDir(r), "storage.lock"); }
inline std::string imageDataDir(const Root& r, const std::string& id) { return fsutil::join(imagesDir(r), id); }

inline std::string containersDir(const Root& r) { return fsutil::join(r.graph, r.driver + "-containers"); }
inline std::string containersJson(const Root& r) { return fsutil::join(containersDir(r), "containers.json"); }
inline std::string containersLock(const Root& r) { return fsutil::join(containersDir(r), "storage.lock"); }
inline std::string containerDir(const Root& r, const std::string& id) {
    return fsutil::join(containersDir(r), id);
}
inline std::string containerUserData(const Root& r, const std::string& id) {
    return fsutil::join(containerDir(r, id), "userdata");
}
inline std::string containerRunDir(const std::string& run, const std::string& id) {
    return fsutil::join(run, "containers/" + id + "/userdata");
}

}  // namespace hutch::storage::paths
