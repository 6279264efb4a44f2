#include "hutch/engine/container/mount.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "hutch/common/fsutil.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

// vfs has nothing to mount: this file in the container's run dir says `mount` was asked.
std::string vfsMarker(Context& ctx, const std::string& id) { return ctx.store().containerRunDir(id) + "/user-mounted"; }

// True when `dir` is the root of a mount other than its parent's.
bool isMountPoint(const std::string& dir) {
    struct stat a {}, b {};
    if (::lstat(dir.c_str(), &a) != 0 || ::lstat((dir + "/..").c_str(), &b) != 0) return false;
    return a.st_dev != b.st_dev;
}

bool mounted(Context& ctx, const std::string& id) {
    if (ctx.store().driverName() == "vfs") return fsutil::exists(vfsMarker(ctx, id));
    return isMountPoint(ctx.store().containerRootfs(id));
}

}  // namespace

std::string mountContainerRootfs(Context& ctx, const std::string& nameOrId) {
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    std::string dir = ctx.store().mountContainer(rec.id);
    if (ctx.store().driverName() == "vfs") fsutil::writeFileAtomic(vfsMarker(ctx, rec.id), "", 0600, fsutil::Sync::Volatile);
    return dir;
}

std::vector<MountedContainer> mountedContainers(Context& ctx) {
    std::vector<MountedContainer> out;
    for (const auto& c : listContainers(ctx))
        if (mounted(ctx, c.id)) out.push_back({c.id, c.name, ctx.store().containerRootfs(c.id)});
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

bool unmountContainerRootfs(Context& ctx, const std::string& nameOrId) {
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (rec.status == ContainerStatus::Running) return false;
    ctx.store().unmountContainer(rec.id);
    ::unlink(vfsMarker(ctx, rec.id).c_str());
    return true;
}

}  // namespace hutch::engine
