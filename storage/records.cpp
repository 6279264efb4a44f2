// JSON (de)serialisation of layer, image and container records.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/storage/containers.hpp"
#include "hutch/storage/images.hpp"
#include "hutch/storage/layers.hpp"
#include "hutch/storage/paths.hpp"

namespace hutch::storage {

using nlohmann::json;

namespace {

/// What identifies one version of a records file: every write replaces the file (a new inode
/// with a random generation number on ext4, xfs, btrfs and tmpfs), so an unchanged identity
/// means unchanged content. Empty when the file system cannot tell (no caching then).
std::string fileVersion(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return "";
    long generation = 0;
    if (::ioctl(fd, FS_IOC_GETVERSION, &generation) != 0 || generation == 0) return "";
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(generation) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ctim.tv_sec) + "." +
           std::to_string(st.st_ctim.tv_nsec);
}

/// The parsed records file at `path`; [] when it does not exist. A command asks for the same
/// file many times (run: about fifteen loads of images.json and layers.json before the
/// mount); the parse is kept per process and reused while the file's version is unchanged.
json readJson(const std::string& path) {
    static std::mutex mu;
    static std::map<std::string, std::pair<std::string, json>> cache;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return json::array();
        throw SysError(errno, "open " + path);
    }
    std::string version = fileVersion(fd.get());
    if (!version.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        if (auto it = cache.find(path); it != cache.end() && it->second.first == version) return it->second.second;
    }
    std::string text;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError(errno, "read " + path);
        if (n == 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    json j;
    try {
        j = jsonbytes::parse(text);
        if (!j.is_array()) throw Error(path + ": not a JSON array");
    } catch (const json::exception& e) {
        throw Error(path + ": corrupt store metadata: " + e.what());
    }
    if (!version.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        cache[path] = {version, j};
    }
    return j;
}

void writeJson(const std::string& path, const json& j, fsutil::Sync sync) {
    fsutil::writeFileAtomic(path, jsonbytes::dump(j, 1), 0600, sync);
}

Digest optDigest(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) return {};
    return Digest::parse(it->get<std::string>());
}

template <typename T>
std::optional<size_t> lookupByNameOrId(const std::vector<T>& v, std::string q, const char* what) {
    for (size_t i = 0; i < v.size(); ++i)
        for (auto& n : v[i].names)
            if (n == q) return i;
    if (q.starts_with("sha256:")) q = q.substr(7);
    for (size_t i = 0; i < v.size(); ++i)
        if (v[i].id == q) return i;
    if (q.size() < 3) return std::nullopt;
    std::optional<size_t> found;
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i].id.compare(0, q.size(), q) != 0) continue;
        if (found) throw InvalidArgument(std::string(what) + " id prefix \"" + q + "\" is ambiguous");
        found = i;
    }
    return found;
}

}  // namespace

std::vector<Layer> LayerRecords::load() const {
    std::string path = paths::layersJson(root_);
    std::vector<Layer> out;
    try {
        for (auto& j : readJson(path)) {
            Layer l;
            l.id = j.at("id").get<std::string>();
            l.parent = j.value("parent", "");
            l.diffId = optDigest(j, "diff-digest");
            l.compressedDigest = optDigest(j, "compressed-diff-digest");
            l.size = j.value("diff-size", uint64_t{0});
            l.incomplete = j.value("incomplete", false);
            out.push_back(std::move(l));
        }
    } catch (const json::exception& e) {
        throw Error(path + ": corrupt layer record: " + e.what());
    }
    return out;
}

void LayerRecords::save(const std::vector<Layer>& layers, fsutil::Sync sync) const {
    json a = json::array();
    for (auto& l : layers) {
        json j = {{"id", l.id}, {"diff-size", l.size}};
        if (!l.parent.empty()) j["parent"] = l.parent;
        if (!l.diffId.empty()) j["diff-digest"] = l.diffId.str();
        if (!l.compressedDigest.empty()) j["compressed-diff-digest"] = l.compressedDigest.str();
        if (l.incomplete) j["incomplete"] = true;
        a.push_back(std::move(j));
    }
    writeJson(paths::layersJson(root_), a, sync);
}

