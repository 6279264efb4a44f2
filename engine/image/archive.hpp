// `save` and `load`: images to and from tar archives, as podman does with containers/image's
// docker-archive (docker save's manifest.json + config + one tar per layer) and oci-archive
// (an OCI image layout, image-spec image-layout.md, in a tar) transports.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"
#include "hutch/engine/image/progress.hpp"

namespace hutch::engine {

/// What `save` writes: `images` are the images to save; `extraTags` (podman without
/// --multi-image-archive: arguments after the first) are more names recorded for the single
/// image, normalised as `tag` does.
struct SaveRequest {
    std::vector<std::string> images;
    std::vector<std::string> extraTags;
    std::string format = "docker-archive";  ///< "docker-archive" | "oci-archive"
    std::string destination;                ///< the output file, for the save event ("" = stdout)
};

/// Writes the requested images as one archive to the fd `openOutput` returns; it is called
/// only once every image and name is resolved, so a bad request never creates or truncates
/// the output file. Layers are written from storage
/// (Store::layerDiff), uncompressed for docker-archive, gzip-compressed for oci-archive; a
/// layer whose regenerated diffID differs from the config's gets the config rewritten (said
/// at debug level). docker-archive RepoTags are the names given (when an image is named by
/// a name, not an id); the oci-archive's single index entry carries the first one as its
/// ref.name annotation (podman loads no index with more than one manifest). Progress lines go to `progress`.
/// Throws NotFound "NAME: image not known", InvalidArgument for another format, SysError /
/// Error on write errors.
void saveImages(Context& ctx, const SaveRequest& req, const std::function<int()>& openOutput, Progress& progress);

/// What load stored: the names given to the loaded images ("sha256:<id>" for an image without
/// any), in archive order.
struct LoadResult {
    std::vector<std::string> names;
};

/// Reads a docker-archive or oci-archive (optionally gzip-compressed) from `inFd` and stores
/// its images: layers are verified against the config's diff_ids. Throws InvalidArgument
/// "payload does not match any of the supported image formats" for anything else,
/// DigestMismatch for a layer or blob that does not match, Error naming the bad entry.
LoadResult loadImages(Context& ctx, int inFd);

}  // namespace hutch::engine
