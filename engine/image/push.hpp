// push = copy(storage image source -> registry image destination), as podman push does
// with containers/image: layers the registry already has (or can mount from the repository
// they were pulled from) are not sent again; others are regenerated from storage as tar
// (Store::layerDiff), gzip-compressed and uploaded; then the config and the manifest.
#pragma once

#include <optional>
#include <string>

#include "hutch/engine/core/context.hpp"
#include "hutch/engine/image/progress.hpp"

namespace hutch::engine {

struct PushOptions {
    std::optional<bool> tlsVerify;  ///< nullopt: registries.conf's insecure for the host
    std::string creds;              ///< "user[:password]" ("" = auth files)
    std::string format;             ///< "" = the image's own manifest type, "oci", "v2s2"/"docker"
    std::string digestFile;         ///< write the pushed manifest digest there ("" = no)
    /// --authfile: the only credentials file read ("" = registry::authFilePaths()); must
    /// exist. Not read when `creds` is set.
    std::string authFile;
};

struct PushResult {
    std::string digest;       ///< "sha256:..." of the manifest as pushed
    std::string destination;  ///< fully-qualified reference pushed to
};

/// Pushes local image `image` to `destination` ("" = the image name as given; a
/// "docker://" prefix is accepted). Throws NotFound "IMAGE: image not known",
/// InvalidArgument (bad destination, other transports, unknown --format, bad --creds),
/// Error "stat FILE: ..." for a missing opts.authFile,
/// RegistryError/AuthError naming the registry (e.g. "pinging container registry HOST: ...").
PushResult pushImage(Context& ctx, const std::string& image, const std::string& destination,
                     const PushOptions& opts, Progress& progress);

}  // namespace hutch::engine
