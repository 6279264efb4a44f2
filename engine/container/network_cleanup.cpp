#include "hutch/engine/container/network_cleanup.hpp"

#include <signal.h>

#include "hutch/common/proc.hpp"
#include "hutch/runtime/netns.hpp"

namespace hutch::engine {

void cleanupNetwork(const NetworkState& st) noexcept {
    if (proc::sameProcess(st.helperPid, st.helperStartTime)) ::kill(st.helperPid, SIGTERM);
    if (proc::sameProcess(st.keeperPid, st.keeperStartTime)) ::kill(st.keeperPid, SIGKILL);
    if (st.ownsNamespace && !st.nsPath.empty()) runtime::removeNetnsFile(st.nsPath.c_str());
}

}  // namespace hutch::engine
