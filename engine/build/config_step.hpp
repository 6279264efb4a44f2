// Build executor, the pure parts: how a Dockerfile config instruction (ENV, LABEL, EXPOSE,
// VOLUME, USER, WORKDIR, STOPSIGNAL, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD,
// MAINTAINER) changes an OCI image config (image-spec config.md; the docker-only keys
// Healthcheck, Shell, OnBuild as docker's image spec v1.2 names them), and the history
// `created_by` text podman writes for each step.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hutch/builder/instructions.hpp"

namespace hutch::engine::build {

/// The config a stage starts from: the base image's config, or for `scratch` an empty
/// amd64/linux config whose Env holds the default PATH (as podman does). `history`,
/// `rootfs` and `created` are kept (commitImage appends/replaces them).
nlohmann::json initialConfig(const std::optional<nlohmann::json>& baseConfig);

/// The image's Env as a map (later entries win).
std::map<std::string, std::string> envMap(const nlohmann::json& config);

/// Applies an already expanded config instruction to `config` (the full image config;
/// the instruction's keys go under "config", MAINTAINER sets "author"). `format` is "oci"
/// or "docker": HEALTHCHECK, SHELL and ONBUILD are only stored for "docker"; for "oci" a
/// warning is appended to `warnings` as podman prints it. ENTRYPOINT resets Cmd (Docker
/// does so when the Cmd came from the base image or an earlier stage line). WORKDIR is
/// resolved against the current working directory. Returns false when `in` is not a
/// config instruction (RUN, COPY, ADD, ARG, FROM). Throws InvalidArgument for a bad
/// value (e.g. an EXPOSE port).
bool applyConfigInstruction(nlohmann::json& config, const builder::Instruction& in, const std::string& format,
                            std::vector<std::string>& warnings);

/// The shell of the stage: config.Shell, else ["/bin/sh", "-c"].
std::vector<std::string> stageShell(const nlohmann::json& config);

/// The argv RUN executes for `cmd` (exec form as is; shell form = shell + the line).
std::vector<std::string> runArgv(const builder::CommandLine& cmd, const nlohmann::json& config);

/// The history `created_by` podman records: `/bin/sh -c #(nop) <INSTRUCTION as written>`
/// for config steps, `/bin/sh -c <line>` for RUN (shell form; exec form: the JSON-free
/// argument list), `/bin/sh -c #(nop) COPY <kind>:<hash> in <dest> ` for COPY/ADD where
/// `contentSummary` is `<kind>:<hash>`.
std::string createdBy(const builder::Instruction& in, const std::string& contentSummary = "");

/// The instruction as podman prints it after `STEP n/N: ` (the original text with its
/// keyword upper-cased, continuation lines joined).
std::string stepText(const builder::Instruction& in);

/// Joins `path` to the working directory `cwd` ("" = "/") unless it is absolute; cleaned.
std::string resolveWorkdir(const std::string& cwd, const std::string& path);

}  // namespace hutch::engine::build
