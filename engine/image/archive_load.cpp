// loadImages: a docker-archive or oci-archive tar (plain or compressed) is unpacked into a

#include "hutch/storage/archive_lib.hpp"
// private temp directory in the graph root, recognised by its index files, and its images
// stored layer by layer (diffIDs verified by Store::createLayer).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/image/archive.hpp"
#include "hutch/engine/image/pull.hpp"
#include "hutch/engine/image/tag.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/reference.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

namespace {

/// A relative path inside the archive, "." and ".." resolved lexically; a path that climbs
/// above the archive's root is refused.
std::string cleanPath(const std::string& p) {
    std::vector<std::string> parts;
    for (const auto& c : str::split(p, '/')) {
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (parts.empty()) throw Error("load: archive entry \"" + p + "\" leaves the archive");
            parts.pop_back();
            continue;
        }
        parts.push_back(c);
    }
    return str::join(parts, "/");
}

/// Unpacks regular files of the tar on `fd` under `dir`; symlinks (docker's legacy
/// <id>/layer.tar -> ../<diffID>.tar) are returned as path -> cleaned target.
std::map<std::string, std::string> unpack(int fd, const std::string& dir) {
    std::map<std::string, std::string> links;
    archive* a = storage::arc().read_new();
    storage::arc().read_support_filter_all(a);
    storage::arc().read_support_format_tar(a);
    struct Guard {
        archive* a;
        ~Guard() { storage::arc().read_free(a); }
    } guard{a};
    if (storage::arc().read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
        throw InvalidArgument(std::string("payload does not match any of the supported image formats: ") +
                              storage::arc().error_string(a));
    archive_entry* e = nullptr;
    int rc;
    bool any = false;
    while ((rc = storage::arc().read_next_header(a, &e)) == ARCHIVE_OK) {
        any = true;
        std::string path = cleanPath(storage::arc().entry_pathname(e));
        if (path.empty()) continue;
        auto type = storage::arc().entry_filetype(e);
        if (type == AE_IFLNK) {
            std::string target = storage::arc().entry_symlink(e) ? storage::arc().entry_symlink(e) : "";
            std::string base = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
            links[path] = cleanPath(base + target);
            continue;
        }
        if (type != AE_IFREG) continue;
        std::string full = dir + "/" + path;
        fsutil::mkdirAll(full.substr(0, full.rfind('/')), 0700);
        UniqueFd out(::open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!out) throw SysError(errno, "load: creating " + full);
        const void* buf;
        size_t size;
        la_int64_t off;
        int r;
        while ((r = storage::arc().read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
            if (::pwrite(out.get(), buf, size, off) != static_cast<ssize_t>(size))
                throw SysError(errno, "load: writing " + full);
        }
        if (r != ARCHIVE_EOF) throw Error(std::string("load: reading ") + path + ": " + storage::arc().error_string(a));
    }
    if (rc != ARCHIVE_EOF || !any)
        throw InvalidArgument(std::string("payload does not match any of the supported image formats") +
                              (rc != ARCHIVE_EOF && storage::arc().error_string(a) ? std::string(": ") + storage::arc().error_string(a) : ""));
    return links;
}

std::string resolve(const std::map<std::string, std::string>& links, std::string p) {
    p = cleanPath(p);
    for (int i = 0; i < 8; ++i) {
        auto it = links.find(p);
        if (it == links.end()) break;
        p = it->second;
    }
    return p;
}

/// Creates the layers listed (files under dir, base first) for `diffIds`; returns the top
/// layer id. `compressed`: the blob digests, when known (oci), else empty.
std::string storeLayers(storage::Store& store, const std::string& dir, const std::vector<std::string>& files,
                        const std::vector<std::string>& diffIds, const std::vector<Digest>& compressed) {
    if (files.size() != diffIds.size())
        throw Error("load: the image config lists " + std::to_string(diffIds.size()) + " diff IDs but the archive has " +
                    std::to_string(files.size()) + " layers");
    auto chains = chainIds(diffIds);
    std::string parent;
    for (size_t i = 0; i < files.size(); ++i) {
        std::string id = Digest::parse(chains[i]).encoded;
        if (auto l = store.layer(id); l && !l->incomplete) {
            parent = id;
            continue;
        }
        std::string path = dir + "/" + files[i];
        UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!in) throw SysError(errno, "load: opening layer " + files[i]);
        storage::ReadFn rd = [&](void* buf, size_t n) -> size_t {
            for (;;) {
                ssize_t k = ::read(in.get(), buf, n);
                if (k < 0 && errno == EINTR) continue;
                checkSys(k, "load: reading layer " + files[i]);
                return static_cast<size_t>(k);
            }
        };
        store.createLayer(id, parent, rd, Digest::parse(diffIds[i]), i < compressed.size() ? compressed[i] : Digest{});
        parent = id;
    }
    return parent;
}

std::vector<std::string> configDiffIds(const json& config) {
    std::vector<std::string> out;
    if (config.contains("rootfs") && config["rootfs"].contains("diff_ids"))
        for (const auto& d : config["rootfs"]["diff_ids"]) out.push_back(d.get<std::string>());
    return out;
}

/// Archive names as podman stores them: a short one goes under localhost/ ("busybox:latest",
/// docker save's familiar form -> "localhost/busybox:latest"), a qualified one stays.
std::vector<std::string> normalizeNames(const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const auto& n : in) {
        try {
            out.push_back(normalizeLocalName(n));
        } catch (const InvalidArgument& e) {
            log::warn("load: ignoring the invalid name {}: {}", n, e.what());
        }
    }
    return out;
}

