// Image configuration (OCI image-spec config.md; Docker's image JSON has the same fields).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hutch/common/digest.hpp"

namespace hutch::registry {

/// The parts of an image config the engine uses. `raw` keeps the whole document.
struct ImageConfig {
    std::string architecture, os, variant, created;
    std::vector<std::string> env, entrypoint, cmd;
    bool hasEntrypoint = false, hasCmd = false;   ///< false when absent or null
    std::string user, workingDir, stopSignal;
    std::map<std::string, std::string> labels;
    std::vector<std::string> volumes, exposedPorts;   ///< keys of the Volumes / ExposedPorts sets, sorted
    std::vector<Digest> diffIds;
    nlohmann::json raw;
};

/// Parses a config blob (config.md). Requires architecture, os and rootfs.diff_ids (each a
/// valid digest); null Entrypoint/Cmd/Env/Labels/Volumes are treated as absent. Throws
/// InvalidArgument "image config: <field>: <reason>" naming the bad field.
ImageConfig parseImageConfig(const std::string& body);

}  // namespace hutch::registry
