// Intermediate images: the untagged images a build leaves behind for its cache. `images`
// hides them unless -a, as podman does (libimage's "intermediate" filter: untagged and with
// a child image).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "hutch/engine/images.hpp"

namespace hutch::engine::build {

/// Ids of the untagged images that have a descendant among `images`: an image whose
/// layers (diffIDs) start with theirs and whose history strictly extends theirs.
std::set<std::string> intermediateImageIds(const std::vector<ImageInfo>& images);

}  // namespace hutch::engine::build
