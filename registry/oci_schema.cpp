#include "hutch/registry/oci_schema.hpp"

#include <cctype>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/registry/manifest.hpp"

namespace hutch::registry::oci {

using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
    throw InvalidArgument(path + ": " + why);
}

const char* typeName(const json& j) {
    return j.type_name();
}

void requireObject(const json& j, const std::string& path) {
    if (!j.is_object()) fail(path, std::string("must be an object, not ") + typeName(j));
}

void requireString(const json& j, const std::string& path) {
    if (!j.is_string()) fail(path, std::string("must be a string, not ") + typeName(j));
}

void optString(const json& obj, const char* key, const std::string& path) {
    if (auto it = obj.find(key); it != obj.end()) requireString(*it, path + "." + key);
}

void requireStringArray(const json& j, const std::string& path) {
    if (!j.is_array()) fail(path, std::string("must be an array, not ") + typeName(j));
    for (size_t i = 0; i < j.size(); ++i) requireString(j[i], path + "[" + std::to_string(i) + "]");
}

// defs.json mapStringString: object whose values are strings (keys non-empty).
void requireMapStringString(const json& j, const std::string& path) {
    requireObject(j, path);
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!it.key().empty()) requireString(it.value(), path + "." + it.key());
}

// defs.json mapStringObject.
void requireMapStringObject(const json& j, const std::string& path) {
    requireObject(j, path);
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!it.key().empty()) requireObject(it.value(), path + "." + it.key());
}

bool mediaTypeChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
}

bool validRestrictedName(std::string_view s) {
    if (s.empty() || s.size() > 127 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s)
        if (!mediaTypeChar(c) || static_cast<unsigned char>(c) > 127) return false;
    return true;
}

void requireMediaType(const json& j, const std::string& path) {
    requireString(j, path);
    if (!validMediaType(j.get<std::string>()))
        fail(path, "\"" + j.get<std::string>() + "\" is not a valid media type (type/subtype)");
}

void requireSize(const json& j, const std::string& path) {
    if (!j.is_number_integer()) fail(path, std::string("must be an integer, not ") + typeName(j));
    if (j.is_number_unsigned()) return;
    if (j.get<int64_t>() < 0) fail(path, "must not be negative");
}

// Schema pattern ^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$ plus go-digest's checks of
// registered algorithms (sha256/sha512: lower-case hex of the right length). Digest::valid
// implements exactly that.
void requireDigest(const json& j, const std::string& path) {
    requireString(j, path);
    if (!Digest::valid(j.get<std::string>()))
        fail(path, "\"" + j.get<std::string>() + "\" is not a valid digest");
}

bool asciiDigit(char c) { return c >= '0' && c <= '9'; }
bool asciiAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// The validators below are linear scanners, never std::regex: libstdc++'s regex recurses once
// per input character and overflows the stack on a few tens of KB of registry data.

// JSON schema "format": "uri" as gojsonschema checks it: an absolute URI, i.e. the language of
// ^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$ (scheme ":" then no white space).
bool validUri(std::string_view s) {
    if (s.empty() || !asciiAlpha(s[0])) return false;
    size_t i = 1;
    while (i < s.size() && (asciiAlpha(s[i]) || asciiDigit(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-')) ++i;
    if (i == s.size() || s[i] != ':') return false;
    return s.find_first_of(" \t\n\v\f\r", i + 1) == std::string_view::npos;
}

// RFC 3339 date-time (JSON schema "format": "date-time"): the language of
// ^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+\-]\d{2}:\d{2})$.
bool validDateTime(std::string_view s) {
    size_t i = 0;
    auto digits = [&](size_t n) {
        for (size_t k = 0; k < n; ++k, ++i)
            if (i >= s.size() || !asciiDigit(s[i])) return false;
        return true;
    };
    auto lit = [&](std::string_view set) {
        if (i >= s.size() || set.find(s[i]) == std::string_view::npos) return false;
        ++i;
        return true;
    };
    if (!(digits(4) && lit("-") && digits(2) && lit("-") && digits(2) && lit("Tt") && digits(2) && lit(":") &&
          digits(2) && lit(":") && digits(2)))
        return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits(1)) return false;
        while (i < s.size() && asciiDigit(s[i])) ++i;
    }
    if (lit("Zz")) return i == s.size();
    return lit("+-") && digits(2) && lit(":") && digits(2) && i == s.size();
}

// An image config's Env entry: ^[^=]+=.*$ (a non-empty key; the value, as ECMAScript's and
// Go's ".", has no line terminator).
bool validEnvEntry(std::string_view s) {
    size_t eq = s.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    return s.find_first_of("\n\r", eq + 1) == std::string_view::npos;
}

// Strict standard base64 (padding required), as Go's base64.StdEncoding decodes it.
bool decodeBase64(const std::string& s, std::string& out) {
    if (s.size() % 4 != 0) return false;
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    out.clear();
    for (size_t i = 0; i < s.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s[i + k];
            if (c == '=') {
                if (i + 4 != s.size() || k < 2) return false;
                v[k] = 0;
                ++pad;
            } else {
                if (pad) return false;
                v[k] = val(c);
                if (v[k] < 0) return false;
            }
        }
        uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
        out.push_back(static_cast<char>((n >> 16) & 0xff));
        if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
    }
    return true;
}

