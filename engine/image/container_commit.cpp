#include "hutch/engine/image/container_commit.hpp"

#include <algorithm>
#include <cctype>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/container_events.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/image/image_commit.hpp"
#include "hutch/registry/reference.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using json = nlohmann::json;

namespace {

// Splits on blanks; "..." and '...' group (quotes removed), backslash escapes the next char.
std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    bool in = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < s.size())
                cur += s[++i];
            else
                cur += c;
        } else if (c == '"' || c == '\'') {
            quote = c;
            in = true;
        } else if (c == '\\' && i + 1 < s.size()) {
            cur += s[++i];
            in = true;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (in) out.push_back(cur);
            cur.clear();
            in = false;
        } else {
            cur += c;
            in = true;
        }
    }
    if (in) out.push_back(cur);
    return out;
}

// A JSON array of strings, or nullopt when `s` is not one (shell form).
std::optional<std::vector<std::string>> jsonArray(const std::string& s) {
    if (s.empty() || s.front() != '[') return std::nullopt;
    try {
        json j = json::parse(s);
        if (!j.is_array()) return std::nullopt;
        std::vector<std::string> out;
        for (auto& e : j) {
            if (!e.is_string()) return std::nullopt;
            out.push_back(e.get<std::string>());
        }
        return out;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

void setEnv(json& cfg, const std::string& key, const std::string& value) {
    json env = cfg.contains("Env") && cfg["Env"].is_array() ? cfg["Env"] : json::array();
    json out = json::array();
    for (auto& e : env) {
        std::string s = e.get<std::string>();
        if (s.substr(0, s.find('=')) != key) out.push_back(s);
    }
    out.push_back(key + "=" + value);
    cfg["Env"] = out;
}

}  // namespace

std::string commitImageName(const std::string& name) {
    registry::Reference ref = registry::parseNormalized(name);
    if (!ref.digest.empty())
        throw InvalidArgument("\"" + name + "\": Digest of source image's manifest would not match destination reference");
    if (registry::isShortName(name)) {
        std::string path = ref.path.rfind("library/", 0) == 0 ? ref.path.substr(8) : ref.path;
        return "localhost/" + path + ":" + (ref.tag.empty() ? "latest" : ref.tag);
    }
    if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
    return ref.str();
}

void applyChanges(json& cfg, const std::vector<std::string>& changes) {
    for (const auto& change : changes) {
        std::string text = str::trim(change);
        auto sp = text.find_first_of(" \t");
        std::string kw = text.substr(0, sp), arg = sp == std::string::npos ? "" : str::trim(text.substr(sp));
        std::transform(kw.begin(), kw.end(), kw.begin(), [](unsigned char c) { return std::toupper(c); });
        auto bad = [&](const std::string& why) { return InvalidArgument("invalid change \"" + change + "\" - " + why); };
        if (arg.empty()) throw bad("must be formatted as KEY VALUE");  // podman's words, also for ""
        if (kw == "CMD" || kw == "ENTRYPOINT") {
            std::string key = kw == "CMD" ? "Cmd" : "Entrypoint";
            if (auto a = jsonArray(arg))
                cfg[key] = *a;
            else if (arg.empty())
                cfg[key] = json::array();
            else
                cfg[key] = {"/bin/sh", "-c", arg};
        } else if (kw == "ENV") {
            auto w = words(arg);
            if (w.empty()) throw bad("ENV requires at least one argument");
            if (w[0].find('=') == std::string::npos) {  // ENV KEY VALUE; podman: "ENV KEY" is KEY=
                auto k = arg.find_first_of(" \t");
                setEnv(cfg, w[0], k == std::string::npos ? std::string() : str::trim(arg.substr(k)));
            } else {
                for (auto& kv : w) {
                    auto eq = kv.find('=');
                    if (eq == std::string::npos || eq == 0) throw bad("ENV names can not be blank: " + kv);
                    setEnv(cfg, kv.substr(0, eq), kv.substr(eq + 1));
                }
            }
        } else if (kw == "EXPOSE") {
            if (!cfg.contains("ExposedPorts") || !cfg["ExposedPorts"].is_object()) cfg["ExposedPorts"] = json::object();
            for (auto& p : words(arg)) {
                auto [port, proto] = str::cut(p, '/');
                bool num = !port.empty() && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
                if (!num) throw bad("EXPOSE port must be an integer: " + port);
                if (port.size() > 5 || std::stoi(port) > 65535) throw bad("EXPOSE port must be a valid port number");
                std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::tolower(c); });
                if (proto.empty()) proto = "tcp";
                if (proto != "tcp" && proto != "udp") throw bad("EXPOSE protocol must be TCP or UDP");
                cfg["ExposedPorts"][port + "/" + proto] = json::object();
            }
        } else if (kw == "LABEL") {
            if (!cfg.contains("Labels") || !cfg["Labels"].is_object()) cfg["Labels"] = json::object();
            for (auto& kv : words(arg)) {
                auto eq = kv.find('=');
                if (eq == std::string::npos || eq == 0) throw bad("LABEL must be KEY=VALUE: " + kv);
                cfg["Labels"][kv.substr(0, eq)] = kv.substr(eq + 1);
            }
        } else if (kw == "USER") {
            cfg["User"] = arg;
        } else if (kw == "WORKDIR") {
            std::string cur = cfg.value("WorkingDir", std::string("/"));
            cfg["WorkingDir"] = arg.front() == '/' ? arg : fsutil::join(cur.empty() ? "/" : cur, arg);
        } else if (kw == "VOLUME") {
            if (!cfg.contains("Volumes") || !cfg["Volumes"].is_object()) cfg["Volumes"] = json::object();
            auto v = jsonArray(arg);
            for (auto& p : v ? *v : words(arg)) cfg["Volumes"][p] = json::object();
        } else if (kw == "STOPSIGNAL") {
            cfg["StopSignal"] = arg;
        } else if (kw == "ONBUILD") {
            if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) cfg["OnBuild"] = json::array();
            cfg["OnBuild"].push_back(arg);
        } else {
            throw bad("invalid instruction " + kw);
        }
    }
}

