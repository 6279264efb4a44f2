// Container records in the store: load, save, list (ps), remove (rm), inspect.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hutch/engine/container_record.hpp"
#include "hutch/engine/context.hpp"

namespace hutch::engine {

/// The record of the container named or id'd (full id or unique prefix) by `nameOrId`, with
/// its effective state (a "running" one whose process or monitor is gone reads as exited;
/// 137 when the monitor went). Reads only: never kills or writes. Throws NotFound ("no
/// container with name or ID ... found: no such container").
ContainerRecord loadContainer(Context& ctx, const std::string& nameOrId);
/// The recovery step of every command that changes state (cli/main.cpp runs it before the
/// verb; read-only verbs such as ps and inspect do not): a container recorded running whose
/// monitor is gone (killed, or a foreground `run` killed with SIGKILL) has its process killed
/// (SIGKILL to its init), its network helper ended and exit 137 recorded; a --rm one is
/// removed with its anonymous volumes. Returns how many were recovered.
int recoverContainers(Context& ctx);
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
