// `hutch commit`: a container's changes as a new image (podman commit): the container's
// layer (Store::commitContainer) on its image, the image's config with the container's
// command and the --change instructions, written by commitImage.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// podman commit's options.
struct CommitOptions {
    std::string container;             ///< name or id
    std::string image;                 ///< new image name ("" = none); see commitImageName
    std::string format = "oci";        ///< "oci" | "docker"
    std::string message;               ///< -m: the config's "comment" (docker format only)
    std::string author;                ///< -a: config and history "author"
    std::vector<std::string> changes;  ///< -c: Dockerfile instructions (applyChanges)
};

/// The full name a commit gives `name`: unqualified names go to localhost/ (podman:
/// "x" -> "localhost/x:latest"), a missing tag becomes ":latest". Throws InvalidArgument
/// for a malformed reference or one with a digest (podman: the new image's manifest digest
/// would not match it).
std::string commitImageName(const std::string& name);

/// Applies podman commit --change instructions to the image config's "config" object
/// `cfg`: CMD / ENTRYPOINT (JSON array, or shell form -> ["/bin/sh","-c",TEXT]), ENV
/// (KEY=VALUE... with quotes, or KEY [VALUE]), EXPOSE (PORT[/tcp|udp]...), LABEL
/// (KEY=VALUE...), USER, WORKDIR (relative to the current one), VOLUME (JSON array or
/// paths), STOPSIGNAL, ONBUILD (appended to "OnBuild"; commitContainer keeps them only
/// in the docker format, warning as podman otherwise). Keywords are case-insensitive; each
/// needs an argument. Throws InvalidArgument as podman words it: `invalid change "TEXT" - ...`.
void applyChanges(nlohmann::json& cfg, const std::vector<std::string>& changes);

/// Commits the container (running or not) into a new image and returns its id (64 hex).
/// The image config is the container image's, with `Cmd` = the container's command
/// (without the image's entrypoint), then the changes applied; the history gets
/// {created, created_by "/bin/sh", author?, comment "FROM <image>"}. A container that
/// changed nothing gives an image with an empty_layer history entry. Throws NotFound
/// naming the container as podman does, InvalidArgument for options (-m with oci).
std::string commitContainer(Context& ctx, const CommitOptions& o);

}  // namespace hutch::engine
