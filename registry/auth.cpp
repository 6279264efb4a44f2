#include "hutch/registry/auth.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::registry {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string base64Encode(std::string_view in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += tbl[(n >> s) & 63];
    }
    if (i < in.size()) {
        uint32_t n = uint8_t(in[i]) << 16;
        if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
        out += tbl[(n >> 18) & 63];
        out += tbl[(n >> 12) & 63];
        out += i + 1 < in.size() ? tbl[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64Decode(std::string_view in) {
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else return std::nullopt;
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6) return std::nullopt;   // a lone trailing character
    return out;
}

std::string normalizeAuthKey(std::string_view key) {
    std::string k(key);
    for (const char* scheme : {"https://", "http://"})
        if (k.rfind(scheme, 0) == 0) {
            k = k.substr(std::string_view(scheme).size());
            // Legacy docker keys have a path ("index.docker.io/v1/"): keep the host only.
            k = k.substr(0, k.find('/'));
        }
    if (k == "index.docker.io" || k == "registry-1.docker.io") return "docker.io";
    return k;
}

std::vector<std::string> authFilePaths() {
    std::vector<std::string> paths;
    if (auto f = env("REGISTRY_AUTH_FILE"); !f.empty()) paths.push_back(f);
    else if (auto r = env("XDG_RUNTIME_DIR"); !r.empty()) paths.push_back(r + "/containers/auth.json");
    else paths.push_back("/run/containers/" + std::to_string(getuid()) + "/auth.json");
    std::string home = env("HOME");
    if (auto c = env("XDG_CONFIG_HOME"); !c.empty()) paths.push_back(c + "/containers/auth.json");
    else if (!home.empty()) paths.push_back(home + "/.config/containers/auth.json");
    if (!home.empty()) paths.push_back(home + "/.docker/config.json");
    return paths;
}

namespace {

/// The parsed file, nullopt when it does not exist. Throws ConfigError for invalid JSON.
std::optional<nlohmann::json> readAuthJson(const std::string& path) {
    std::string text;
    try {
        text = fsutil::readFile(path);
    } catch (const NotFound&) {
        return std::nullopt;
    }
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError(path, 0, std::string("invalid JSON: ") + e.what());
    }
}

/// The credentials of one auths entry; nullopt when it has neither user nor token.
std::optional<Credentials> entryCredentials(const std::string& path, const std::string& key, const nlohmann::json& e) {
    if (!e.is_object()) return std::nullopt;
    Credentials c;
    if (e.contains("auth") && e["auth"].is_string() && !e["auth"].get<std::string>().empty()) {
        auto dec = base64Decode(e["auth"].get<std::string>());
        if (!dec || dec->find(':') == std::string::npos)
            throw ConfigError(path, 0, "auths[\"" + key + "\"].auth is not base64 of user:password");
        auto [u, p] = str::cut(*dec, ':');
        c.username = u;
        c.password = p;
    }
    if (e.contains("identitytoken") && e["identitytoken"].is_string())
        c.identityToken = e["identitytoken"].get<std::string>();
    if (c.username.empty() && c.identityToken.empty()) return std::nullopt;
    return c;
}

/// The file's "auths" object, nullptr when it has none usable.
const nlohmann::json* authsOf(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("auths") || !j["auths"].is_object()) return nullptr;
    return &j["auths"];
}

/// The file as an object to modify: {} when missing; ConfigError when it is not an object
/// or its "auths" is not one. "auths" is present afterwards.
nlohmann::json loadForUpdate(const std::string& file) {
    nlohmann::json j = readAuthJson(file).value_or(nlohmann::json::object());
    if (!j.is_object()) throw ConfigError(file, 0, "not a JSON object");
    if (!j.contains("auths") || j["auths"].is_null()) j["auths"] = nlohmann::json::object();
    if (!j["auths"].is_object()) throw ConfigError(file, 0, "\"auths\" is not a JSON object");
    return j;
}

void saveAuthJson(const std::string& file, const nlohmann::json& j) {
    auto slash = file.rfind('/');
    if (slash != std::string::npos && slash > 0) fsutil::mkdirAll(file.substr(0, slash), 0700);
    // Tab-indented, as podman writes it.
    fsutil::writeFileAtomic(file, j.dump(1, '\t'), 0600);
}

}  // namespace

std::optional<Credentials> lookupCredentialsIn(const std::string& host, const std::string& repo,
                                               const std::vector<std::string>& files) {
    const std::string h = normalizeAuthKey(host);
    // Most specific first: host/a/b, host/a, host.
    std::vector<std::string> wanted;
    for (std::string r = repo; !r.empty(); r = r.substr(0, r.rfind('/') == std::string::npos ? 0 : r.rfind('/')))
        wanted.push_back(h + "/" + r);
    wanted.push_back(h);
    for (const auto& path : files) {
        auto j = readAuthJson(path);
        if (!j) continue;
        const nlohmann::json* auths = authsOf(*j);
        if (!auths) continue;
        for (const auto& want : wanted)
            for (auto it = auths->begin(); it != auths->end(); ++it) {
                if (normalizeAuthKey(it.key()) != want) continue;
                if (auto c = entryCredentials(path, it.key(), it.value())) {
                    log::debug("credentials for {} from {} ({})", want, path, it.key());
                    return c;
                }
            }
    }
    return std::nullopt;
}

