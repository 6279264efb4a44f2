// Container records in the store: load, save, list (ps), remove (rm), inspect.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hutch/engine/container_record.hpp"
#include "hutch/engine/context.hpp"

namespace hutch::engine {

/// The record of the container named or id'd (full id or unique prefix) by `nameOrId`.
/// Throws NotFound ("no container with name or ID ... found: no such container").
ContainerRecord loadContainer(Context& ctx, const std::string& nameOrId);
/// Writes the record back as the storage container's metadata.
void saveContainer(Context& ctx, const ContainerRecord& r);
/// Every container, newest first, with effective status applied.
std::vector<ContainerRecord> listContainers(Context& ctx);

/// `rm`: removes a container and its rootfs. A running one needs `force` (then it is
/// killed with SIGKILL first), else Error naming it. Throws NotFound.
void removeContainer(Context& ctx, const std::string& nameOrId, bool force);

/// podman-style `container inspect` JSON object.
nlohmann::ordered_json inspectContainer(Context& ctx, const ContainerRecord& r);

}  // namespace hutch::engine
