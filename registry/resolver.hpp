// Short-name resolution and pull sources, as podman does it with containers/image
// pkg/shortnames (Resolve) and sysregistriesv2 (FindRegistry, PullSourcesFromReference).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hutch/conf/registries.hpp"
#include "hutch/registry/reference.hpp"

namespace hutch::registry {

/// Where one candidate can be pulled from: a mirror or the primary location, with the
/// reference rewritten for it (the matched [[registry]] prefix replaced by the location).
struct PullSource {
    Reference ref;          ///< reference to ask `host` for (its domain is the host)
    std::string host;       ///< host[:port] to connect to
    bool insecure = false;  ///< http / no TLS verification allowed
    bool mirror = false;    ///< true for a [[registry.mirror]]
    /// Non-empty when registries.conf blocks this location ("registry X is blocked in
    /// FILE"): it is not contacted, and the message is its failure. As containers/image,
    /// `blocked` applies to the locations matching the blocked [[registry]] (its primary
    /// location), not to its mirrors elsewhere.
    std::string blocked;
};

/// One fully-qualified image name to try; sources: mirrors first, then the primary.
struct Candidate {
    Reference ref;
    std::vector<PullSource> sources;
};

/// Result of resolve(). `how`: "alias", "search" or "fully-qualified"; `origin`: the file
/// that defined the alias / search list; `skipped`: candidates dropped because their
/// registry is blocked and none of its mirrors may be used (one message each).
struct Resolution {
    std::vector<Candidate> candidates;
    std::string how;
    std::string origin;
    std::vector<std::string> skipped;
};

struct ResolveOptions {
    /// Whether stdin and stdout are terminals. podman prompts then; hutch has no prompt, so
    /// an interactive enforcing resolution returns every candidate (as permissive does).
    bool interactive = false;
};

/// Resolves `name` to pull candidates:
///  - a fully-qualified name gives one candidate (":latest" added when no tag/digest);
///  - a short name's alias (tag/digest re-applied) wins over the search list;
///  - else one candidate per unqualified-search registry, in order (docker.io adds library/);
///  - short-name-mode enforcing with more than one search candidate and no TTY is an error,
///    as in podman.
/// Throws InvalidArgument (bad name, no alias and no search registries, enforcing without
/// TTY, invalid mode) and Error when every candidate's registry is blocked.
Resolution resolve(std::string_view name, const conf::RegistriesConf& conf, const ResolveOptions& opts);
/// resolve() with interactive = isatty(stdin) && isatty(stdout).
Resolution resolve(std::string_view name, const conf::RegistriesConf& conf);

/// shortnames.ResolveLocally: the names under which a local image may be stored, in order:
/// a fully-qualified name itself; for a short name its alias (if any), "localhost/<name>",
/// then each unqualified-search registry. ":latest" is added when no tag/digest is given.
/// Throws InvalidArgument for an invalid name.
std::vector<Reference> resolveLocally(std::string_view name, const conf::RegistriesConf& conf);

/// PullSourcesFromReference for a fully-qualified `ref` under `reg` (nullptr = no
/// [[registry]] matched: the reference itself, secure). Honours mirror-by-digest-only and
/// per-mirror pull-from-mirror. Throws Error when a rewritten reference is invalid.
std::vector<PullSource> pullSources(const Reference& ref, const conf::Registry* reg);

/// rewriteReference: `ref` with `prefix` replaced by `location` (empty location with a
/// "*." prefix = unchanged). Throws Error when the prefix does not match or the result is
/// not a valid canonical reference.
Reference rewriteReference(const Reference& ref, std::string_view prefix, std::string_view location);

}  // namespace hutch::registry
