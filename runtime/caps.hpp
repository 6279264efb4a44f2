// Capabilities (config.md "Linux Process" capabilities; capabilities(7)), libcap-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hutch/runtime/spec.hpp"

namespace hutch::runtime {

/// Number of a capability name ("CAP_CHOWN", any case, "CAP_" optional); nullopt if unknown.
std::optional<int> capFromName(const std::string& name);

/// Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
int capLastCap();

/// Bit mask of the named capabilities (bit n = capability n). Throws InvalidArgument on an
/// unknown name; capabilities above the kernel's last are left out (debug log).
uint64_t capMask(const std::vector<std::string>& names);

/// Step 1, before switching user: sets PR_SET_KEEPCAPS and drops every capability not in
/// caps.bounding from the bounding set. Throws SysError.
void dropBoundingSet(const Capabilities& caps);

/// Step 2, after switching user: sets effective/permitted/inheritable with capset(2), then
/// the ambient set. Throws SysError.
void applyCapSets(const Capabilities& caps);

}  // namespace hutch::runtime
