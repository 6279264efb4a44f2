// The image tree (which image descends from which, by layers and history), and intermediate
// images: the untagged images a build leaves behind for its cache. `images`
// hides them unless -a, as podman does (libimage's "intermediate" filter: untagged and with
// a child image).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hutch/engine/image/image_info.hpp"

namespace hutch::engine {

/// Ids of the untagged images that have a descendant among `images`: an image whose
/// layers (diffIDs) start with theirs and whose history strictly extends theirs.
std::set<std::string> intermediateImageIds(const std::vector<ImageInfo>& images);

/// The parent of image `childId` among `images`: the nearest image it descends from (the
/// one with the longest history), as libimage's layer tree finds it. nullopt when none.
std::optional<std::string> parentImageId(const std::vector<ImageInfo>& images, const std::string& childId);

/// True when some image among `images` descends from image `id`.
bool hasChildImage(const std::vector<ImageInfo>& images, const std::string& id);

}  // namespace hutch::engine
