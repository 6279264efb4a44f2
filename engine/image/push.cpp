#include "hutch/engine/image/push.hpp"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/conf/registries.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/engine/image/archive_layers.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/registry/auth.hpp"
#include "hutch/registry/client.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/reference.hpp"
#include "hutch/registry/upload.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;
namespace mt = registry::mediatype;

namespace {

constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// A layer as it will appear in the pushed manifest.
struct PushLayer {
    storage::Layer layer;
    std::optional<registry::Descriptor> source;  ///< the pulled (compressed) descriptor, if known
    bool borrowed = false;                       ///< source found in another image's manifest
};

std::string layerMediaType(const std::string& format, const std::string& sourceType) {
    bool oci = format == "oci";
    if (sourceType.empty()) return oci ? kOciLayerGzip : kDockerLayerGzip;
    // Same compression, the target format's name for it.
    if (oci) {
        if (sourceType == kDockerLayerGzip) return kOciLayerGzip;
        if (sourceType == "application/vnd.docker.image.rootfs.diff.tar") return "application/vnd.oci.image.layer.v1.tar";
        return sourceType;
    }
    if (sourceType == kOciLayerGzip) return kDockerLayerGzip;
    if (sourceType == "application/vnd.oci.image.layer.v1.tar") return "application/vnd.docker.image.rootfs.diff.tar";
    if (sourceType.find("zstd") != std::string::npos)
        throw InvalidArgument("a zstd-compressed layer cannot be pushed in the docker v2s2 format; use --format oci");
    return sourceType;
}

/// "docker://x" -> "x"; other transports are refused.
std::string stripTransport(const std::string& dest) {
    const std::string docker = "docker://";
    if (dest.rfind(docker, 0) == 0) return dest.substr(docker.size());
    if (auto p = dest.find(':'); p != std::string::npos) {
        std::string t = dest.substr(0, p);
        for (const char* known : {"oci-archive", "docker-archive", "oci", "dir", "containers-storage", "docker-daemon"})
            if (t == known)
                throw InvalidArgument("pushing to the " + t + " transport is not supported (only docker://)");
    }
    return dest;
}

/// Layers of a committed or built image that came unchanged from a pulled image (its
/// base): their compressed descriptor is found in another local image's stored manifest, so
/// the registry's blob can be reused or mounted instead of regenerating the layer (which
/// could change its diffID and so the image id). `addRepos` gets the names of each image
/// that supplied a descriptor (mount sources).
void resolveBaseLayerSources(storage::Store& store, const std::string& selfId, std::vector<PushLayer>& layers,
                             const std::function<void(const std::vector<std::string>&)>& addRepos) {
    bool missing = false;
    for (const auto& pl : layers) missing = missing || (!pl.source && !pl.layer.compressedDigest.str().empty());
    if (!missing) return;
    for (const auto& other : store.images()) {
        if (other.id == selfId) continue;
        std::string bytes;
        try {
            bytes = store.imageBigData(other.id, "manifest");
        } catch (const NotFound&) {
            continue;
        }
        registry::ImageManifest m;
        try {
            m = registry::parseManifest(bytes, registry::classifyManifest("", bytes));
        } catch (const std::exception&) {
            continue;
        }
        bool used = false;
        for (auto& pl : layers) {
            if (pl.source || pl.layer.compressedDigest.str().empty()) continue;
            for (const auto& d : m.layers)
                if (d.digest == pl.layer.compressedDigest) {
                    pl.source = d;
                    pl.borrowed = true;
                    used = true;
                    break;
                }
        }
        if (used) addRepos(other.names);
    }
}

}  // namespace

