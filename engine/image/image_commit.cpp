#include "hutch/engine/image/image_commit.hpp"

#include <algorithm>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

MediaTypes mediaTypesFor(const std::string& format) {
    if (format == "oci")
        return {"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar"};
    if (format == "docker")
        return {"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar"};
    throw InvalidArgument("unrecognized image type \"" + format + "\" (supported: oci, docker)");
}

std::string commitImage(Context& ctx, const ImageCommit& c) {
    MediaTypes mt = mediaTypesFor(c.format);
    storage::Store& store = ctx.store();
    std::string baseTop;
    if (!c.baseImageId.empty()) {
        auto base = store.lookupImage(c.baseImageId);
        if (!base) throw NotFound("base image " + c.baseImageId + " not found");
        baseTop = base->topLayer;
    }
    if (c.layer && c.layer->parent != baseTop)
        throw InvalidArgument("new layer " + c.layer->id + " is on layer \"" + c.layer->parent +
                              "\", not on the base image's top layer \"" + baseTop + "\"");
    std::string top = c.layer ? c.layer->id : baseTop;
    // The layer chain, base first.
    std::vector<storage::Layer> chain;
    for (std::string id = top; !id.empty();) {
        auto l = store.layer(id);
        if (!l || l->incomplete) throw NotFound("layer " + id + " of the new image not found");
        chain.push_back(*l);
        id = l->parent;
    }
    std::reverse(chain.begin(), chain.end());

    json config = c.config.is_object() ? c.config : json::object();
    json diffIds = json::array();
    for (auto& l : chain) {
        if (l.diffId.empty()) throw Error("layer " + l.id + " has no recorded diffID");
        diffIds.push_back(l.diffId.str());
    }
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", diffIds}};
    json entry = c.historyEntry.is_object() ? c.historyEntry : json::object();
    if (!c.layer && !entry.contains("empty_layer")) entry["empty_layer"] = true;
    if (!config.contains("history") || !config["history"].is_array()) config["history"] = json::array();
    config["history"].push_back(entry);
    if (entry.contains("created")) config["created"] = entry["created"];
    const std::string configBytes = jsonbytes::dumpReplacing(config);
    const Digest configDigest = Digest::sha256Of(configBytes);

    ojson manifest;
    manifest["schemaVersion"] = 2;
    manifest["mediaType"] = mt.manifest;
    manifest["config"] = {{"mediaType", mt.config}, {"digest", configDigest.str()}, {"size", configBytes.size()}};
    manifest["layers"] = ojson::array();
    for (auto& l : chain)
        manifest["layers"].push_back(
            ojson{{"mediaType", mt.layer}, {"digest", l.diffId.str()}, {"size", l.size}});
    const std::string manifestBytes = jsonbytes::dumpReplacing(manifest);
    const std::string manifestDigest = Digest::sha256Of(manifestBytes).str();

    store.createImage(configDigest.encoded, c.names, top, manifestDigest,
                      {{"manifest", manifestBytes}, {"config", configBytes}});
    log::debug("commit: image {} ({} layers, {} format)", configDigest.encoded, chain.size(), c.format);
    return configDigest.encoded;
}

}  // namespace hutch::engine
