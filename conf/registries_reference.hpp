// Image reference grammar of docker/distribution (reference/regexp.go, normalize.go), as
// containers/image vendors it in docker/reference. It lives in conf/ because registries.conf
// validation (aliases, unqualified-search entries) needs it and conf may not depend on
// registry/; hutch::registry re-exports it in registry/reference.hpp.
#pragma once

#include <string>
#include <string_view>

namespace hutch::conf {

/// A parsed image reference. `domain` may be empty for a raw parse of a name without a
/// domain component; normalized references always have one.
struct ImageReference {
    std::string domain;  ///< "docker.io", "127.0.0.1:5000", "[fc00::1]:5000", ...
    std::string path;    ///< repository path below the domain ("library/busybox")
    std::string tag;     ///< "" = none
    std::string digest;  ///< "algo:hex", "" = none

    /// domain/path (just path when domain is empty): reference.Named.Name().
    std::string name() const;
    /// name[:tag][@digest]: reference.Named.String().
    std::string str() const;
    /// Docker's short form: docker.io and docker.io/library/ omitted (FamiliarName).
    std::string familiarName() const;
    bool operator==(const ImageReference&) const = default;
};

/// reference.Parse: the grammar only, no normalisation. The leading path component becomes
/// the domain whenever the grammar allows it ("library/fedora" -> domain "library"), exactly
/// as upstream splits it. Throws InvalidArgument with upstream's message ("invalid reference
/// format", "repository name must be lowercase", "repository name must not be more than 255
/// characters", "unsupported digest algorithm", "invalid checksum digest format").
ImageReference parseReference(std::string_view s);

/// reference.ParseNormalizedNamed: adds docker.io and library/ as Docker does; rejects a
/// bare 64-hex identifier and upper-case repository names. No default tag. Throws
/// InvalidArgument.
ImageReference parseNormalizedNamed(std::string_view s);

/// reference.ParseNamed: like parseNormalizedNamed but `s` must already be canonical
/// (e.g. "docker.io/library/x", not "x"). Throws InvalidArgument ("repository name must be
/// canonical").
ImageReference parseNamed(std::string_view s);

/// True if `s` matches the domain grammar (host[:port], host a DNS name or [ipv6]).
bool isValidDomain(std::string_view s);

}  // namespace hutch::conf
