// Local image names: `tag`, `untag` and the name normalisation they share, as podman's
// libimage does (NormalizeName: an unqualified name is stored as localhost/NAME, ":latest"
// is added when no tag is given; digests are refused).
#pragma once

#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// libimage NormalizeName: "foo" -> "localhost/foo:latest", "quay.io/x/y" ->
/// "quay.io/x/y:latest", "docker.io/bb" -> "docker.io/library/bb:latest".
/// Throws InvalidArgument `normalizing name "X": ...` for an invalid reference, and
/// `X: tag by digest not supported` for a name with a digest (or "sha256:..."), as podman.
std::string normalizeLocalName(const std::string& name);

/// `tag IMAGE NAME...`: adds each normalised name to the image (a name held by another
/// image moves here). Throws NotFound "IMAGE: image not known" or InvalidArgument (bad
/// name); nothing is changed when any name is invalid.
void tagImage(Context& ctx, const std::string& image, const std::vector<std::string>& names);

/// `untag IMAGE [NAME...]`: removes the given (normalised) names from the image, or all of
/// its names when none is given (the image stays, as <none>). Throws NotFound
/// "IMAGE: image not known", or NotFound "NAME: tag not known" (normalised name) when the
/// image does not have it.
void untagImage(Context& ctx, const std::string& image, const std::vector<std::string>& names);

}  // namespace hutch::engine