std::string commitContainer(Context& ctx, const CommitOptions& o) {
    if (!o.message.empty() && o.format != "docker")
        throw InvalidArgument("messages are only compatible with the docker image format (-f docker)");
    mediaTypesFor(o.format);  // validates the format before any work
    std::string name = o.image.empty() ? std::string() : commitImageName(o.image);
    ContainerRecord rec = loadContainer(ctx, o.container);
    storage::Store& store = ctx.store();
    auto base = store.lookupImage(rec.imageId);
    if (!base) throw NotFound("image " + rec.imageId + " of container " + rec.name + " not found");
    json config;
    try {
        config = json::parse(store.imageBigData(base->id, "config"));
    } catch (const json::exception& e) {
        throw Error("image " + base->id + ": stored config is not JSON: " + e.what());
    }
    json& cfg = config["config"];
    if (!cfg.is_object()) cfg = json::object();
    // The container's command becomes the image's Cmd (without the image's entrypoint).
    std::vector<std::string> ep;
    if (cfg.contains("Entrypoint") && cfg["Entrypoint"].is_array()) ep = cfg["Entrypoint"].get<std::vector<std::string>>();
    std::vector<std::string> cmd = rec.args;
    if (!ep.empty() && cmd.size() >= ep.size() && std::equal(ep.begin(), ep.end(), cmd.begin()))
        cmd.erase(cmd.begin(), cmd.begin() + static_cast<long>(ep.size()));
    if (!cmd.empty()) cfg["Cmd"] = cmd;
    const size_t onBuildBefore = cfg.contains("OnBuild") && cfg["OnBuild"].is_array() ? cfg["OnBuild"].size() : 0;
    applyChanges(cfg, o.changes);
    if (o.format != "docker" && cfg.contains("OnBuild") && cfg["OnBuild"].is_array() &&
        cfg["OnBuild"].size() > onBuildBefore) {
        // OCI configs have no OnBuild: podman warns and drops the triggers.
        auto& ob = cfg["OnBuild"];
        for (size_t i = onBuildBefore; i < ob.size(); ++i)
            log::warn("ONBUILD is not supported for OCI image format, {} will be ignored. Must use `docker` format",
                      ob[i].get<std::string>());
        ob.erase(ob.begin() + static_cast<long>(onBuildBefore), ob.end());
        if (ob.empty()) cfg.erase("OnBuild");
    }
    if (!o.author.empty()) config["author"] = o.author;
    if (o.format == "docker" && !o.message.empty()) config["comment"] = o.message;

    ImageCommit c;
    c.baseImageId = base->id;
    c.layer = store.commitContainer(rec.id);
    c.historyEntry = {{"created", nowRfc3339()}, {"created_by", "/bin/sh"}};
    if (!o.author.empty()) c.historyEntry["author"] = o.author;
    c.historyEntry["comment"] = "FROM " + (rec.imageName.empty() ? base->id : rec.imageName);
    c.config = std::move(config);
    c.format = o.format;
    if (!name.empty()) c.names = {name};
    std::string id = commitImage(ctx, c);
    recordContainerEvent(ctx, rec, "commit");
    return id;
}

}  // namespace hutch::engine
