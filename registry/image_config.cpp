#include "hutch/registry/image_config.hpp"

#include "hutch/common/error.hpp"
#include "hutch/registry/oci_schema.hpp"

namespace hutch::registry {

using nlohmann::json;

namespace {

std::vector<std::string> keysOf(const json& j) {
    std::vector<std::string> out;
    if (j.is_object())
        for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
    return out;   // nlohmann's object is a std::map: already sorted
}

}  // namespace

ImageConfig parseImageConfig(const std::string& body) {
    ImageConfig c;
    try {
        c.raw = json::parse(body);
    } catch (const json::exception& e) {
        throw InvalidArgument(std::string("image config is not valid JSON: ") + e.what());
    }
    try {
        oci::validateConfig(c.raw);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string("image config: ") + e.what());
    }
    const json& j = c.raw;
    c.architecture = j["architecture"].get<std::string>();
    c.os = j["os"].get<std::string>();
    c.variant = j.value("variant", "");
    c.created = j.value("created", "");
    const auto& ids = j["rootfs"]["diff_ids"];
    for (size_t i = 0; i < ids.size(); ++i) {
        if (!Digest::valid(ids[i].get<std::string>()))
            throw InvalidArgument("image config: config.rootfs.diff_ids[" + std::to_string(i) + "]: \"" +
                                  ids[i].get<std::string>() + "\" is not a valid digest");
        c.diffIds.push_back(Digest::parse(ids[i].get<std::string>()));
    }
    if (j.contains("config") && j["config"].is_object()) {
        const json& cfg = j["config"];
        auto strv = [&](const char* k, std::vector<std::string>& out) {
            if (cfg.contains(k) && cfg[k].is_array()) {
                out = cfg[k].get<std::vector<std::string>>();
                return true;
            }
            return false;
        };
        strv("Env", c.env);
        c.hasEntrypoint = strv("Entrypoint", c.entrypoint);
        c.hasCmd = strv("Cmd", c.cmd);
        c.user = cfg.value("User", "");
        c.workingDir = cfg.value("WorkingDir", "");
        c.stopSignal = cfg.value("StopSignal", "");
        if (cfg.contains("Labels") && cfg["Labels"].is_object())
            for (auto it = cfg["Labels"].begin(); it != cfg["Labels"].end(); ++it)
                c.labels[it.key()] = it.value().get<std::string>();
        if (cfg.contains("Volumes")) c.volumes = keysOf(cfg["Volumes"]);
        if (cfg.contains("ExposedPorts")) c.exposedPorts = keysOf(cfg["ExposedPorts"]);
    }
    return c;
}

}  // namespace hutch::registry