void validatePlatform(const json& j, const std::string& path) {
    requireObject(j, path);
    for (const char* k : {"architecture", "os"}) {
        if (!j.contains(k)) fail(path + "." + k, "is required");
        requireString(j[k], path + "." + k);
    }
    optString(j, "os.version", path);
    optString(j, "variant", path);
    if (j.contains("os.features")) requireStringArray(j["os.features"], path + ".os.features");
}

void validateDescriptorFields(const json& j, const std::string& path, bool indexEntry) {
    requireObject(j, path);
    for (const char* k : {"mediaType", "size", "digest"})
        if (!j.contains(k)) fail(path + "." + k, "is required");
    requireMediaType(j["mediaType"], path + ".mediaType");
    if (indexEntry) {
        if (!j["size"].is_number_integer())
            fail(path + ".size", std::string("must be an integer, not ") + typeName(j["size"]));
    } else {
        requireSize(j["size"], path + ".size");
    }
    requireDigest(j["digest"], path + ".digest");
    if (j.contains("urls")) {
        const auto& u = j["urls"];
        requireStringArray(u, path + ".urls");
        for (size_t i = 0; i < u.size(); ++i)
            if (!validUri(u[i].get<std::string>()))
                fail(path + ".urls[" + std::to_string(i) + "]", "\"" + u[i].get<std::string>() + "\" is not an absolute URI");
    }
    if (j.contains("artifactType")) requireMediaType(j["artifactType"], path + ".artifactType");
    if (j.contains("annotations")) requireMapStringString(j["annotations"], path + ".annotations");
    if (j.contains("platform")) validatePlatform(j["platform"], path + ".platform");
    if (j.contains("data")) {
        requireString(j["data"], path + ".data");
        std::string raw;
        if (!decodeBase64(j["data"].get<std::string>(), raw)) fail(path + ".data", "is not valid base64");
        auto d = Digest::parse(j["digest"].get<std::string>());
        if (d.algorithm == "sha256") {
            if (static_cast<int64_t>(raw.size()) != j["size"].get<int64_t>())
                fail(path + ".data", "length does not match size");
            if (!(Digest::sha256Of(raw) == d)) fail(path + ".data", "does not match digest " + d.str());
        }
    }
}

void validateSchemaVersion(const json& j, const std::string& path) {
    if (!j.contains("schemaVersion")) fail(path + ".schemaVersion", "is required");
    const auto& v = j["schemaVersion"];
    if (!v.is_number_integer()) fail(path + ".schemaVersion", std::string("must be an integer, not ") + typeName(v));
    if (v.get<int64_t>() != 2) fail(path + ".schemaVersion", "must be 2, not " + v.dump());
}

}  // namespace

bool validMediaType(const std::string& s) {
    auto slash = s.find('/');
    if (slash == std::string::npos) return false;
    return validRestrictedName(std::string_view(s).substr(0, slash)) &&
           validRestrictedName(std::string_view(s).substr(slash + 1));
}

void validateDescriptor(const json& j, const std::string& path) {
    validateDescriptorFields(j, path, false);
}

void validateManifest(const json& j) {
    requireObject(j, "manifest");
    validateSchemaVersion(j, "manifest");
    if (j.contains("mediaType")) requireMediaType(j["mediaType"], "manifest.mediaType");
    if (j.contains("artifactType")) requireMediaType(j["artifactType"], "manifest.artifactType");
    if (!j.contains("config")) fail("manifest.config", "is required");
    validateDescriptor(j["config"], "manifest.config");
    if (j.contains("subject")) validateDescriptor(j["subject"], "manifest.subject");
    if (!j.contains("layers")) fail("manifest.layers", "is required");
    const auto& layers = j["layers"];
    if (!layers.is_array()) fail("manifest.layers", std::string("must be an array, not ") + typeName(layers));
    if (layers.empty()) fail("manifest.layers", "must have at least one entry");
    for (size_t i = 0; i < layers.size(); ++i)
        validateDescriptor(layers[i], "manifest.layers[" + std::to_string(i) + "]");
    if (j.contains("annotations")) requireMapStringString(j["annotations"], "manifest.annotations");
}

void validateIndex(const json& j) {
    requireObject(j, "index");
    validateSchemaVersion(j, "index");
    if (j.contains("mediaType")) requireMediaType(j["mediaType"], "index.mediaType");
    if (j.contains("artifactType")) requireMediaType(j["artifactType"], "index.artifactType");
    if (j.contains("subject")) validateDescriptor(j["subject"], "index.subject");
    if (!j.contains("manifests")) fail("index.manifests", "is required");
    const auto& m = j["manifests"];
    if (!m.is_array()) fail("index.manifests", std::string("must be an array, not ") + typeName(m));
    for (size_t i = 0; i < m.size(); ++i)
        validateDescriptorFields(m[i], "index.manifests[" + std::to_string(i) + "]", true);
    if (j.contains("annotations")) requireMapStringString(j["annotations"], "index.annotations");
}

