// `hutch search` (podman search): repositories of registries that list them through the
// distribution API's catalog, or the tags of one repository.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// podman search's options.
struct SearchOptions {
    std::string term;               ///< "HOST/term" searches HOST; a term without '/' every unqualified-search registry
    int limit = 0;                  ///< results per registry: 0 = 25; < 0 = none (podman's arithmetic)
    bool listTags = false;          ///< the tags of repository HOST/term (or REGISTRY/term) instead
    std::optional<bool> tlsVerify;  ///< --tls-verify; unset = registries.conf's `insecure`
    int minStars = 0;               ///< --filter stars=N
    std::optional<bool> official, automated;  ///< --filter is-official / is-automated[=false]
};

/// One result row (podman's ImageSearchReport fields).
struct SearchResult {
    std::string index;        ///< the registry searched
    std::string name;         ///< registry/repository
    std::string description;  ///< never truncated here (the CLI truncates)
    int stars = 0;
    std::string official, automated;  ///< "[OK]" or ""
    std::string tag;                  ///< with listTags
};

/// Searches each registry (in parallel) and returns their results in registry order. The
/// term is split at its first '/' as podman does (before: the registry; no '/': the
/// unqualified-search registries of registries.conf). A repository matches when its name
/// contains the rest of the term; a registry gives at most `limit` (default 25). When every
/// registry failed (or gave nothing and some failed), throws Error listing each failure as
/// podman's multi-error does ("N error(s) occurred:\n\t* couldn't search registry \"HOST\": ...");
/// a registry without a catalog fails with "invalid status code from registry 404 (Not
/// Found)". listTags: "getting repository tags: fetching tags list: ..." on failure;
/// InvalidArgument ("reference \"TERM\" must be a docker reference") for a bad name. Throws
/// InvalidArgument for an empty term or an empty search registry list.
std::vector<SearchResult> searchImages(Context& ctx, const SearchOptions& opts);

/// The rows podman keeps of `found` (the repositories a registry returned, in order):
/// `limit` 0 keeps up to 25, > 0 up to `limit`, < 0 none. Pure, for the unit tests.
size_t searchKeep(size_t found, int limit);

}  // namespace hutch::engine
