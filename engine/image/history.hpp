// `history IMAGE`: the image config's history entries, newest first, each matched with the
// layer it created (podman libimage History semantics).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// One line of `history`. `id` is the image's id for the newest entry, the id of a local
/// image whose top layer is this entry's layer (each image id used once), else "<missing>".
struct HistoryEntry {
    std::string id;
    std::string created;    ///< RFC 3339 as in the config ("" when absent)
    std::string createdBy;
    std::string comment;
    uint64_t size = 0;      ///< uncompressed size of the entry's layer, 0 for empty_layer
    bool emptyLayer = false;
};

/// The history of image `name` (anything findLocalImage accepts), newest first. An image
/// config without history gives one entry per layer. Throws NotFound "NAME: image not known".
std::vector<HistoryEntry> imageHistory(Context& ctx, const std::string& name);

}  // namespace hutch::engine
