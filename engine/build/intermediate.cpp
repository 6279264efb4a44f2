#include "hutch/engine/build/intermediate.hpp"

#include <algorithm>

namespace hutch::engine::build {

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

}  // namespace hutch::engine::build
