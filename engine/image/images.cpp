#include "hutch/engine/image/images.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "hutch/common/error.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/engine/image/image_tree.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/registry/reference.hpp"
#include "hutch/registry/resolver.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

std::pair<std::string, std::string> splitRepoTag(const std::string& name) {
    std::string n = name;
    auto at = n.find('@');
    if (at != std::string::npos) n = n.substr(0, at);
    auto slash = n.rfind('/');
    auto colon = n.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
        return {n.substr(0, colon), n.substr(colon + 1)};
    return {n, "<none>"};
}

namespace {

/// libimage's inRepoTags: stored name `stored` has tag `tag` and its repository (with the
/// registry) is `repo` or ends in "/" + `repo` ("lab/busybox" matches
/// 127.0.0.1:5000/lab/busybox, "sybox" does not match .../busybox).
bool repoTagMatches(const std::string& stored, const std::string& repo, const std::string& tag) {
    conf::ImageReference r;
    try {
        r = conf::parseReference(stored);
    } catch (const Error&) {
        return false;
    }
    if (r.tag != tag || !r.digest.empty()) return false;
    const std::string full = r.name();
    if (full.size() < repo.size() || full.compare(full.size() - repo.size(), repo.size(), repo) != 0) return false;
    return full.size() == repo.size() || full[full.size() - repo.size() - 1] == '/';
}

}  // namespace

std::optional<LocalImageMatch> matchLocalImage(Context& ctx, const std::string& name) {
    auto& store = ctx.store();
    const std::vector<storage::Image> images = store.images();
    auto byName = [&](const std::string& n) -> std::optional<LocalImageMatch> {
        for (const auto& img : images)
            if (std::find(img.names.begin(), img.names.end(), n) != img.names.end()) return LocalImageMatch{img.id, n};
        return std::nullopt;
    };
    // A stored name as typed, then a full id (with or without "sha256:").
    if (auto m = byName(name)) return m;
    const std::string hex = name.rfind("sha256:", 0) == 0 ? name.substr(7) : name;
    if (hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos) {
        if (auto img = store.lookupImage(hex); img && img->id == hex) return LocalImageMatch{img->id, ""};
        return std::nullopt;
    }
    if (name.rfind("sha256:", 0) == 0) {
        if (auto img = store.lookupImage(hex)) return LocalImageMatch{img->id, ""};
        return std::nullopt;
    }
    conf::ImageReference raw;
    registry::Reference ref;
    try {
        raw = conf::parseReference(name);
        ref = registry::parseNormalized(name);
    } catch (const Error&) {
        if (auto img = store.lookupImage(name)) return LocalImageMatch{img->id, ""};  // an id prefix
        return std::nullopt;
    }
    // shortnames.ResolveLocally's candidates (alias, localhost/, each search registry; a
    // qualified name itself), then the Docker Hub normalisation.
    std::vector<std::string> candidates;
    try {
        for (const auto& c : registry::resolveLocally(name, ctx.registries())) candidates.push_back(c.str());
    } catch (const InvalidArgument&) {
    }
    candidates.push_back(ref.str());
    for (const auto& c : candidates)
        if (auto m = byName(c)) return m;
    // A short id (after the names, as podman: "abc" may name an image and prefix an id).
    if (auto img = store.lookupImage(name)) return LocalImageMatch{img->id, ""};
    // Last, libimage's repo-tag match: a short name finds the first image (in the store's
    // order) with a name whose repository ends in "/" + the name as typed, with the same tag.
    if (!registry::isShortName(name) || !raw.digest.empty()) return std::nullopt;
    const std::string repo = raw.name(), tag = raw.tag.empty() ? "latest" : raw.tag;
    for (const auto& img : images)
        for (const auto& n : img.names)
            if (repoTagMatches(n, repo, tag)) return LocalImageMatch{img.id, n};
    return std::nullopt;
}

std::optional<std::string> findLocalImage(Context& ctx, const std::string& name) {
    if (auto m = matchLocalImage(ctx, name)) return m->id;
    return std::nullopt;
}

storage::Image requireImage(Context& ctx, const std::string& name) {
    if (auto id = findLocalImage(ctx, name))
        if (auto img = ctx.store().lookupImage(*id)) return *img;
    throw NotFound(name + ": image not known");
}

namespace {

/// What never changes for an image id (the id is its config's digest): config, layer chain
/// and size. Kept for the process, so a command reads and parses them once per image
/// (`run` asked for them five times).
struct ImageContent {
    json config;
    std::string created, manifestMediaType;
    std::vector<std::string> layerDiffIds;
    uint64_t size = 0;
};

std::shared_ptr<const ImageContent> imageContent(storage::Store& store, const storage::Image& img) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<const ImageContent>> memo;
    {
        std::lock_guard<std::mutex> lock(mu);
        if (auto it = memo.find(img.id); it != memo.end()) return it->second;
    }
    auto c = std::make_shared<ImageContent>();
    try {
        c->config = json::parse(store.imageBigData(img.id, "config"));
    } catch (const json::exception& e) {
        throw Error("image " + img.id + ": stored config is not JSON: " + e.what());
    }
    c->created = c->config.value("created", "");
    c->manifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    try {
        json m = json::parse(store.imageBigData(img.id, "manifest"));
        c->manifestMediaType = m.value("mediaType", c->manifestMediaType);
    } catch (const std::exception&) {
    }
    if (c->config.contains("rootfs") && c->config["rootfs"].contains("diff_ids"))
        for (const auto& d : c->config["rootfs"]["diff_ids"]) c->layerDiffIds.push_back(d.get<std::string>());
    for (std::string layer = img.topLayer; !layer.empty();) {
        auto l = store.layer(layer);
        if (!l) break;
        c->size += l->size;
        layer = l->parent;
    }
    std::lock_guard<std::mutex> lock(mu);
    return memo.emplace(img.id, std::move(c)).first->second;
}

}  // namespace

