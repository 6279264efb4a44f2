// Storage driver interface: where layer and container filesystems live and how a layer is
// built on its parent. vfs now; overlay later (issue 5) behind the same interface.
#pragma once

#include <memory>
#include <string>

#include "hutch/storage/applier.hpp"

namespace hutch::storage {

/// One storage driver instance for one graph root. Not thread-safe; the Store serialises
/// calls with its locks.
class Driver {
public:
    virtual ~Driver() = default;
    /// Driver name as shown by `hutch info` ("vfs").
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
    /// Directory holding layer `id`'s filesystem (the rootfs for a container layer).
    virtual std::string path(const std::string& id) const = 0;
    /// True if the driver has data for `id`.
    virtual bool exists(const std::string& id) const = 0;
};

/// Creates the driver `name` for `graphRoot`. Throws InvalidArgument for an unknown name.
std::unique_ptr<Driver> makeDriver(const std::string& name, const std::string& graphRoot);

}  // namespace hutch::storage