void validateConfig(const json& j) {
    const std::string p = "config";
    requireObject(j, p);
    for (const char* k : {"architecture", "os", "rootfs"})
        if (!j.contains(k)) fail(p + "." + k, "is required");
    for (const char* k : {"architecture", "os", "variant", "author", "os.version"}) optString(j, k, p);
    if (j.contains("created")) {
        requireString(j["created"], p + ".created");
        if (!validDateTime(j["created"].get<std::string>()))
            fail(p + ".created", "\"" + j["created"].get<std::string>() + "\" is not an RFC 3339 date-time");
    }
    if (j.contains("os.features")) requireStringArray(j["os.features"], p + ".os.features");
    const auto& rootfs = j["rootfs"];
    requireObject(rootfs, p + ".rootfs");
    if (!rootfs.contains("diff_ids")) fail(p + ".rootfs.diff_ids", "is required");
    if (!rootfs.contains("type")) fail(p + ".rootfs.type", "is required");
    requireStringArray(rootfs["diff_ids"], p + ".rootfs.diff_ids");
    requireString(rootfs["type"], p + ".rootfs.type");
    if (rootfs["type"] != "layers") fail(p + ".rootfs.type", "must be \"layers\"");
    if (j.contains("config") && !j["config"].is_null()) {
        const auto& c = j["config"];
        const std::string cp = p + ".config";
        requireObject(c, cp);
        for (const char* k : {"User", "WorkingDir", "StopSignal"}) optString(c, k, cp);
        if (c.contains("ExposedPorts") && !c["ExposedPorts"].is_null())
            requireMapStringObject(c["ExposedPorts"], cp + ".ExposedPorts");
        if (c.contains("Env") && !c["Env"].is_null()) {
            requireStringArray(c["Env"], cp + ".Env");
            for (size_t i = 0; i < c["Env"].size(); ++i)
                if (!validEnvEntry(c["Env"][i].get_ref<const std::string&>()))
                    fail(cp + ".Env[" + std::to_string(i) + "]",
                         "\"" + c["Env"][i].get<std::string>() + "\" is not KEY=VALUE");
        }
        for (const char* k : {"Entrypoint", "Cmd"})
            if (c.contains(k) && !c[k].is_null()) requireStringArray(c[k], cp + "." + k);
        if (c.contains("Volumes") && !c["Volumes"].is_null()) requireMapStringObject(c["Volumes"], cp + ".Volumes");
        if (c.contains("Labels") && !c["Labels"].is_null()) requireMapStringString(c["Labels"], cp + ".Labels");
        if (c.contains("ArgsEscaped") && !c["ArgsEscaped"].is_boolean())
            fail(cp + ".ArgsEscaped", "must be a boolean");
    }
    if (j.contains("history")) {
        const auto& h = j["history"];
        if (!h.is_array()) fail(p + ".history", std::string("must be an array, not ") + typeName(h));
        for (size_t i = 0; i < h.size(); ++i) {
            std::string hp = p + ".history[" + std::to_string(i) + "]";
            requireObject(h[i], hp);
            for (const char* k : {"author", "created_by", "comment"}) optString(h[i], k, hp);
            if (h[i].contains("created")) {
                requireString(h[i]["created"], hp + ".created");
                if (!validDateTime(h[i]["created"].get<std::string>())) fail(hp + ".created", "is not an RFC 3339 date-time");
            }
            if (h[i].contains("empty_layer") && !h[i]["empty_layer"].is_boolean())
                fail(hp + ".empty_layer", "must be a boolean");
        }
    }
}

void validateLayout(const json& j) {
    requireObject(j, "oci-layout");
    if (!j.contains("imageLayoutVersion")) fail("oci-layout.imageLayoutVersion", "is required");
    requireString(j["imageLayoutVersion"], "oci-layout.imageLayoutVersion");
    if (j["imageLayoutVersion"] != "1.0.0") fail("oci-layout.imageLayoutVersion", "must be \"1.0.0\"");
}

void validate(const std::string& mediaType, const std::string& body) {
    json j;
    try {
        j = json::parse(body);
    } catch (const json::exception& e) {
        throw InvalidArgument(mediaType + ": invalid JSON: " + e.what());
    }
    if (mediaType == "application/vnd.oci.descriptor.v1+json") validateDescriptor(j);
    else if (mediaType == "application/vnd.oci.layout.header.v1+json") validateLayout(j);
    else if (mediaType == mediatype::kOciIndex || mediaType == mediatype::kDockerManifestList) validateIndex(j);
    else if (mediaType == mediatype::kOciManifest || mediaType == mediatype::kDockerManifest) validateManifest(j);
    else if (mediaType == mediatype::kOciConfig || mediaType == mediatype::kDockerConfig) validateConfig(j);
    else throw InvalidArgument("no schema for media type \"" + mediaType + "\"");
}

}  // namespace hutch::registry::oci