std::optional<Credentials> lookupCredentialsIn(const std::string& host, const std::vector<std::string>& files) {
    return lookupCredentialsIn(host, "", files);
}

std::optional<Credentials> lookupCredentials(const std::string& host) {
    return lookupCredentialsIn(host, authFilePaths());
}

std::vector<std::string> authFilesFor(const std::string& authFile) {
    if (!authFile.empty()) return {authFile};
    return authFilePaths();
}

void checkAuthFile(const std::string& authFile) {
    if (authFile.empty() || ::access(authFile.c_str(), F_OK) == 0) return;
    // podman's (Go's) wording: strerror in lower case.
    std::string why = std::strerror(errno);
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    throw Error("stat " + authFile + ": " + why);
}

std::string authFileToWrite(const std::string& authFile) {
    return authFile.empty() ? authFilePaths().front() : authFile;
}

AuthKey parseAuthKey(std::string_view arg) {
    std::string key(arg);
    for (const char* scheme : {"https://", "http://"})
        if (key.rfind(scheme, 0) == 0) {
            // A URL: its host[:port] only.
            key = key.substr(std::string_view(scheme).size());
            key = key.substr(0, key.find_first_of("/?#"));
        }
    while (key.size() > 1 && key.back() == '/') key.pop_back();
    AuthKey out;
    out.key = key;
    out.host = key.substr(0, key.find('/'));
    if (out.host.empty()) throw InvalidArgument("invalid registry \"" + std::string(arg) + "\": no host");
    std::string path = key.size() > out.host.size() ? key.substr(out.host.size() + 1) : "";
    if (path.find_first_of(":@") != std::string::npos)
        throw InvalidArgument("reference \"" + key + "\" contains tag or digest");
    for (char c : path)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
              c == '/' || c == '.' || c == '_' || c == '-'))
            throw InvalidArgument("parse reference from \"" + key + "\": invalid reference format");
    return out;
}

std::optional<Credentials> readAuthEntry(const std::string& file, const std::string& key) {
    auto j = readAuthJson(file);
    if (!j) return std::nullopt;
    const nlohmann::json* auths = authsOf(*j);
    if (!auths) return std::nullopt;
    if (auto it = auths->find(key); it != auths->end()) return entryCredentials(file, key, *it);
    for (auto it = auths->begin(); it != auths->end(); ++it)
        if (normalizeAuthKey(it.key()) == key) return entryCredentials(file, it.key(), it.value());
    return std::nullopt;
}

void storeCredentials(const std::string& file, const std::string& key, const std::string& username,
                      const std::string& password) {
    nlohmann::json j = loadForUpdate(file);
    j["auths"][key] = nlohmann::json{{"auth", base64Encode(username + ":" + password)}};
    saveAuthJson(file, j);
}

bool removeCredentials(const std::string& file, const std::string& key) {
    if (!readAuthJson(file)) return false;
    nlohmann::json j = loadForUpdate(file);
    auto& auths = j["auths"];
    std::vector<std::string> gone;
    for (auto it = auths.begin(); it != auths.end(); ++it)
        if (it.key() == key || normalizeAuthKey(it.key()) == key) gone.push_back(it.key());
    if (gone.empty()) return false;
    for (const auto& k : gone) auths.erase(k);
    saveAuthJson(file, j);
    return true;
}

void removeAllCredentials(const std::string& file) {
    nlohmann::json j = loadForUpdate(file);
    j["auths"] = nlohmann::json::object();
    saveAuthJson(file, j);
}

std::vector<Challenge> parseChallenges(std::string_view h) {
    std::vector<Challenge> out;
    size_t i = 0;
    auto skipWs = [&] {
        while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == ',')) ++i;
    };
    auto token = [&] {
        size_t s = i;
        while (i < h.size() && h[i] != ' ' && h[i] != '\t' && h[i] != '=' && h[i] != ',') ++i;
        return std::string(h.substr(s, i - s));
    };
    while (true) {
        skipWs();
        if (i >= h.size()) break;
        std::string first = token();
        // An auth-param of the current challenge (key=value), or a new scheme.
        size_t save = i;
        while (i < h.size() && h[i] == ' ') ++i;
        if (i < h.size() && h[i] == '=' && !out.empty()) {
            ++i;
            while (i < h.size() && h[i] == ' ') ++i;
            std::string val;
            if (i < h.size() && h[i] == '"') {
                ++i;
                while (i < h.size() && h[i] != '"') {
                    if (h[i] == '\\' && i + 1 < h.size()) ++i;
                    val += h[i++];
                }
                ++i;
            } else {
                while (i < h.size() && h[i] != ',' && h[i] != ' ') val += h[i++];
            }
            out.back().params[lower(first)] = val;
        } else {
            i = save;
            out.push_back(Challenge{lower(first), {}});
        }
    }
    return out;
}

}  // namespace hutch::registry