void loadDocker(Context& ctx, const std::string& dir, const std::map<std::string, std::string>& links, LoadResult& res) {
    namespace mt = registry::mediatype;
    auto& store = ctx.store();
    json manifest = json::parse(fsutil::readFile(dir + "/manifest.json"));
    if (!manifest.is_array()) throw Error("load: manifest.json is not a list");
    for (const auto& entry : manifest) {
        std::string configPath = resolve(links, entry.value("Config", ""));
        std::string configBytes = fsutil::readFile(dir + "/" + configPath);
        json config = json::parse(configBytes);
        std::vector<std::string> files;
        for (const auto& l : entry.value("Layers", json::array())) files.push_back(resolve(links, l.get<std::string>()));
        auto diffIds = configDiffIds(config);
        std::string top = storeLayers(store, dir, files, diffIds, {});
        // A docker v2s2 manifest describing the uncompressed layers, as podman records one.
        nlohmann::ordered_json m{{"schemaVersion", 2},
                                 {"mediaType", mt::kDockerManifest},
                                 {"config", {{"mediaType", mt::kDockerConfig},
                                             {"digest", Digest::sha256Of(configBytes).str()},
                                             {"size", configBytes.size()}}},
                                 {"layers", nlohmann::ordered_json::array()}};
        for (size_t i = 0; i < files.size(); ++i) {
            auto layer = store.layer(Digest::parse(chainIds(diffIds)[i]).encoded);
            m["layers"].push_back({{"mediaType", "application/vnd.docker.image.rootfs.diff.tar"},
                                   {"digest", diffIds[i]},
                                   {"size", layer ? layer->size : 0}});
        }
        std::string mb = jsonbytes::dumpReplacing(m);
        std::vector<std::string> tags;
        for (const auto& t : entry.value("RepoTags", json::array())) tags.push_back(t.get<std::string>());
        auto names = normalizeNames(tags);
        std::string id = Digest::sha256Of(configBytes).encoded;
        store.createImage(id, names, top, Digest::sha256Of(mb).str(), {{"manifest", mb}, {"config", configBytes}});
        if (names.empty()) res.names.push_back("sha256:" + id);
        for (const auto& n : names) res.names.push_back(n);
    }
}

std::string blobPath(const Digest& d) {
    return "blobs/" + d.algorithm + "/" + d.encoded;
}

void loadOci(Context& ctx, const std::string& dir, LoadResult& res) {
    auto& store = ctx.store();
    json index = json::parse(fsutil::readFile(dir + "/index.json"));
    for (const auto& desc : index.value("manifests", json::array())) {
        Digest md = Digest::parse(desc.value("digest", ""));
        std::string mb = fsutil::readFile(dir + "/" + blobPath(md));
        if (!(Digest::sha256Of(mb) == md)) throw DigestMismatch("load: manifest " + md.str() + " does not match its digest");
        auto kind = registry::classifyManifest(desc.value("mediaType", ""), mb);
        if (registry::isIndexKind(kind)) throw Error("load: nested indexes in an oci-archive are not supported");
        auto m = registry::parseManifest(mb, kind);
        std::string configBytes = fsutil::readFile(dir + "/" + blobPath(m.config.digest));
        if (!(Digest::sha256Of(configBytes) == m.config.digest))
            throw DigestMismatch("load: config " + m.config.digest.str() + " does not match its digest");
        json config = json::parse(configBytes);
        std::vector<std::string> files;
        std::vector<Digest> compressed;
        for (const auto& l : m.layers) {
            files.push_back(blobPath(l.digest));
            compressed.push_back(l.digest);
        }
        std::string top = storeLayers(store, dir, files, configDiffIds(config), compressed);
        std::vector<std::string> names;
        if (desc.contains("annotations") && desc["annotations"].contains("org.opencontainers.image.ref.name")) {
            std::string ref = desc["annotations"]["org.opencontainers.image.ref.name"];
            // podman takes it as an image name, a short one under localhost/ ("v1" ->
            // "localhost/v1:latest", "a/b:c" -> "localhost/a/b:c"), as `tag` does.
            names = normalizeNames({ref});
        }
        std::string id = m.config.digest.encoded;
        store.createImage(id, names, top, md.str(), {{"manifest", mb}, {"config", configBytes}});
        if (names.empty()) res.names.push_back("sha256:" + id);
        for (const auto& n : names) res.names.push_back(n);
    }
}

}  // namespace

LoadResult loadImages(Context& ctx, int inFd) {
    auto& store = ctx.store();
    fsutil::TempDir::removeStale(store.graphRoot(), ".load-");  // left by a killed load
    fsutil::TempDir tmp(store.graphRoot(), ".load-");
    auto links = unpack(inFd, tmp.path());
    LoadResult res;
    if (fsutil::exists(tmp.path() + "/manifest.json"))
        loadDocker(ctx, tmp.path(), links, res);
    else if (fsutil::exists(tmp.path() + "/index.json") && fsutil::exists(tmp.path() + "/oci-layout"))
        loadOci(ctx, tmp.path(), res);
    else
        throw InvalidArgument("payload does not match any of the supported image formats (docker-archive, oci-archive)");
    return res;
}

}  // namespace hutch::engine
