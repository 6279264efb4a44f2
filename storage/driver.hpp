// Storage driver interface: where layer and container filesystems live and how a layer is
// built on its parent, and how a container layer is mounted: vfs (vfs.hpp) and overlay
// (overlay.hpp) behind one interface.
#pragma once

#include <memory>
#include <string>

#include "hutch/common/fscopy.hpp"
#include "hutch/storage/applier.hpp"
#include "hutch/storage/changes.hpp"
#include "hutch/storage/layer_tar.hpp"

namespace hutch::storage {

/// One storage driver instance for one graph root. Not thread-safe; the Store serialises
/// calls with its locks.
class Driver {
public:
    virtual ~Driver() = default;
    /// Driver name as shown by `hutch info` ("vfs", "overlay").
    virtual std::string name() const = 0;
    /// True if layers may be applied before their parent exists (false for vfs, which
    /// copies the parent).
    virtual bool parallelApply() const = 0;
    /// Creates the (empty or parent-derived) filesystem for layer `id` on `parent`
    /// ("" = base layer). Throws AlreadyExists if it exists, SysError on I/O errors.
    virtual void create(const std::string& id, const std::string& parent) = 0;
    /// Applies a layer tar stream onto the filesystem of `id` (image-spec layer.md).
    virtual ApplyResult applyDiff(const std::string& id, const ReadFn& diff) = 0;
    /// Removes layer `id`'s filesystem; missing is not an error.
    virtual void remove(const std::string& id) = 0;
    /// Directory where layer `id`'s whole filesystem (parents included) is seen: the rootfs
    /// of a container layer. For overlay it has content only while mounted.
    virtual std::string path(const std::string& id) const = 0;
    /// Makes path(id) show layer `id` over its parents and returns path(id); a no-op when
    /// already mounted (vfs: always). `disposable`: the layer will be removed after this
    /// mount, its writes need not survive a crash (overlay's `volatile`: no sync of the
    /// upper filesystem at unmount). Throws Error naming the layer when the mount fails.
    virtual std::string mount(const std::string& id, bool disposable) = 0;
    /// Detaches the mount at path(id) (lazily, MNT_DETACH); not mounted is not an error.
    virtual void unmount(const std::string& id) = 0;
    /// Writes layer `id`'s own changes relative to `parent` ("" = base layer) as a layer tar
    /// (layer_tar.hpp): overlay from its diff dir, vfs by comparing its tree with the
    /// parent's. `unshift`: the layer was shifted (shiftLayer); owners are written back in
    /// the container's ids (vfs: Error, not supported). Throws NotFound when the data are
    /// missing, else layer_tar.hpp's errors.
    virtual LayerTarResult diff(const std::string& id, const std::string& parent, const WriteFn& out,
                                const fsutil::IdShift* unshift = nullptr) = 0;
    /// Layer `id`'s own changes relative to `parent` ("" = base layer) as `diff` lists them
    /// (changes.hpp): overlay from its diff dir against the parents' diffs, vfs by comparing
    /// its tree with the parent's. Throws NotFound when the data are missing, SysError.
    virtual std::vector<Change> changes(const std::string& id, const std::string& parent) = 0;
    /// True if the driver has data for `id`.
    virtual bool exists(const std::string& id) const = 0;
    /// Gives the container layer `id` (just created, never mounted) the owners of a
    /// container with its own user namespace: every id of its files, its parents' included,
    /// mapped through `shift` (container id -> id of the store's namespace). overlay keeps
    /// one shifted copy of each parent layer per mapping, made on the first mount and
    /// reused; vfs re-owns the layer's copy in place. Throws InvalidArgument (an owner the
    /// mapping leaves out), SysError.
    virtual void shiftLayer(const std::string& id, const fsutil::IdShift& shift) = 0;
    /// Removes the shifted copies made for `shift` of layer `id` and its parents (overlay's
    /// per-mapping copies), once no container uses that mapping. No-op for vfs. Never throws
    /// (a failure is logged: the copies are only disk).
    virtual void dropShifted(const std::string& id, const fsutil::IdShift& shift) noexcept { (void)id, (void)shift; }
    /// The largest uid or gid owning a file layer `id` holds itself (overlay: its diff;
    /// vfs: its whole tree). Throws SysError.
    virtual uint32_t maxOwnerId(const std::string& id) const = 0;
};

/// Creates the driver `name` ("vfs" or "overlay") for `graphRoot`. Throws InvalidArgument
/// for an unknown name.
std::unique_ptr<Driver> makeDriver(const std::string& name, const std::string& graphRoot);

/// Names of the drivers hutch knows, the preferred one first.
inline const char* const kDriverNames[] = {"overlay", "vfs"};

}  // namespace hutch::storage
