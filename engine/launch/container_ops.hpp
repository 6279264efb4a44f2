// What is done to container records with the network and volumes in view, above
// containers.hpp (records), network and volumes: the recovery of containers whose monitor
// died, and podman's inspect JSON (with the volumes' mount points).
#pragma once

#include <nlohmann/json.hpp>

#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// The recovery step of every command that changes state (cli/main.cpp runs it before the
/// verb; read-only verbs such as ps and inspect do not): a container recorded running whose
/// monitor is gone (killed, or a foreground `run` killed with SIGKILL) has its process killed
/// (SIGKILL to its init), its network helper ended and exit 137 recorded; a --rm one is
/// removed with its anonymous volumes. Returns how many were recovered.
int recoverContainers(Context& ctx);
/// podman-style `container inspect` JSON object.
nlohmann::ordered_json inspectContainer(Context& ctx, const ContainerRecord& r);

}  // namespace hutch::engine
