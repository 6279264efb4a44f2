// Ending what a container record's network state names, without the network setup code:
// the container records (containers.cpp) need it and sit below network.cpp.
#pragma once

#include "hutch/engine/spec/netconf.hpp"

namespace hutch::engine {

/// Cleans up what a record's network state names when its owner is gone (rm -f, a killed
/// monitor): stops the helper and the keeper (checked by start time), unmounts and removes
/// the namespace file. Never throws.
void cleanupNetwork(const NetworkState& st) noexcept;

}  // namespace hutch::engine