std::optional<Layer> LayerRecords::find(const std::vector<Layer>& v, const std::string& id) {
    for (auto& l : v)
        if (l.id == id) return l;
    return std::nullopt;
}

std::vector<Image> ImageRecords::load() const {
    std::string path = paths::imagesJson(root_);
    std::vector<Image> out;
    try {
        for (auto& j : readJson(path)) {
            Image i;
            i.id = j.at("id").get<std::string>();
            i.names = j.value("names", std::vector<std::string>{});
            i.topLayer = j.value("layer", "");
            i.digest = j.value("digest", "");
            i.created = j.value("created", int64_t{0});
            out.push_back(std::move(i));
        }
    } catch (const json::exception& e) {
        throw Error(path + ": corrupt image record: " + e.what());
    }
    return out;
}

void ImageRecords::save(const std::vector<Image>& images) const {
    json a = json::array();
    for (auto& i : images)
        a.push_back({{"id", i.id}, {"names", i.names}, {"layer", i.topLayer}, {"digest", i.digest}, {"created", i.created}});
    writeJson(paths::imagesJson(root_), a, fsutil::Sync::Durable);
}

std::string ImageRecords::bigDataPath(const std::string& id, const std::string& key) const {
    if (key.empty()) throw InvalidArgument("image big data key is empty");
    static const char* hex = "0123456789abcdef";
    std::string enc;
    for (unsigned char c : key) {
        if (std::isalnum(c) || c == '-' || c == '_' || (c == '.' && !enc.empty())) {
            enc += static_cast<char>(c);
        } else {
            enc += '%';
            enc += hex[c >> 4];
            enc += hex[c & 15];
        }
    }
    return fsutil::join(paths::imageDataDir(root_, id), enc);
}

std::optional<size_t> ImageRecords::lookup(const std::vector<Image>& v, const std::string& nameOrId) {
    return lookupByNameOrId(v, nameOrId, "image");
}

namespace {

// A container's id mappings as containers/storage writes them in containers.json:
// [{"container_id": 0, "host_id": 1, "size": 65536}, ...].
std::vector<IdMapping> mappingsFrom(const json& j, const char* key) {
    std::vector<IdMapping> out;
    if (!j.contains(key)) return out;
    for (const auto& m : j.at(key))
        out.push_back({m.at("container_id").get<uint32_t>(), m.at("host_id").get<uint32_t>(), m.at("size").get<uint32_t>()});
    return out;
}

json mappingsJson(const std::vector<IdMapping>& maps) {
    json a = json::array();
    for (const auto& m : maps) a.push_back({{"container_id", m.containerId}, {"host_id", m.hostId}, {"size", m.size}});
    return a;
}

}  // namespace

std::vector<Container> ContainerRecords::load() const {
    std::string path = paths::containersJson(root_);
    std::vector<Container> out;
    try {
        for (auto& j : readJson(path)) {
            Container c;
            c.id = j.at("id").get<std::string>();
            c.names = j.value("names", std::vector<std::string>{});
            c.imageId = j.value("image", "");
            c.layerId = j.value("layer", "");
            c.created = j.value("created", int64_t{0});
            c.metadata = j.value("metadata", "");
            c.uidMap = mappingsFrom(j, "uidmap");
            c.gidMap = mappingsFrom(j, "gidmap");
            out.push_back(std::move(c));
        }
    } catch (const json::exception& e) {
        throw Error(path + ": corrupt container record: " + e.what());
    }
    return out;
}

void ContainerRecords::save(const std::vector<Container>& containers) const {
    json a = json::array();
    for (auto& c : containers) {
        json r = {{"id", c.id}, {"names", c.names}, {"image", c.imageId}, {"layer", c.layerId},
                  {"created", c.created}, {"metadata", c.metadata}};
        if (!c.uidMap.empty()) r["uidmap"] = mappingsJson(c.uidMap);
        if (!c.gidMap.empty()) r["gidmap"] = mappingsJson(c.gidMap);
        a.push_back(std::move(r));
    }
    writeJson(paths::containersJson(root_), a, fsutil::Sync::Volatile);
}

std::optional<size_t> ContainerRecords::lookup(const std::vector<Container>& v, const std::string& nameOrId) {
    return lookupByNameOrId(v, nameOrId, "container");
}

}  // namespace hutch::storage
