// Capability sets for containers: podman's default set, --cap-add/--cap-drop, --privileged.
#pragma once

#include <string>
#include <vector>

namespace hutch::engine {

/// podman's default capability set.
const std::vector<std::string>& defaultCapabilities();

/// Every capability name capabilities(7) defines, CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40).
const std::vector<std::string>& allCapabilities();

/// "net_admin", "NET_ADMIN", "cap_net_admin" -> "CAP_NET_ADMIN"; "all" -> "ALL". Throws
/// InvalidArgument ("\"CAP_FOO\": unknown capability", as podman) for anything else.
std::string normalizeCapability(const std::string& name);

/// The container's capability set: `privileged` -> all; else podman's defaults, minus
/// `drop` (ALL drops every default), plus `add` (ALL adds every capability). Each entry of
/// `add`/`drop` is one name or a comma-separated list of them ("NET_ADMIN,net_raw"). Sorted as
/// allCapabilities() orders them. Throws InvalidArgument for an unknown name.
std::vector<std::string> capabilitySet(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                                       bool privileged);

}  // namespace hutch::engine
