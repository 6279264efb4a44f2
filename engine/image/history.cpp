#include "hutch/engine/image/history.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "hutch/common/error.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

std::vector<HistoryEntry> imageHistory(Context& ctx, const std::string& name) {
    auto& store = ctx.store();
    auto img = requireImage(ctx, name);
    json config;
    try {
        config = json::parse(store.imageBigData(img.id, "config"));
    } catch (const json::exception& e) {
        throw Error("image " + img.id + ": stored config is not JSON: " + e.what());
    }
    json hist = config.value("history", json::array());
    if (!hist.is_array() || hist.empty()) {
        // No history: one anonymous entry per layer, as the layers tell it.
        hist = json::array();
        size_t n = 0;
        if (config.contains("rootfs") && config["rootfs"].contains("diff_ids") && config["rootfs"]["diff_ids"].is_array())
            n = config["rootfs"]["diff_ids"].size();
        for (size_t i = 0; i < n; ++i) hist.push_back(json::object());
    }
    // Images by top layer, to name the entries whose layer is some image's top.
    std::map<std::string, std::vector<std::string>> imagesByTop;
    for (const auto& i : store.images())
        if (!i.topLayer.empty()) imagesByTop[i.topLayer].push_back(i.id);

    std::vector<HistoryEntry> out;
    std::set<std::string> used;
    std::optional<storage::Layer> layer;
    if (!img.topLayer.empty()) layer = store.layer(img.topLayer);
    for (size_t k = hist.size(); k-- > 0;) {
        const json& h = hist[k];
        HistoryEntry e;
        e.id = "<missing>";
        if (k + 1 == hist.size()) e.id = img.id;
        auto str = [&](const char* key) {
            return h.is_object() && h.contains(key) && h[key].is_string() ? h[key].get<std::string>() : std::string();
        };
        e.created = str("created");
        e.createdBy = str("created_by");
        e.comment = str("comment");
        e.emptyLayer = h.is_object() && h.value("empty_layer", false);
        if (layer) {
            if (!e.emptyLayer) e.size = layer->size;
            if (auto it = imagesByTop.find(layer->id); it != imagesByTop.end()) {
                const std::string& first = it->second.front();
                if (used.insert(first).second) e.id = first;
            }
            // An empty_layer entry did not create a layer: the next (older) entry has the same one.
            if (!e.emptyLayer) {
                if (layer->parent.empty())
                    layer.reset();
                else
                    layer = store.layer(layer->parent);
            }
        }
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace hutch::engine
