#include "hutch/conf/storage_conf.hpp"

#include <toml++/toml.h>

#include <cstdlib>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::conf {

namespace {

int lineOf(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

}  // namespace

StorageConf parseStorageConf(std::string_view content, const std::string& path) {
    toml::table tbl;
    try {
        tbl = toml::parse(content, std::string_view(path));
    } catch (const toml::parse_error& e) {
        throw ConfigError(path, static_cast<int>(e.source().begin.line), std::string(e.description()));
    }
    StorageConf c;
    c.source = path;
    for (auto&& [k, v] : tbl) {
        if (k.str() != "storage") log::warn("{}: unknown table or key \"{}\" ignored", path, k.str());
    }
    const toml::node* s = tbl.get("storage");
    if (!s) return c;
    const toml::table* st = s->as_table();
    if (!st) throw ConfigError(path, lineOf(*s), "\"storage\" must be a table ([storage])");
    for (auto&& [k, v] : *st) {
        std::string key(k.str());
        std::string* dst = key == "driver" ? &c.driver : key == "graphroot" ? &c.graphRoot : key == "runroot" ? &c.runRoot : nullptr;
        if (!dst) {
            // options tables (mount_program, mountopt, ...) and other keys: not used by hutch yet
            log::warn("{}:{}: storage.{} is not supported by hutch and ignored", path, lineOf(v), key);
            continue;
        }
        const auto* str = v.as_string();
        if (!str) throw ConfigError(path, lineOf(v), "storage." + key + " must be a string");
        *dst = str->get();
    }
    if ((!c.graphRoot.empty() && c.graphRoot.front() != '/') || (!c.runRoot.empty() && c.runRoot.front() != '/'))
        throw ConfigError(path, 0, "storage.graphroot and storage.runroot must be absolute paths");
    return c;
}

std::optional<std::string> storageConfPath(bool rootless) {
    std::string e = env("CONTAINERS_STORAGE_CONF");
    if (!e.empty()) {
        if (!fsutil::exists(e)) throw NotFound("CONTAINERS_STORAGE_CONF: " + e + ": no such file");
        return e;
    }
    if (!rootless) return std::nullopt;
    std::string cfg = env("XDG_CONFIG_HOME");
    if (cfg.empty()) {
        std::string home = env("HOME");
        if (home.empty()) return std::nullopt;
        cfg = home + "/.config";
    }
    std::string p = cfg + "/containers/storage.conf";
    if (fsutil::exists(p)) return p;
    return std::nullopt;
}

StorageConf loadStorageConf(bool rootless) {
    auto p = storageConfPath(rootless);
    if (!p) return {};
    return parseStorageConf(fsutil::readFile(*p), *p);
}

}  // namespace hutch::conf