ImageInfo imageInfo(Context& ctx, const std::string& id) {
    auto& store = ctx.store();
    auto img = store.lookupImage(id);
    if (!img) throw NotFound(id + ": image not known");
    auto content = imageContent(store, *img);
    ImageInfo info;
    info.id = img->id;
    info.names = img->names;
    info.digest = img->digest;
    info.config = content->config;
    info.created = content->created;
    info.manifestMediaType = content->manifestMediaType;
    info.layerDiffIds = content->layerDiffIds;
    info.size = content->size;
    return info;
}

std::vector<ImageInfo> listImages(Context& ctx) {
    std::vector<ImageInfo> out;
    for (const auto& img : ctx.store().images()) out.push_back(imageInfo(ctx, img.id));
    std::sort(out.begin(), out.end(), [](const ImageInfo& a, const ImageInfo& b) { return a.created > b.created; });
    return out;
}

std::vector<std::string> removeImage(Context& ctx, const std::string& name, bool force) {
    auto& store = ctx.store();
    auto match = matchLocalImage(ctx, name);
    auto found = match ? store.lookupImage(match->id) : std::nullopt;
    if (!found) throw NotFound(name + ": image not known");
    const storage::Image& img = *found;
    std::vector<std::string> lines;
    // Named by one of several names (as the lookup resolved it: "n1:a" is localhost/n1:a):
    // untag only, as podman, whether containers use the image or not.
    const std::string& matchedName = match->name;
    if (img.names.size() > 1 && !matchedName.empty()) {
        std::vector<std::string> rest;
        for (const auto& n : img.names)
            if (n != matchedName) rest.push_back(n);
        store.setImageNames(img.id, rest);
        recordEvent(ctx, "image", "untag", img.id, matchedName, "");
        lines.push_back("Untagged: " + matchedName);
        return lines;
    }
    std::vector<std::string> users;
    for (const auto& c : store.containers())
        if (c.imageId == img.id) users.push_back(c.id);
    if (!users.empty()) {
        if (!force)
            throw Error("image used by " + users[0] + ": image is in use by a container: consider listing external "
                        "containers and force-removing image");
        for (const auto& c : users) removeContainer(ctx, c, true);
    }
    for (const auto& n : img.names) lines.push_back("Untagged: " + n);
    std::vector<ImageInfo> all = listImages(ctx);
    std::optional<std::string> parent = parentImageId(all, img.id);
    store.removeImage(img.id);
    for (const auto& n : img.names) recordEvent(ctx, "image", "untag", img.id, n, "");
    recordEvent(ctx, "image", "remove", img.id, img.id, "");
    lines.push_back("Deleted: " + img.id);
    // The untagged parents (a build's intermediate images) go too, as podman's rmi does:
    // up the parent chain until an image that has a name, another child, or a container.
    auto forget = [&all](const std::string& id) {
        all.erase(std::remove_if(all.begin(), all.end(), [&](const ImageInfo& i) { return i.id == id; }), all.end());
    };
    forget(img.id);
    while (parent) {
        auto it = std::find_if(all.begin(), all.end(), [&](const ImageInfo& i) { return i.id == *parent; });
        if (it == all.end() || !it->names.empty() || hasChildImage(all, it->id)) break;
        bool used = false;
        for (const auto& c : store.containers()) used = used || c.imageId == it->id;
        if (used) break;
        std::optional<std::string> next = parentImageId(all, it->id);
        store.removeImage(it->id);
        recordEvent(ctx, "image", "remove", it->id, it->id, "");
        lines.push_back("Deleted: " + it->id);
        forget(*parent);
        parent = next;
    }
    return lines;
}

nlohmann::ordered_json inspectImage(Context& ctx, const std::string& id) {
    ImageInfo info = imageInfo(ctx, id);
    const json& c = info.config;
    json cfg = c.value("config", json::object());
    std::vector<std::string> repoTags = info.names;
    std::vector<std::string> repoDigests;
    for (const auto& n : info.names) repoDigests.push_back(splitRepoTag(n).first + "@" + info.digest);
    json history = c.value("history", json::array());
    return nlohmann::ordered_json{{"Id", info.id},
                {"Digest", info.digest},
                {"RepoTags", repoTags},
                {"RepoDigests", repoDigests},
                {"Parent", ""},
                {"Comment", c.value("comment", "")},
                {"Created", info.created},
                {"Config", cfg},
                {"Version", c.value("docker_version", "")},
                {"Author", c.value("author", "")},
                {"Architecture", c.value("architecture", "")},
                {"Os", c.value("os", "")},
                {"Size", info.size},
                {"VirtualSize", info.size},
                {"GraphDriver", {{"Name", ctx.store().driverName()}, {"Data", json::object()}}},
                {"RootFS", {{"Type", "layers"}, {"Layers", info.layerDiffIds}}},
                {"Labels", cfg.value("Labels", json(nullptr))},
                {"Annotations", json::object()},
                {"ManifestType", info.manifestMediaType},
                {"User", cfg.value("User", "")},
                {"History", history},
                {"NamesHistory", info.names}};
}

}  // namespace hutch::engine
