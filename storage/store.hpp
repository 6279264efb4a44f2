// The Store facade: layers, images and containers of one graph root + run root, shared
// safely by several hutch processes (file locks, no daemon). Lock order: see paths.hpp.
// Every read re-loads the JSON under a lock; nothing is cached between calls.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hutch/common/digest.hpp"
#include "hutch/storage/applier.hpp"
#include "hutch/storage/containers.hpp"
#include "hutch/storage/driver.hpp"
#include "hutch/storage/images.hpp"
#include "hutch/storage/layers.hpp"
#include "hutch/storage/paths.hpp"

namespace hutch::storage {

/// Where the store lives and which driver it uses: "" = the store's recorded driver, or for a
/// new store overlay when native overlay works there (probed), else vfs.
struct StoreOptions {
    std::string graphRoot, runRoot, driver;
};

class Store {
public:
    /// Creates the directories if needed and recovers: removes incomplete layers whose
    /// creator is gone (per-layer lock not held) with their data. The driver is
    /// chooseDriver()'s. Throws SysError/Error, InvalidArgument for a driver other than the
    /// store's or for a podman store (a graph root with libpod/ or userns.lock).
    static std::unique_ptr<Store> open(const StoreOptions&);
    /// The driver whose records exist in `graphRoot` (<driver>-layers), nullopt for a new
    /// store. Throws Error when several drivers' records exist.
    static std::optional<std::string> recordedDriver(const std::string& graphRoot);
    /// The driver to use for `graphRoot` when `requested` ("" = default) is asked for: the
    /// recorded one (InvalidArgument naming the store and both drivers when `requested`
    /// differs), else `requested`, else overlay if probeOverlay() succeeds, else vfs. Error
    /// when overlay is requested for a new store where it does not work. `why`, when given,
    /// receives the reason in words (for `hutch info`).
    static std::string chooseDriver(const std::string& graphRoot, const std::string& requested,
                                    std::string* why = nullptr);
    ~Store();

    const std::string& graphRoot() const { return opts_.graphRoot; }
    const std::string& runRoot() const { return opts_.runRoot; }
    std::string driverName() const;
    /// Why the store uses its driver ("recorded in the store", the probe's result, ...).
    const std::string& driverReason() const { return driverReason_; }

    /// Layer `id` (incomplete ones too, flagged), or nullopt.
    std::optional<Layer> layer(const std::string& id);
    /// Creates layer `id` on `parent` ("" = base) by applying the gzip/zstd/plain tar stream
    /// `diff` (image-spec layer.md). If another process is creating the same id, waits for it;
    /// an existing complete layer is returned as is (`diff` is not read). Throws NotFound
    /// (parent not complete, unless parallelLayerApply()), DigestMismatch (diffID != expectedDiffId) or the applier's errors; on any
    /// error nothing of the layer is left behind.
    Layer createLayer(const std::string& id, const std::string& parent, ReadFn diff,
                      const std::optional<Digest>& expectedDiffId, const Digest& compressedDigest);
    /// The container's changes to its image as a new layer on the image's top layer (the
    /// container layer's parent); nullopt when the container changed nothing. The tar is
    /// written once to an unlinked temp file in the graph root while hashed, then applied
    /// through createLayer (same crash safety). The layer id is the OCI ChainID hex:
    /// sha256("sha256:<parent id> sha256:<diffID hex>") with a parent, else the diffID hex;
    /// an existing layer with that id is returned as is. compressedDigest stays empty.
    /// The container should not be running (a running one gives a snapshot of a moving
    /// tree). Throws NotFound (container), layer_tar.hpp's and createLayer's errors.
    std::optional<Layer> commitContainer(const std::string& containerId);
    /// Writes layer `layerId`'s changeset relative to its parent as an uncompressed,
    /// deterministic tar (layer_tar.hpp) through `out`; returns its diffID and byte size.
    /// For a layer made by commitContainer (a tar hutch wrote) that is the recorded diffID;
    /// for a pulled layer it is in general NOT (the original tar bytes are not kept: other
    /// writers order entries and headers differently), so an image's config must then list
    /// the diffID returned here, or the pulled blob be reused as is. No store lock is
    /// held while writing: the caller keeps the layer in use (an image) meanwhile. Throws
    /// NotFound (missing or incomplete layer), whatever `out` throws, layer_tar.hpp's errors.
    ApplyResult layerDiff(const std::string& layerId, const WriteFn& out);

    /// Layer `layerId`'s changes relative to its parent, as `diff` lists them (changes.hpp).
    /// The caller keeps the layer in use meanwhile (no store lock is held). Throws NotFound
    /// (missing or incomplete layer), SysError.
    std::vector<Change> layerChanges(const std::string& layerId);

