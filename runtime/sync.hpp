// Parent/child synchronisation of the runtime: typed messages over a SOCK_SEQPACKET
// socketpair (one message per send, no framing needed), optionally carrying one fd
// (SCM_RIGHTS). Child-side functions never throw (they run after clone()).
#pragma once

#include <cstdint>
#include <string>

#include "hutch/common/fd.hpp"

namespace hutch::runtime {

/// What a sync message says. Numbered in the order they occur.
enum class MsgType : uint32_t {
    Continue = 1,   ///< parent -> child: id maps written, go on
    TtyMaster = 2,  ///< child -> parent: carries the pty master fd
    Error = 3,      ///< child -> parent: setup or exec failed; stage/errno/message/exitCode set
    // EOF (no message) after Continue means the child exec'd: the socket is O_CLOEXEC.
};

/// One message. Fixed size so a SEQPACKET read gets it whole.
struct SyncMsg {
    MsgType type = MsgType::Continue;
    int32_t err = 0;        ///< errno of the failure (0 if none)
    int32_t exitCode = 0;   ///< 125 setup, 126 cannot invoke, 127 not found
    char stage[48] = {};    ///< the child step that failed
    char message[960] = {}; ///< human-readable, NUL-terminated

    static SyncMsg error(const char* stage, int err, int exitCode, const std::string& message);
};

/// A socketpair for parent (first) and child (second), both O_CLOEXEC. Throws SysError.
std::pair<UniqueFd, UniqueFd> makeSyncPair();

/// Sends `m` (with `fd` attached when >= 0). Returns 0 or errno. Never throws.
int sendMsg(int sock, const SyncMsg& m, int fd = -1) noexcept;

/// Receives one message; `fd` (if non-null) gets an attached fd or -1. Returns 1 on a
/// message, 0 on EOF, -errno on failure. Never throws.
int recvMsg(int sock, SyncMsg& m, int* fd = nullptr) noexcept;

}  // namespace hutch::runtime
