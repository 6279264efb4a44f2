// Image records (<driver>-images/images.json) and big data files. The caller holds the images lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hutch/storage/paths.hpp"

namespace hutch::storage {

/// An image: an id (config digest hex), names (references), its top layer and the digest
/// of the manifest it was pulled by. `created` is Unix seconds.
struct Image {
    std::string id;
    std::vector<std::string> names;
    std::string topLayer;
    std::string digest;
    int64_t created = 0;
};

/// Loads/saves image records of one store. No caching.
class ImageRecords {
public:
    explicit ImageRecords(paths::Root root) : root_(std::move(root)) {}
    std::vector<Image> load() const;
    void save(const std::vector<Image>& images) const;
    /// File holding big data `key` of image `id` (key encoded to a safe file name).
    std::string bigDataPath(const std::string& id, const std::string& key) const;
    /// Index of the image matching an exact name, full id ("sha256:" prefix allowed), or a
    /// unique id prefix of >= 3 characters; nullopt if none. Throws InvalidArgument when a
    /// prefix is ambiguous.
    static std::optional<size_t> lookup(const std::vector<Image>& v, const std::string& nameOrId);

private:
    paths::Root root_;
};

}  // namespace hutch::storage