    /// False for vfs: a layer's parent must be complete before it is created. True for
    /// overlay: the layers of an image may be created in any order.
    bool parallelLayerApply() const;

    /// Creates image `id` with `names` (moved away from other images), top layer and big
    /// data (key -> bytes, e.g. "manifest", "config"). If `id` already exists, `names` are
    /// added to it, big data is written, and the existing image is returned (no throw).
    /// Throws NotFound if `topLayer` is not a complete layer.
    Image createImage(const std::string& id, const std::vector<std::string>& names, const std::string& topLayer,
                      const std::string& manifestDigest, const std::map<std::string, std::string>& bigData);
    std::vector<Image> images();
    /// Exact name, full id, or unique id prefix (>= 3 chars).
    std::optional<Image> lookupImage(const std::string& nameOrId);
    /// Throws NotFound naming the image and key.
    std::string imageBigData(const std::string& id, const std::string& key);
    /// 1 + the largest uid or gid owning a file of image `id` (its layers walked once, then
    /// kept with the image's data): how many ids a user namespace needs to show all of its
    /// owners (podman's `--userns=auto` size). Throws NotFound, SysError.
    uint32_t imageOwnerSpan(const std::string& id);
    /// Replaces the names of image `id`; each name is removed from any other image (which
    /// stays, possibly untagged). Throws NotFound.
    void setImageNames(const std::string& id, const std::vector<std::string>& names);
    /// Removes image `id` and the layers no other image, container or layer uses. Throws
    /// NotFound, or Error naming the container that uses it.
    void removeImage(const std::string& id);

    /// Creates container `id` from image `imageId` with a rw layer copied from the image's
    /// top layer. With `uidMap`/`gidMap` (the container's own user namespace, container id
    /// -> id of the store's namespace) its files, the image's included, get the mapped owners
    /// (Driver::shiftLayer). Throws AlreadyExists naming the id or the name in use, NotFound
    /// (image), InvalidArgument (an image owner the mapping leaves out).
    Container createContainer(const std::string& id, const std::vector<std::string>& names,
                              const std::string& imageId, const std::string& metadata,
                              const std::vector<IdMapping>& uidMap = {}, const std::vector<IdMapping>& gidMap = {});
    std::vector<Container> containers();
    std::optional<Container> lookupContainer(const std::string& nameOrId);
    /// The container's root filesystem directory (its content is there while mounted).
    std::string containerRootfs(const std::string& id);
    /// Mounts the container's rootfs (overlay; nothing to do for vfs) and returns its
    /// directory; already mounted is fine. The mount lives in this process's mount
    /// namespace (the rootless session's). Throws NotFound, Error naming the layer.
    /// `disposable` (a --rm container): its writes need not survive a crash, so unmounting
    /// does not sync them (Driver::mount).
    std::string mountContainer(const std::string& id, bool disposable = false);
    /// Unmounts the container's rootfs (MNT_DETACH); not mounted is fine. Throws NotFound.
    void unmountContainer(const std::string& id);
    /// graphroot/<driver>-containers/<id>/userdata (persistent).
    std::string containerDir(const std::string& id);
    /// runroot/containers/<id>/userdata (created on demand).
    std::string containerRunDir(const std::string& id);
    void setContainerMetadata(const std::string& id, const std::string& metadata);
    /// `rename`: gives container `id` the single name `name` and the metadata
    /// `metadata(old metadata)` in one update under the containers lock, so no other
    /// container can take the name meanwhile. The old names are free afterwards. Throws
    /// NotFound (container), AlreadyExists naming the container that holds `name`.
    void renameContainer(const std::string& id, const std::string& name,
                         const std::function<std::string(const std::string&)>& metadata);
    /// Unmounts the rootfs, removes the container record, its rw layer and its directories.
    /// Throws NotFound.
    void removeContainer(const std::string& id);

private:
    explicit Store(const StoreOptions&);
    void recover();
    /// Records `id` incomplete, holds its per-layer lock, creates it via the driver and
    /// runs `fill`, then marks it complete; removes all of it on error.
    Layer makeLayer(const std::string& id, const std::string& parent,
                    const std::function<void(Layer&)>& fill, bool waitForOthers);
    void removeLayerLocked(std::vector<Layer>& layers, const std::string& id);
    void gcLayersLocked(std::vector<Layer>& layers, const std::vector<Image>& images,
                        const std::vector<Container>& containers, std::string start);
    Container containerById(const std::string& id);

    StoreOptions opts_;
    paths::Root root_;
    std::string driverReason_;
    std::unique_ptr<Driver> driver_;
    LayerRecords layers_;
    ImageRecords images_;
    ContainerRecords containers_;
};

}  // namespace hutch::storage
