// vfs driver: each layer is a plain directory holding a full copy of its parent plus its
// own diff (like containers/storage's vfs). Works everywhere, costs disk and time.
#pragma once

#include "hutch/storage/driver.hpp"

namespace hutch::storage {

/// Layers in graphroot/vfs/dir/<id>/ (paths.hpp).
class VfsDriver : public Driver {
public:
    explicit VfsDriver(std::string graphRoot);
    std::string name() const override { return "vfs"; }
    bool parallelApply() const override { return false; }
    /// Makes vfs/dir/<id> and copies `parent`'s tree into it (fsops::copyTree fidelity).
    void create(const std::string& id, const std::string& parent) override;
    ApplyResult applyDiff(const std::string& id, const ReadFn& diff) override;
    void remove(const std::string& id) override;
    std::string path(const std::string& id) const override;
    /// Nothing to mount: the layer directory is the rootfs.
    std::string mount(const std::string& id, bool) override { return path(id); }
    void unmount(const std::string&) override {}
    bool exists(const std::string& id) const override;
    /// The layer's tree compared with the parent's (writeTreeDiff).
    /// Not for a shifted layer (`unshift`: Error): every file's owner differs from its parent's.
    LayerTarResult diff(const std::string& id, const std::string& parent, const WriteFn& out,
                        const fsutil::IdShift* unshift = nullptr) override;
    /// The layer's tree against the parent's (treeChangeset, treeLowerView).
    std::vector<Change> changes(const std::string& id, const std::string& parent) override;
    /// Re-owns the layer's copy in place (fsutil::shiftTreeInPlace).
    void shiftLayer(const std::string& id, const fsutil::IdShift& shift) override {
        fsutil::shiftTreeInPlace(path(id), shift);
    }
    uint32_t maxOwnerId(const std::string& id) const override { return fsutil::maxOwnerId(path(id)); }

private:
    std::string graphRoot_;
};

}  // namespace hutch::storage
