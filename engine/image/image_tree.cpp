#include "hutch/engine/image/image_tree.hpp"

#include <algorithm>

namespace hutch::engine {

namespace {

bool descends(const ImageInfo& child, const ImageInfo& parent) {
    if (child.id == parent.id) return false;
    const auto& cd = child.layerDiffIds;
    const auto& pd = parent.layerDiffIds;
    if (pd.size() > cd.size() || !std::equal(pd.begin(), pd.end(), cd.begin())) return false;
    auto hist = [](const ImageInfo& i) {
        auto h = i.config.value("history", nlohmann::json::array());
        return h.is_array() ? h : nlohmann::json::array();
    };
    auto ch = hist(child), ph = hist(parent);
    if (ph.size() >= ch.size()) return false;
    for (size_t i = 0; i < ph.size(); ++i)
        if (ph[i] != ch[i]) return false;
    return true;
}

}  // namespace

std::set<std::string> intermediateImageIds(const std::vector<ImageInfo>& images) {
    std::set<std::string> out;
    for (const auto& p : images) {
        if (!p.names.empty()) continue;
        for (const auto& c : images)
            if (descends(c, p)) {
                out.insert(p.id);
                break;
            }
    }
    return out;
}

std::optional<std::string> parentImageId(const std::vector<ImageInfo>& images, const std::string& childId) {
    auto child = std::find_if(images.begin(), images.end(), [&](const ImageInfo& i) { return i.id == childId; });
    if (child == images.end()) return std::nullopt;
    const ImageInfo* best = nullptr;
    size_t bestLen = 0;
    for (const auto& p : images) {
        if (!descends(*child, p)) continue;
        auto h = p.config.value("history", nlohmann::json::array());
        size_t len = h.is_array() ? h.size() : 0;
        if (!best || len > bestLen) {
            best = &p;
            bestLen = len;
        }
    }
    if (!best) return std::nullopt;
    return best->id;
}

bool hasChildImage(const std::vector<ImageInfo>& images, const std::string& id) {
    auto parent = std::find_if(images.begin(), images.end(), [&](const ImageInfo& i) { return i.id == id; });
    if (parent == images.end()) return false;
    for (const auto& c : images)
        if (descends(c, *parent)) return true;
    return false;
}

}  // namespace hutch::engine
