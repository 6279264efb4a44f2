// Platforms (OCI image-spec image-index.md "platform" object) and choosing one from an index.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hutch::registry {

/// An OCI platform: os ("linux"), architecture (GOARCH names: "amd64", "arm64", ...) and
/// optional variant ("v7", "v8").
struct Platform {
    std::string os, architecture, variant;
    /// "os/arch[/variant]".
    std::string str() const;
};

/// The platform of the running machine, from uname(2) (x86_64 -> amd64, aarch64 -> arm64/v8,
/// armv7l -> arm/v7, ...). os is always "linux".
Platform hostPlatform();

/// Parses "os/arch[/variant]" as `--platform` takes it ("linux/arm64/v8"); architecture
/// aliases (x86_64, aarch64) are normalised. Throws InvalidArgument naming the string.
Platform parsePlatform(std::string_view s);

/// Normalises the way containerd's platforms.Normalize does: lower-case, arch aliases
/// (x86_64/x86-64 -> amd64, aarch64 -> arm64, i386/i686 -> 386, armhf -> arm/v7, armel ->
/// arm/v6), arm64 variant "8"/"v8" -> "v8" (default "v8"), arm default variant "v7",
/// amd64 "v1" -> "".
Platform normalizePlatform(Platform p);

/// True when an image for `have` runs on `want` per containerd's matcher: equal after
/// normalisation, or `have` is an older arm variant than `want` (arm v7 runs v6 and v5).
bool platformMatches(const Platform& want, const Platform& have);

/// The platforms an image may have to run on `want`, most capable first, as
/// containers/image's WantedPlatforms: with a variant, that variant, the older ones it
/// runs (arm: v8, v7, v6, v5; arm64: v8), then no variant (linux/arm/v7 -> v7, v6, v5, "");
/// without one, no variant first, then every known variant of the architecture
/// (linux/arm64 -> "", v8). Architectures without variants (amd64) give only themselves.
/// Architecture aliases are normalised (x86_64 -> amd64, aarch64 -> arm64) and a numeric
/// arm variant gets its "v" ("7" -> "v7").
std::vector<Platform> wantedPlatforms(const Platform& want);

/// `p` with lower-case fields and the normalisation of wantedPlatforms (aliases, "7" ->
/// "v7"), without adding default variants: the form index entries are compared in.
Platform canonicalPlatform(Platform p);

}  // namespace hutch::registry
