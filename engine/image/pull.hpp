// pull = copy(registry image source -> storage image destination), as containers/image's
// copy.Image does: resolve the name (registries.conf), fetch and verify the manifest
// (choosing the platform from an index), the config, then the layers, streamed and
// extracted in parallel where the storage driver allows it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"
#include "hutch/engine/image/progress.hpp"

namespace hutch::engine {

struct PullOptions {
    std::string platform;  ///< "os/arch[/variant]"; "" = the host's
    /// --tls-verify: nullopt = registries.conf's `insecure` for each source; false = plain
    /// http and unverified https allowed for every source; true = verified https only, even
    /// for a registry registries.conf marks insecure.
    std::optional<bool> tlsVerify;
    /// --authfile: the only credentials file read ("" = registry::authFilePaths()). Must exist.
    std::string authFile;
};

struct PullResult {
    std::string imageId;  ///< 64-hex image id (the config digest's hex)
    std::string name;     ///< the fully-qualified reference that was pulled
};

/// Pulls `name` (short or fully-qualified, tag or digest). Each candidate from
/// registries.conf is tried in order (mirrors first); if all fail, throws NotFound (when
/// every registry said the image is unknown) or Error, listing each source tried and why.
/// Throws InvalidArgument for a malformed name, ConfigError for a bad registries.conf,
/// Error "stat FILE: ..." for a missing opts.authFile.
PullResult pullImage(Context& ctx, const std::string& name, const PullOptions& opts, Progress& progress);

/// Chain ID of layer i (image-spec config.md "Layer ChainID"): ChainID(L0) = DiffID(L0),
/// ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)).
std::vector<std::string> chainIds(const std::vector<std::string>& diffIds);

}  // namespace hutch::engine
