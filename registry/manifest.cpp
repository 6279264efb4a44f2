#include "hutch/registry/manifest.hpp"

#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/registry/oci_schema.hpp"

namespace hutch::registry {

using nlohmann::json;

std::string mediatype::acceptHeader() {
    return std::string(kOciManifest) + ", " + kOciIndex + ", " + kDockerManifest + ", " +
           kDockerManifestList + ", " + kDockerSchema1Signed + ";q=0.5, " + kDockerSchema1 + ";q=0.5";
}

bool isIndexKind(ManifestKind k) {
    return k == ManifestKind::OciIndex || k == ManifestKind::DockerManifestList;
}

namespace {

json parseJson(const std::string& body, const char* what) {
    try {
        return json::parse(body);
    } catch (const json::exception& e) {
        throw InvalidArgument(std::string(what) + " is not valid JSON: " + e.what());
    }
}

std::optional<ManifestKind> kindOf(const std::string& mt) {
    if (mt == mediatype::kOciManifest) return ManifestKind::OciManifest;
    if (mt == mediatype::kOciIndex) return ManifestKind::OciIndex;
    if (mt == mediatype::kDockerManifest) return ManifestKind::DockerManifest;
    if (mt == mediatype::kDockerManifestList) return ManifestKind::DockerManifestList;
    return std::nullopt;
}

[[noreturn]] void schema1(const std::string& mt) {
    throw Error("manifest schema 1 (" + mt +
                ") is not supported: the image must be pushed again with a schema 2 or OCI manifest");
}

bool isSchema1Type(const std::string& mt) {
    return mt == mediatype::kDockerSchema1 || mt == mediatype::kDockerSchema1Signed;
}

// Content-Type may carry parameters ("; charset=utf-8").
std::string stripParams(const std::string& ct) {
    auto s = ct.substr(0, ct.find(';'));
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

Descriptor toDescriptor(const json& j, const std::string& path) {
    Descriptor d;
    d.mediaType = j.at("mediaType").get<std::string>();
    d.digest = Digest::parse(j.at("digest").get<std::string>());
    d.size = j.at("size").get<int64_t>();
    if (auto it = j.find("annotations"); it != j.end() && it->is_object())
        for (auto a = it->begin(); a != it->end(); ++a) d.annotations[a.key()] = a.value().get<std::string>();
    if (auto it = j.find("urls"); it != j.end() && it->is_array())
        for (const auto& u : *it) d.urls.push_back(u.get<std::string>());
    if (auto it = j.find("platform"); it != j.end() && it->is_object()) {
        Platform p;
        p.os = it->value("os", "");
        p.architecture = it->value("architecture", "");
        p.variant = it->value("variant", "");
        d.platform = p;
    }
    (void)path;
    return d;
}

}  // namespace

bool isLayerMediaType(const std::string& mediaType) {
    static const char* const known[] = {
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    };
    for (const char* k : known)
        if (mediaType == k) return true;
    return false;
}

ManifestKind classifyManifest(const std::string& contentType, const std::string& body) {
    std::string ct = stripParams(contentType);
    if (isSchema1Type(ct)) schema1(ct);
    if (auto k = kindOf(ct)) return *k;
    json j = parseJson(body, "manifest");
    if (!j.is_object()) throw InvalidArgument("manifest is not a JSON object");
    std::string mt = j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>() : "";
    if (isSchema1Type(mt)) schema1(mt);
    if (j.contains("schemaVersion") && j["schemaVersion"] == 1) schema1(ct.empty() ? mediatype::kDockerSchema1 : ct);
    if (auto k = kindOf(mt)) return *k;
    if (mt.empty()) {
        if (j.contains("manifests")) return ManifestKind::OciIndex;
        if (j.contains("config") && j.contains("layers")) return ManifestKind::OciManifest;
    }
    throw InvalidArgument("unsupported manifest media type \"" + (mt.empty() ? ct : mt) + "\"");
}

ImageManifest parseManifest(const std::string& body, ManifestKind kind) {
    if (isIndexKind(kind)) throw InvalidArgument("parseManifest: body is an index, not an image manifest");
    json j = parseJson(body, "manifest");
    // The schema demands at least one layer; images with none exist (and run), so accept
    // them by validating a copy with the layers removed when empty.
    if (j.is_object() && j.contains("layers") && j["layers"].is_array() && j["layers"].empty()) {
        json copy = j;
        copy["layers"] = json::array({json{{"mediaType", "application/octet-stream"}, {"size", 0},
                                           {"digest", Digest::sha256Of("").str()}}});
        oci::validateManifest(copy);
    } else {
        oci::validateManifest(j);
    }
    ImageManifest m;
    m.kind = kind;
    m.mediaType = j.value("mediaType", kind == ManifestKind::DockerManifest ? mediatype::kDockerManifest
                                                                         : mediatype::kOciManifest);
    if (auto k = kindOf(m.mediaType); k && *k != kind)
        throw InvalidArgument("manifest.mediaType \"" + m.mediaType + "\" does not match the Content-Type");
    m.config = toDescriptor(j["config"], "manifest.config");
    for (size_t i = 0; i < j["layers"].size(); ++i) {
        std::string path = "manifest.layers[" + std::to_string(i) + "]";
        m.layers.push_back(toDescriptor(j["layers"][i], path));
        const Descriptor& d = m.layers.back();
        if (!isLayerMediaType(d.mediaType))
            throw InvalidArgument(path + ": layer " + d.digest.str() + " has unsupported media type \"" + d.mediaType +
                                  "\"");
    }
    return m;
}

ImageIndex parseIndex(const std::string& body, ManifestKind kind) {
    if (!isIndexKind(kind)) throw InvalidArgument("parseIndex: body is an image manifest, not an index");
    json j = parseJson(body, "index");
    oci::validateIndex(j);
    ImageIndex idx;
    idx.kind = kind;
    for (size_t i = 0; i < j["manifests"].size(); ++i) {
        std::string path = "index.manifests[" + std::to_string(i) + "]";
        if (j["manifests"][i]["size"].get<int64_t>() < 0) throw InvalidArgument(path + ".size: must not be negative");
        idx.manifests.push_back(toDescriptor(j["manifests"][i], path));
    }
    return idx;
}

const Descriptor& choosePlatform(const ImageIndex& index, const Platform& want) {
    for (const auto& w : wantedPlatforms(want))
        for (const auto& d : index.manifests) {
            if (!d.platform) continue;
            Platform h = canonicalPlatform(*d.platform);
            if (h.os == w.os && h.architecture == w.architecture && h.variant == w.variant) return d;
        }
    std::string avail;
    for (const auto& d : index.manifests) {
        if (!d.platform) continue;
        if (!avail.empty()) avail += ", ";
        avail += d.platform->str();
    }
    throw NotFound("no image for platform " + want.str() + " in the manifest list; available: " +
                   (avail.empty() ? std::string("none") : avail));
}

}  // namespace hutch::registry
