#include "hutch/engine/image/tag.hpp"

#include <algorithm>

#include "hutch/common/error.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/registry/reference.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

// The reason of a reference error without our "invalid image reference "X": " prefix,
// worded as docker/distribution's errors ("repository name must be lowercase").
std::string reason(const std::string& what) {
    std::string r = what;
    if (auto p = r.find("\": "); p != std::string::npos && r.rfind("invalid image reference", 0) == 0)
        r = r.substr(p + 3);
    const std::string fmt = "invalid reference format: ";
    if (r.rfind(fmt, 0) == 0) r = r.substr(fmt.size());
    return r;
}

}  // namespace

std::string normalizeLocalName(const std::string& name) {
    if (name.rfind("sha256:", 0) == 0 || name.find('@') != std::string::npos) {
        // Validate first so a malformed digest reports the grammar error.
        if (name.find('@') != std::string::npos) {
            try {
                registry::parseNormalizedName(name);
            } catch (const InvalidArgument& e) {
                throw InvalidArgument("normalizing name \"" + name + "\": normalizing name \"" + name + "\": " +
                                      reason(e.what()));
            }
        }
        throw InvalidArgument(name + ": tag by digest not supported");
    }
    std::string n = name;
    try {
        conf::parseReference(n);   // the grammar, without normalisation
        if (registry::isShortName(n)) n = "localhost/" + n;
        return registry::parseNormalized(n).str();
    } catch (const InvalidArgument& e) {
        throw InvalidArgument("normalizing name \"" + name + "\": normalizing name \"" + name + "\": " +
                              reason(e.what()));
    }
}

void tagImage(Context& ctx, const std::string& image, const std::vector<std::string>& names) {
    std::vector<std::string> add;
    for (const auto& n : names) add.push_back(normalizeLocalName(n));
    const storage::Image img = requireImage(ctx, image);
    const std::string& id = img.id;
    auto& store = ctx.store();
    std::vector<std::string> all = img.names;
    for (const auto& n : add)
        if (std::find(all.begin(), all.end(), n) == all.end()) all.push_back(n);
    store.setImageNames(id, all);
    for (const auto& n : names) recordEvent(ctx, "image", "tag", id, n, "");
}

void untagImage(Context& ctx, const std::string& image, const std::vector<std::string>& names) {
    std::vector<std::string> drop;
    for (const auto& n : names) drop.push_back(normalizeLocalName(n));
    const storage::Image img = requireImage(ctx, image);
    const std::string& id = img.id;
    auto& store = ctx.store();
    if (names.empty()) {
        store.setImageNames(id, {});
        for (const auto& n : img.names) recordEvent(ctx, "image", "untag", id, n, "");
        return;
    }
    std::vector<std::string> keep = img.names;
    for (const auto& n : drop) {
        auto it = std::find(keep.begin(), keep.end(), n);
        if (it == keep.end()) throw NotFound(n + ": tag not known");
        keep.erase(it);
    }
    store.setImageNames(id, keep);
    for (const auto& n : drop) recordEvent(ctx, "image", "untag", id, n, "");
}

}  // namespace hutch::engine
