#include "hutch/engine/image/changes.hpp"

#include <set>

#include "hutch/common/error.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

// Paths the runtime creates or mounts over in every container: podman leaves them out.
const std::set<std::string> kRuntimePaths = {
    "/dev",          "/etc/hostname", "/etc/hosts",         "/etc/resolv.conf", "/proc", "/run",
    "/run/notify",   "/run/.containerenv", "/run/secrets", "/sys",             "/etc/mtab",
};

}  // namespace

std::vector<FileChange> diffChanges(Context& ctx, const std::string& name, DiffTarget target) {
    storage::Store& store = ctx.store();
    std::string layer, lastError;
    if (target != DiffTarget::Container) {
        try {
            layer = requireImage(ctx, name).topLayer;
        } catch (const NotFound& e) {
            lastError = e.what();
        }
    }
    if (layer.empty() && target != DiffTarget::Image) {
        if (auto c = store.lookupContainer(name)) layer = c->layerId;
        else lastError = "container not known";
    }
    if (layer.empty() && target == DiffTarget::Any) {
        if (auto l = store.layer(name); l && !l->incomplete) layer = l->id;
        else lastError = "layer not known";
    }
    if (layer.empty()) throw NotFound(name + " not found: " + lastError);
    std::vector<FileChange> out;
    for (const auto& c : store.layerChanges(layer))
        if (!kRuntimePaths.count(c.path)) out.push_back({storage::changeLetter(c.kind), c.path});
    return out;
}

}  // namespace hutch::engine
