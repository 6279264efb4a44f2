#include "hutch/storage/vfs.hpp"

#include <sys/stat.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/storage/fsops.hpp"
#include "hutch/storage/overlay.hpp"
#include "hutch/storage/paths.hpp"

namespace hutch::storage {

VfsDriver::VfsDriver(std::string graphRoot) : graphRoot_(std::move(graphRoot)) {
    fsutil::mkdirAll(paths::vfsDir(graphRoot_), 0700);
}

void VfsDriver::create(const std::string& id, const std::string& parent) {
    std::string dir = path(id);
    if (::mkdir(dir.c_str(), 0755) != 0) {
        if (errno == EEXIST) throw AlreadyExists("vfs layer " + id + " already exists at " + dir);
        throw SysError(errno, "mkdir " + dir);
    }
    if (parent.empty()) return;
    if (!exists(parent)) throw NotFound("vfs parent layer " + parent + " of " + id + " not found");
    fsops::copyTree(path(parent), dir);
}

ApplyResult VfsDriver::applyDiff(const std::string& id, const ReadFn& diff) {
    return applyLayer(path(id), diff);
}

void VfsDriver::remove(const std::string& id) { fsutil::removeAll(path(id)); }

std::string VfsDriver::path(const std::string& id) const { return paths::vfsLayerDir(graphRoot_, id); }

bool VfsDriver::exists(const std::string& id) const { return fsutil::exists(path(id)); }

LayerTarResult VfsDriver::diff(const std::string& id, const std::string& parent, const WriteFn& out,
                               const fsutil::IdShift* unshift) {
    if (!exists(id)) throw NotFound("vfs layer " + id + " not found");
    if (unshift)
        throw Error("committing a container with its own user namespace mapping (--uidmap, --userns) needs the overlay "
                    "storage driver");
    if (!parent.empty() && !exists(parent)) throw NotFound("vfs parent layer " + parent + " of " + id + " not found");
    return writeTreeDiff(parent.empty() ? std::string() : path(parent), path(id), out);
}

std::vector<Change> VfsDriver::changes(const std::string& id, const std::string& parent) {
    if (!exists(id)) throw NotFound("vfs layer " + id + " not found");
    if (!parent.empty() && !exists(parent)) throw NotFound("vfs parent layer " + parent + " of " + id + " not found");
    std::string below = parent.empty() ? std::string() : path(parent);
    return classifyChanges(treeChangeset(below, path(id)), treeLowerView(below));
}

std::unique_ptr<Driver> makeDriver(const std::string& name, const std::string& graphRoot) {
    if (name == "vfs") return std::make_unique<VfsDriver>(graphRoot);
    if (name == "overlay") return std::make_unique<OverlayDriver>(graphRoot);
    throw InvalidArgument("unknown storage driver \"" + name + "\" (supported: overlay, vfs)");
}

}  // namespace hutch::storage
