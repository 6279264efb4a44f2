// Local images: lookup by name as podman's libimage does, listing, removal, inspection.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"
#include "hutch/engine/image/image_info.hpp"

namespace hutch::storage {
struct Image;  // storage/images.hpp (engine code only: the CLI does not see storage)
}

namespace hutch::engine {

/// A local image found by a name or id, and the stored name the lookup went through.
struct LocalImageMatch {
    std::string id;
    std::string name;  ///< e.g. "localhost/n1:a" for "n1:a"; "" when found by id
};

/// Finds a local image as podman's libimage LookupImage does, in this order: a stored name
/// as typed; a full id (with or without "sha256:"; then nothing else is tried); the
/// shortnames.ResolveLocally candidates (alias, localhost/NAME, each unqualified-search
/// registry; a qualified name itself) and the Docker Hub normalisation; a unique id prefix;
/// last, for a short name, the first image in the store's order with a name of the same tag
/// whose repository ends in "/NAME" ("busybox" finds 127.0.0.1:5000/lab/busybox:latest,
/// "sybox" does not). nullopt when none matches. Throws InvalidArgument for an ambiguous id
/// prefix.
std::optional<LocalImageMatch> matchLocalImage(Context& ctx, const std::string& name);

/// matchLocalImage's id.
std::optional<std::string> findLocalImage(Context& ctx, const std::string& name);

/// The stored image `name` names (as findLocalImage). Throws NotFound "NAME: image not known".
storage::Image requireImage(Context& ctx, const std::string& name);

/// All images, newest first.
std::vector<ImageInfo> listImages(Context& ctx);
/// One image by id. Throws NotFound.
ImageInfo imageInfo(Context& ctx, const std::string& id);

/// `rmi`: removes the image named `name`. When it has several names and was named by one,
/// only that name is removed (untag), as podman does. Throws NotFound ("image not known")
/// or Error naming the container that uses it (unless `force`, which removes those
/// containers first). Returns the lines podman prints ("Untagged: ...", "Deleted: ...").
std::vector<std::string> removeImage(Context& ctx, const std::string& name, bool force);

/// podman-style `image inspect` JSON object.
nlohmann::ordered_json inspectImage(Context& ctx, const std::string& id);

/// Splits "registry/repo:tag" into {"registry/repo", "tag"} (tag "<none>" if absent).
std::pair<std::string, std::string> splitRepoTag(const std::string& name);

}  // namespace hutch::engine
