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
    /// The build context directory; "-": read from stdin, a tar archive (plain, gzip, zstd)
    /// of the context, or else the Containerfile itself with an empty context; "": an
    /// empty context (`-f -` without a context directory).
    std::string contextDir = ".";
    std::string file;                      ///< -f ("" = Containerfile, else Dockerfile in the context; "-" = stdin)
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
    bool squash = false;                   ///< --squash: the target stage's new layers as one layer on its base
    bool squashAll = false;                ///< --squash-all: the whole image as one layer
    std::optional<bool> tlsVerify;         ///< --tls-verify for FROM pulls (PullOptions::tlsVerify)
    std::string authFile;                  ///< --authfile for FROM pulls (PullOptions::authFile)
    std::vector<std::string> ulimits;      ///< --ulimit TYPE=SOFT[:HARD] for RUN (engine/spec/ulimit.hpp)
};

/// Which of podman build's flags whose meaning depends on the others were given on the
/// command line (podman 4.3 cmd/podman/images/build.go), with --pull's value.
struct BuildFlagsGiven {
    bool pull = false;        ///< --pull or --pull=VALUE
    std::string pullValue;    ///< "true" for a bare --pull
    bool pullAlways = false;  ///< --pull-always
    bool pullNever = false;   ///< --pull-never
    bool layers = false;      ///< --layers[=BOOL]
};

/// Applies podman 4.3's rules to `o`: the pull policy (`--pull`, `--pull=true|always` and
/// `--pull-always`: always; `--pull=never|NEVER` and `--pull-never`: never; none of them,
/// `--pull=false|missing|newer` and other values: missing, with a warning for a value
/// podman does not know); `--squash` builds without the cache, `--squash-all` too unless
/// `--layers` was given; each --ulimit is checked. Throws InvalidArgument for two pull
/// flags, --squash with --layers or --squash-all, and a malformed --ulimit.
void applyFlagRules(BuildOptions& o, const BuildFlagsGiven& given);

/// --logfile: while it lives, hutch's stdout and stderr (file descriptors 1 and 2: progress,
/// RUN output, warnings, the image id) go to `path` instead, created mode 0600 or
/// truncated, as podman's --logfile. Throws SysError naming the file.
class OutputToFile {
public:
    explicit OutputToFile(const std::string& path);
    ~OutputToFile();  ///< flushes and restores both descriptors
    OutputToFile(const OutputToFile&) = delete;
    OutputToFile& operator=(const OutputToFile&) = delete;

private:
    int savedOut_ = -1, savedErr_ = -1;
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
