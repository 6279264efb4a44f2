// Layer records (<driver>-layers/layers.json). The caller holds the layers lock (paths.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hutch/storage/paths.hpp"

#include "hutch/common/digest.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::storage {

/// One layer. `incomplete` layers are being created (or their creator died); their data
/// must not be used.
struct Layer {
    std::string id, parent;
    Digest diffId, compressedDigest;
    uint64_t size = 0;  ///< uncompressed tar bytes of the diff
    bool incomplete = false;
};

/// Loads/saves the layer records of one store. No caching: every load reads the file.
class LayerRecords {
public:
    explicit LayerRecords(paths::Root root) : root_(std::move(root)) {}
    /// Reads layers.json ([] when missing). Throws Error naming the file when corrupt.
    std::vector<Layer> load() const;
    /// Writes layers.json atomically.
    /// Image layers are saved durably; container layers (re-creatable) need not be.
    void save(const std::vector<Layer>& layers, fsutil::Sync sync = fsutil::Sync::Durable) const;
    static std::optional<Layer> find(const std::vector<Layer>& v, const std::string& id);

private:
    paths::Root root_;
};

}  // namespace hutch::storage
