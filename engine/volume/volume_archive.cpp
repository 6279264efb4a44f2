#include "hutch/engine/volume/volume_archive.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/storage/applier.hpp"
#include "hutch/storage/layer_tar.hpp"

namespace hutch::engine {
namespace {

/// The volume, or podman's NotFound; refuses device volumes (their content exists only
/// while mounted for a container).
Volume archivableVolume(Context& ctx, const std::string& name) {
    auto v = findVolume(ctx, name);
    if (!v) throw NotFound("no such volume " + name);
    if (v->isDevice())
        throw InvalidArgument("volume is using a driver " + v->driver + " and volume is not mounted on " + v->mountpoint);
    return *v;
}

}  // namespace

void exportVolume(Context& ctx, const std::string& name, const std::function<void(const void*, size_t)>& out) {
    auto lock = lockVolumes(ctx, fsutil::FileLock::Mode::Shared);
    Volume v = archivableVolume(ctx, name);
    storage::writeTreeDiff("", v.mountpoint, out);
}

void importVolume(Context& ctx, const std::string& name, const std::function<size_t(void*, size_t)>& in) {
    auto lock = lockVolumes(ctx, fsutil::FileLock::Mode::Shared);
    Volume v = archivableVolume(ctx, name);
    // The applier refuses an empty stream; podman imports nothing from one. Read the first
    // bytes here and hand them over before the rest.
    std::vector<char> first(64 * 1024);
    size_t have = 0;
    while (have < first.size()) {
        size_t k = in(first.data() + have, first.size() - have);
        if (k == 0) break;
        have += k;
    }
    if (have == 0) return;
    size_t pos = 0;
    storage::ReadFn read = [&](void* buf, size_t n) -> size_t {
        if (pos < have) {
            size_t k = std::min(n, have - pos);
            std::memcpy(buf, first.data() + pos, k);
            pos += k;
            return k;
        }
        return in(buf, n);
    };
    storage::ApplyOptions opts;
    opts.whiteouts = storage::WhiteoutFormat::None;
    try {
        storage::applyLayer(v.mountpoint, read, opts);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument("volume " + name + ": " + e.what());
    }
}

}  // namespace hutch::engine
