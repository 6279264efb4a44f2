// Container records (<driver>-containers/containers.json). The caller holds the containers lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hutch/common/idmap.hpp"
#include "hutch/storage/paths.hpp"

namespace hutch::storage {

/// A container's storage: its rw layer (a copy of the image's top layer) and opaque
/// engine metadata. `created` is Unix seconds. uidMap/gidMap: the container's own user
/// namespace mapping (container id -> id of the store's user namespace); empty = none, the
/// files keep the image's owners.
struct Container {
    std::string id;
    std::vector<std::string> names;
    std::string imageId, layerId;
    int64_t created = 0;
    std::string metadata;
    std::vector<IdMapping> uidMap, gidMap;
};

/// Loads/saves container records of one store. No caching.
class ContainerRecords {
public:
    explicit ContainerRecords(paths::Root root) : root_(std::move(root)) {}
    std::vector<Container> load() const;
    void save(const std::vector<Container>& containers) const;
    /// Index by exact name, full id or unique id prefix (>= 3 chars); throws
    /// InvalidArgument when a prefix is ambiguous.
    static std::optional<size_t> lookup(const std::vector<Container>& v, const std::string& nameOrId);

private:
    paths::Root root_;
};

}  // namespace hutch::storage
