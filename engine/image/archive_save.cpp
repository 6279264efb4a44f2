// saveImages: docker-archive (docker save's layout: manifest.json, repositories, <config>.json,

#include "hutch/storage/archive_lib.hpp"
// <diffID>.tar per layer) and oci-archive (oci-layout, index.json, blobs/sha256/...).

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "hutch/common/error.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/image/archive.hpp"
#include "hutch/engine/image/archive_layers.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/image/tag.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/reference.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

namespace {

/// A tar writer on an fd (libarchive, PAX restricted), entries owned 0:0, mtime 0.
class TarWriter {
public:
    explicit TarWriter(int fd) : a_(storage::arc().write_new()) {
        storage::arc().write_set_format_pax_restricted(a_);
        storage::arc().write_set_bytes_in_last_block(a_, 1);
        if (storage::arc().write_open_fd(a_, fd) != ARCHIVE_OK) fail("opening the output");
    }
    ~TarWriter() {
        if (a_) storage::arc().write_free(a_);
    }
    void dir(const std::string& path) { header(path, AE_IFDIR, 0755, 0); }
    void file(const std::string& path, const std::string& data) {
        header(path, AE_IFREG, 0444, static_cast<int64_t>(data.size()));
        write(data.data(), data.size());
    }
    void file(const std::string& path, int fd, int64_t size) {
        header(path, AE_IFREG, 0444, size);
        readFileChunks(fd, size, [&](const void* p, size_t n) { write(p, n); });
    }
    void close() {
        if (storage::arc().write_close(a_) != ARCHIVE_OK) fail("finishing the archive");
    }

private:
    void header(const std::string& path, unsigned type, unsigned mode, int64_t size) {
        archive_entry* e = storage::arc().entry_new();
        storage::arc().entry_set_pathname(e, path.c_str());
        storage::arc().entry_set_filetype(e, type);
        storage::arc().entry_set_perm(e, mode);
        storage::arc().entry_set_size(e, size);
        storage::arc().entry_set_uid(e, 0);
        storage::arc().entry_set_gid(e, 0);
        storage::arc().entry_set_mtime(e, 0, 0);
        int rc = storage::arc().write_header(a_, e);
        storage::arc().entry_free(e);
        if (rc != ARCHIVE_OK) fail("writing " + path);
    }
    void write(const void* p, size_t n) {
        if (storage::arc().write_data(a_, p, n) < 0) fail("writing data");
    }
    [[noreturn]] void fail(const std::string& what) {
        throw Error("save: " + what + ": " + (storage::arc().error_string(a_) ? storage::arc().error_string(a_) : "error"));
    }
    archive* a_;
};

/// One image to save: its record, config (diff_ids possibly rewritten) and layers.
struct SavedImage {
    std::string id;
    std::vector<std::string> refNames;  ///< names to record ("" none when asked for by id)
    json config;
    std::vector<storage::Layer> layers;
};

SavedImage resolveImage(Context& ctx, const std::string& name) {
    auto& store = ctx.store();
    auto match = matchLocalImage(ctx, name);
    auto found = match ? store.lookupImage(match->id) : std::nullopt;
    if (!found) throw NotFound(name + ": image not known");
    const storage::Image& img = *found;
    SavedImage s;
    s.id = img.id;
    bool byId = img.id.rfind(name, 0) == 0 || name == "sha256:" + img.id;
    if (!byId) {
        // The stored name the argument resolves to (short names -> the stored full name).
        std::string refName = match->name.empty() && !img.names.empty() ? img.names.front() : match->name;
        if (!refName.empty()) s.refNames.push_back(refName);
    }
    s.config = json::parse(store.imageBigData(img.id, "config"));
    s.layers = imageLayers(store, img.topLayer);
    return s;
}

/// Exports layer i and fixes the config's diff_ids when the regenerated tar differs.
ExportedLayer exportFor(storage::Store& store, SavedImage& img, size_t i, bool gzip, Progress& progress) {
    progress.message("Copying blob " + (img.layers[i].diffId.empty() ? img.layers[i].id : img.layers[i].diffId.str()));
    ExportedLayer l = exportLayer(store, img.layers[i].id, gzip);
    auto& diffIds = img.config["rootfs"]["diff_ids"];
    if (i < diffIds.size() && diffIds[i].get<std::string>() != l.diffId.str()) {
        log::debug("save: layer {} regenerated with diffID {} (config said {}); rewriting diff_ids", img.layers[i].id,
                   l.diffId.str(), diffIds[i].get<std::string>());
        diffIds[i] = l.diffId.str();
    }
    return l;
}

void saveDocker(Context& ctx, std::vector<SavedImage>& images, TarWriter& tw, Progress& progress) {
    auto& store = ctx.store();
    nlohmann::ordered_json manifest = nlohmann::ordered_json::array();
    nlohmann::ordered_json repositories = nlohmann::ordered_json::object();
    std::set<std::string> written;
    for (auto& img : images) {
        nlohmann::ordered_json layerPaths = nlohmann::ordered_json::array();
        for (size_t i = 0; i < img.layers.size(); ++i) {
            ExportedLayer l = exportFor(store, img, i, false, progress);
            std::string path = l.diffId.encoded + ".tar";
            if (written.insert(path).second) tw.file(path, l.fd.get(), l.size);
            layerPaths.push_back(path);
        }
        std::string configBytes = jsonbytes::dumpReplacing(img.config);
        std::string configName = Digest::sha256Of(configBytes).encoded + ".json";
        progress.message("Copying config sha256:" + Digest::sha256Of(configBytes).encoded);
        if (written.insert(configName).second) tw.file(configName, configBytes);
        nlohmann::ordered_json tags = nlohmann::ordered_json::array();
        for (const auto& n : img.refNames) {
            tags.push_back(n);
            auto [repo, tag] = splitRepoTag(n);
            if (tag != "<none>") repositories[repo][tag] = Digest::sha256Of(configBytes).encoded;
        }
        manifest.push_back({{"Config", configName}, {"RepoTags", tags}, {"Layers", layerPaths}});
    }
    tw.file("manifest.json", jsonbytes::dumpReplacing(manifest));
    if (!repositories.empty()) tw.file("repositories", jsonbytes::dumpReplacing(repositories));
}

void saveOci(Context& ctx, std::vector<SavedImage>& images, TarWriter& tw, Progress& progress) {
    namespace mt = registry::mediatype;
    auto& store = ctx.store();
    tw.dir("blobs/");
    tw.dir("blobs/sha256/");
    std::set<std::string> written;
    json index{{"schemaVersion", 2}, {"manifests", json::array()}};
    for (auto& img : images) {
        nlohmann::ordered_json layers = nlohmann::ordered_json::array();
        for (size_t i = 0; i < img.layers.size(); ++i) {
            ExportedLayer l = exportFor(store, img, i, true, progress);
            if (written.insert(l.digest.encoded).second) tw.file("blobs/sha256/" + l.digest.encoded, l.fd.get(), l.size);
            layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                              {"digest", l.digest.str()},
                              {"size", l.size}});
        }
        std::string configBytes = jsonbytes::dumpReplacing(img.config);
        Digest cd = Digest::sha256Of(configBytes);
        progress.message("Copying config " + cd.str());
        if (written.insert(cd.encoded).second) tw.file("blobs/sha256/" + cd.encoded, configBytes);
        nlohmann::ordered_json m{{"schemaVersion", 2},
                                 {"mediaType", mt::kOciManifest},
                                 {"config", {{"mediaType", mt::kOciConfig}, {"digest", cd.str()}, {"size", configBytes.size()}}},
                                 {"layers", layers}};
        std::string mb = jsonbytes::dumpReplacing(m);
        Digest md = Digest::sha256Of(mb);
        if (written.insert(md.encoded).second) tw.file("blobs/sha256/" + md.encoded, mb);
        json desc{{"mediaType", mt::kOciManifest}, {"digest", md.str()}, {"size", mb.size()}};
        // One entry per image, named by its first name only: podman's oci-archive does the
        // same and refuses to load an index with more than one manifest.
        if (!img.refNames.empty()) desc["annotations"] = {{"org.opencontainers.image.ref.name", img.refNames.front()}};
        index["manifests"].push_back(desc);
    }
    tw.file("index.json", jsonbytes::dumpReplacing(index));
    tw.file("oci-layout", R"({"imageLayoutVersion": "1.0.0"})");
}

}  // namespace

void saveImages(Context& ctx, const SaveRequest& req, const std::function<int()>& openOutput, Progress& progress) {
    if (req.format != "docker-archive" && req.format != "oci-archive")
        throw InvalidArgument("format value must be one of oci-archive docker-archive");
    if (req.images.empty()) throw InvalidArgument("no image to save");
    std::vector<SavedImage> images;
    for (const auto& n : req.images) images.push_back(resolveImage(ctx, n));
    for (const auto& t : req.extraTags) {
        std::string n = normalizeLocalName(t);
        auto& names = images.front().refNames;
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    const int outFd = openOutput();
    progress.message("Getting image source signatures");
    TarWriter tw(outFd);
    if (req.format == "docker-archive")
        saveDocker(ctx, images, tw, progress);
    else
        saveOci(ctx, images, tw, progress);
    progress.message("Writing manifest to image destination");
    tw.close();
    for (const auto& i : images) recordEvent(ctx, "image", "save", i.id, req.destination, "");
    progress.message("Storing signatures");
}

}  // namespace hutch::engine
