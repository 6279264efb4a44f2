#include "hutch/engine/build/build_cache.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"

namespace hutch::engine::build {

using json = nlohmann::json;

std::string stepKey(const std::string& parentImageId, const std::string& instruction,
                    std::vector<std::string> argsInUse, const std::string& contentHash, const std::string& extra) {
    std::sort(argsInUse.begin(), argsInUse.end());
    json j = {{"v", 1},         {"parent", parentImageId}, {"instruction", instruction},
              {"args", argsInUse}, {"content", contentHash}, {"extra", extra}};
    return Digest::sha256Of(jsonbytes::dump(j)).encoded;
}

BuildCache::BuildCache(std::string file, std::function<bool(const std::string&)> imageExists)
    : file_(std::move(file)), exists_(std::move(imageExists)) {}

std::map<std::string, std::string> BuildCache::load() const {
    std::map<std::string, std::string> m;
    std::string text;
    try {
        text = fsutil::readFile(file_);
    } catch (const NotFound&) {
        return m;
    }
    json j = json::parse(text, nullptr, false);
    if (!j.is_discarded()) j = jsonbytes::parse(text);
    if (j.is_discarded() || !j.is_object()) {  // only a cache: start a new one rather than fail builds
        log::warn("{}: the build cache index is not a JSON object; ignoring it", file_);
        return m;
    }
    if (j.contains("steps") && j["steps"].is_object())
        for (auto& [k, v] : j["steps"].items())
            if (v.is_string()) m[k] = v.get<std::string>();
    return m;
}

std::optional<std::string> BuildCache::lookup(const std::string& key) const {
    auto m = load();
    auto it = m.find(key);
    if (it == m.end() || !exists_(it->second)) return std::nullopt;
    return it->second;
}

void BuildCache::store(const std::string& key, const std::string& imageId) {
    fsutil::FileLock lock(file_ + ".lock", fsutil::FileLock::Mode::Exclusive);
    auto m = load();
    for (auto it = m.begin(); it != m.end();) it = exists_(it->second) ? std::next(it) : m.erase(it);
    m[key] = imageId;
    json j = {{"steps", m}};
    fsutil::writeFileAtomic(file_, jsonbytes::dump(j, 1), 0600);
}

}  // namespace hutch::engine::build