PushResult pushImage(Context& ctx, const std::string& image, const std::string& destination, const PushOptions& opts,
                     Progress& progress) {
    std::string format = opts.format;
    if (format == "docker") format = "v2s2";
    if (!format.empty() && format != "oci" && format != "v2s2")
        throw InvalidArgument("unsupported manifest type \"" + opts.format + "\" (use oci or v2s2)");
    registry::checkAuthFile(opts.authFile);
    const storage::Image img = requireImage(ctx, stripTransport(image));
    const std::string destText = stripTransport(destination.empty() ? image : destination);
    registry::Reference ref;
    try {
        ref = registry::parseNormalized(destText);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument("invalid destination \"" + destText + "\": " + e.what());
    }
    const conf::Registry* reg = ctx.registries().findRegistry(ref.str());
    if (reg && reg->blocked) throw Error("registry " + ref.domain + " is blocked in registries.conf");

    auto& store = ctx.store();
    std::string configBytes = store.imageBigData(img.id, "config");
    std::string manifestBytes;
    try {
        manifestBytes = store.imageBigData(img.id, "manifest");
    } catch (const NotFound&) {
    }
    std::optional<registry::ImageManifest> stored;
    if (!manifestBytes.empty()) {
        try {
            stored = registry::parseManifest(manifestBytes, registry::classifyManifest("", manifestBytes));
        } catch (const std::exception& e) {
            log::debug("push {}: stored manifest unusable: {}", image, e.what());
        }
    }
    const std::string ownFormat = stored && stored->kind == registry::ManifestKind::DockerManifest ? "v2s2" : "oci";
    if (format.empty()) format = ownFormat;

    std::vector<PushLayer> layers;
    for (auto& l : imageLayers(store, img.topLayer)) layers.push_back({l, std::nullopt});
    if (stored && stored->layers.size() == layers.size())
        for (size_t i = 0; i < layers.size(); ++i)
            if (layers[i].layer.compressedDigest == stored->layers[i].digest) layers[i].source = stored->layers[i];

    // Client for the destination.
    registry::ClientOptions co;
    co.host = ref.domain;
    co.insecure = opts.tlsVerify ? !*opts.tlsVerify : (reg && reg->endpoint.insecure);
    if (!opts.creds.empty()) {
        auto [u, p] = str::cut(opts.creds, ':');
        if (u.empty()) throw InvalidArgument("--creds \"" + opts.creds + "\": the user name is empty");
        co.creds = registry::Credentials{u, p, ""};
    } else {
        co.creds = registry::lookupCredentialsIn(ref.domain, ref.path, registry::authFilesFor(opts.authFile));
    }
    co.readAuthFiles = false;
    registry::Client client(co);
    registry::Uploader up(client, ref.path);

    // Where the pulled layers came from on this registry (for cross-repository mounts).
    std::vector<std::string> sourceRepos;
    auto addSourceRepos = [&](const std::vector<std::string>& names) {
        for (const auto& n : names) {
            try {
                auto r = registry::parseNormalized(n);
                if (r.domain == ref.domain && r.path != ref.path &&
                    std::find(sourceRepos.begin(), sourceRepos.end(), r.path) == sourceRepos.end())
                    sourceRepos.push_back(r.path);
            } catch (const Error&) {
            }
        }
    };
    addSourceRepos(img.names);
    resolveBaseLayerSources(store, img.id, layers, addSourceRepos);

    progress.message("Getting image source signatures");
    json config = json::parse(configBytes);
    bool configChanged = false;
    std::vector<registry::Descriptor> descs;
    for (size_t i = 0; i < layers.size(); ++i) {
        const auto& pl = layers[i];
        std::string shown = pl.layer.diffId.str().empty() ? pl.layer.id : pl.layer.diffId.str();
        progress.message("Copying blob " + shown);
        std::string reusedType;
        if (pl.source) {
            try {
                reusedType = layerMediaType(format, pl.source->mediaType);
            } catch (const InvalidArgument&) {
                if (!pl.borrowed) throw;  // the image's own layer: say why it cannot go
            }
        }
        if (pl.source && !reusedType.empty()) {
            bool have = up.blobExists(pl.source->digest);
            for (size_t k = 0; !have && k < sourceRepos.size(); ++k) have = up.mountBlob(pl.source->digest, sourceRepos[k]);
            if (have) {
                registry::Descriptor d = *pl.source;
                d.mediaType = reusedType;
                descs.push_back(d);
                log::debug("push: layer {} reused as {}", pl.layer.id, d.digest.str());
                continue;
            }
        }
        ExportedLayer c = exportLayer(store, pl.layer.id, true);
        if (!up.blobExists(c.digest)) up.uploadBlob(c.digest, c.fd.get(), c.size);
        auto& diffIds = config["rootfs"]["diff_ids"];
        if (i < diffIds.size() && diffIds[i].get<std::string>() != c.diffId.str()) {
            log::debug("push: layer {} regenerated with diffID {} (config said {}); rewriting diff_ids", pl.layer.id,
                       c.diffId.str(), diffIds[i].get<std::string>());
            diffIds[i] = c.diffId.str();
            configChanged = true;
        }
        registry::Descriptor d;
        d.mediaType = layerMediaType(format, "");
        d.digest = c.digest;
        d.size = c.size;
        descs.push_back(d);
    }
    if (configChanged) configBytes = jsonbytes::dumpReplacing(config);
    Digest configDigest = Digest::sha256Of(configBytes);
    progress.message("Copying config " + configDigest.str());
    if (!up.blobExists(configDigest)) up.uploadBlob(configDigest, configBytes);

    // The stored manifest is pushed byte for byte when nothing in it changes, so the pushed
    // image keeps its digest; otherwise a new one is written.
    bool reuseManifest = stored && format == ownFormat && !configChanged && stored->config.digest == configDigest &&
                         descs.size() == stored->layers.size();
    for (size_t i = 0; reuseManifest && i < descs.size(); ++i)
        reuseManifest = descs[i].digest == stored->layers[i].digest && descs[i].mediaType == stored->layers[i].mediaType;
    std::string body, mediaType;
    if (reuseManifest) {
        body = manifestBytes;
        mediaType = stored->mediaType.empty() ? (format == "oci" ? mt::kOciManifest : mt::kDockerManifest) : stored->mediaType;
    } else {
        bool oci = format == "oci";
        mediaType = oci ? mt::kOciManifest : mt::kDockerManifest;
        nlohmann::ordered_json m;
        m["schemaVersion"] = 2;
        m["mediaType"] = mediaType;
        m["config"] = {{"mediaType", oci ? mt::kOciConfig : mt::kDockerConfig},
                       {"digest", configDigest.str()},
                       {"size", configBytes.size()}};
        m["layers"] = nlohmann::ordered_json::array();
        for (const auto& d : descs)
            m["layers"].push_back({{"mediaType", d.mediaType}, {"digest", d.digest.str()}, {"size", d.size}});
        body = jsonbytes::dumpReplacing(m);
    }
    progress.message("Writing manifest to image destination");
    Digest pushed = up.putManifest(ref.digest.empty() ? ref.tag : ref.digest, mediaType, body);
    progress.message("Storing signatures");
    if (!opts.digestFile.empty()) fsutil::writeFileAtomic(opts.digestFile, pushed.str());
    recordEvent(ctx, "image", "push", img.id, destination.empty() ? image : destination, "");
    return {pushed.str(), ref.str()};
}

}  // namespace hutch::engine
