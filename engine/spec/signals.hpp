// Signal names as podman accepts them (--stop-signal, STOPSIGNAL, kill -s).
#pragma once

#include <string>

namespace hutch::engine {

/// Parses "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3", "SIGRTMIN+3", "RTMAX-1". Throws
/// InvalidArgument ("invalid signal: X") for anything else.
int parseSignal(const std::string& s);

}  // namespace hutch::engine
