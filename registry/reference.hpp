// Image references: docker/distribution grammar and Docker Hub normalisation
// (containers/image docker/reference). The grammar itself lives in
// conf/registries_reference.hpp (conf needs it to validate registries.conf); this is the
// registry-facing API.
#pragma once

#include <string>
#include <string_view>

#include "hutch/conf/registries_reference.hpp"

namespace hutch::registry {

/// A fully-qualified (normalized) reference: domain is never empty.
struct Reference {
    std::string domain;  ///< "docker.io", "127.0.0.1:5000"
    std::string path;    ///< "library/busybox"
    std::string tag;     ///< "" = none
    std::string digest;  ///< "sha256:<hex>", "" = none

    std::string name() const;  ///< domain/path
    std::string str() const;   ///< domain/path[:tag][@digest]
    /// Docker's familiar form of name(): "busybox" for docker.io/library/busybox.
    std::string familiarName() const;
    bool operator==(const Reference&) const = default;

    static Reference from(const conf::ImageReference& r) { return {r.domain, r.path, r.tag, r.digest}; }
};

/// ParseNormalizedNamed + TagNameOnly: "busybox" -> docker.io/library/busybox:latest;
/// "127.0.0.1:5000/busybox" -> 127.0.0.1:5000/busybox:latest; a reference with a tag or a
/// digest keeps them (both when both are given). Throws InvalidArgument.
Reference parseNormalized(std::string_view s);

/// ParseNormalizedNamed without the default tag. Throws InvalidArgument.
Reference parseNormalizedName(std::string_view s);

/// shortnames.IsShortName: true when `s` is a valid reference whose first component is not
/// a registry (no '.', no ':', not "localhost"): "fedora", "library/fedora:1",
/// "busybox@sha256:...". False for qualified names and for invalid input.
bool isShortName(std::string_view s);

}  // namespace hutch::registry
