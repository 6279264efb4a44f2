// What the engine knows of a stored image (images.hpp loads it): a type of its own, so that
// image_tree.hpp and other readers need not include the image verbs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hutch::engine {

/// A stored image with its parsed config, as `images` and `inspect` show it.
struct ImageInfo {
    std::string id;
    std::vector<std::string> names;      ///< fully-qualified "registry/repo:tag"
    std::string digest;                  ///< manifest digest
    std::string created;                 ///< from the image config
    uint64_t size = 0;                   ///< sum of the layers' uncompressed sizes
    nlohmann::json config;               ///< the image config as stored
    std::string manifestMediaType;
    std::vector<std::string> layerDiffIds;
};

}  // namespace hutch::engine
