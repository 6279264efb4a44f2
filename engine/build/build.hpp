// `build`: runs a Dockerfile (builder/ front end) against the store: each RUN in a working
// container under the embedded runtime, COPY/ADD into a mounted rootfs, config
// instructions into the image config, and after every step an intermediate image
// (Store::commitContainer + engine::commitImage), reused from the build cache when the
// step's inputs match (podman/buildah `--layers` semantics).
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine::build {

/// podman build's flags (see `podman build --help`).
struct BuildOptions {
    std::string contextDir = ".";          ///< the build context directory
    std::string file;                      ///< -f ("" = Containerfile, else Dockerfile in the context)
    std::vector<std::string> tags;         ///< -t as given (normalised with normalizeTag)
    std::vector<std::string> buildArgs;    ///< --build-arg KEY=VALUE (KEY alone: from hutch's environment)
    std::string target;                    ///< --target stage name ("" = last stage)
    bool noCache = false;                  ///< --no-cache: run every step
    bool layers = true;                    ///< --layers: use and fill the build cache
    std::string network = "host";          ///< --network for RUN: host|none|private|...
    std::string format = "oci";            ///< --format oci|docker
    std::vector<std::string> labels;       ///< --label KEY=VALUE, set on the final image
    std::string pull = "missing";          ///< --pull missing|always|never
    std::string platform;                  ///< --platform: only the host's (linux/amd64)
    std::string iidfile;                   ///< --iidfile: the image id is written there
    bool quiet = false;                    ///< -q: only the final id (RUN output still shown)
    bool squash = false;                   ///< --squash: accepted; layers are not merged (see README)
    std::optional<bool> tlsVerify;         ///< --tls-verify for FROM pulls (PullOptions::tlsVerify)
    std::string authFile;                  ///< --authfile for FROM pulls (PullOptions::authFile)
};

/// A -t name as stored: engine::normalizeLocalName (tag.hpp), "x" -> "localhost/x:latest".
/// Throws InvalidArgument for a malformed name or a digest.
std::string normalizeTag(const std::string& name);

/// Builds the image and returns its id (64 hex). Progress (`STEP n/N: ...`, `--> id`,
/// `COMMIT`, `Successfully tagged`) goes to `out`; RUN output goes to hutch's own
/// stdout/stderr. Throws ConfigError (Dockerfile file:line: parse errors, missing COPY
/// source, unknown --from stage, `${V:?}`), InvalidArgument (bad flag values),
/// CommandError(exit status) when a RUN fails ("building at STEP \"RUN ...\": while
/// running runtime: exit status N"), and the store's / pull's errors.
std::string buildImage(Context& ctx, const BuildOptions& opts, std::ostream& out);

}  // namespace hutch::engine::build
