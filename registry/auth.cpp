#include "hutch/registry/auth.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
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

std::optional<Credentials> lookupCredentialsIn(const std::string& host, const std::vector<std::string>& files) {
    const std::string want = normalizeAuthKey(host);
    for (const auto& path : files) {
        std::string text;
        try {
            text = fsutil::readFile(path);
        } catch (const NotFound&) {
            continue;
        }
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            throw ConfigError(path, 0, std::string("invalid JSON: ") + e.what());
        }
        if (!j.is_object() || !j.contains("auths") || !j["auths"].is_object()) continue;
        for (auto it = j["auths"].begin(); it != j["auths"].end(); ++it) {
            if (normalizeAuthKey(it.key()) != want || !it.value().is_object()) continue;
            const auto& e = it.value();
            Credentials c;
            if (e.contains("auth") && e["auth"].is_string() && !e["auth"].get<std::string>().empty()) {
                auto dec = base64Decode(e["auth"].get<std::string>());
                if (!dec || dec->find(':') == std::string::npos)
                    throw ConfigError(path, 0, "auths[\"" + it.key() + "\"].auth is not base64 of user:password");
                auto [u, p] = str::cut(*dec, ':');
                c.username = u;
                c.password = p;
            }
            if (e.contains("identitytoken") && e["identitytoken"].is_string())
                c.identityToken = e["identitytoken"].get<std::string>();
            if (c.username.empty() && c.identityToken.empty()) continue;
            log::debug("credentials for {} from {}", host, path);
            return c;
        }
    }
    return std::nullopt;
}

std::optional<Credentials> lookupCredentials(const std::string& host) {
    return lookupCredentialsIn(host, authFilePaths());
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
