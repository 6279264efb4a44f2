// Every message between hutch processes, typed, in one place, with the order of each protocol.
// (The runtime's own parent/child channel inside one container start, with fd passing, is
// runtime/sync.hpp; it never leaves the runtime.)
//
//   engine (run, monitor, exec)            hutch-runtime run|exec
//     fork+exec with --status-fd 3 ----->
//                                          [run: waits at the start gate, fd 4]
//     StartGate: one kGateOpen byte ----->   (EOF instead: the container ends, exit 125)
//                                   <----- RuntimeStatus, one line, then the fd closes:
//                                          started (the container's exec succeeded) or failed
//     waitpid(runtime) = the container's exit code
//
//   caller (run -d, start, restart)        hutch __monitor --sync-fd 3
//     fork+exec ------------------------>
//                                   <----- MonitorReply, one line, then the fd closes: at
//                                          start, or at READY=1 with --sdnotify=container
//
//   engine (network setup)                 the helper's launcher (a double fork)
//                                   <----- the helper's pid (sendPid), then the fd closes
//   hutch attach (client)                  the monitor's attach socket (SOCK_SEQPACKET,
//                                          <runroot>/containers/<id>/userdata/attach)
//                                   <----- AttachKind byte + payload per message: stdout,
//                                          stderr, ..., Exit + the exit code (decimal) last
//     raw stdin bytes (-i only) --------->   written to the container's stdin
//
//   engine (network owner)                 the netns keeper (engine/network/network.cpp)
//                                   <----- its readiness: an int, 0 or the errno of its setup
//     the helper's pid (sendPid) -------->   then EOF (the owner ended): the keeper stops the
//                                          helper, unmounts the namespace file and exits
//
// Lines are JSON objects (jsonbytes: any byte string survives); a reader that meets EOF
// before a line gets the message's "nothing arrived" value.
#pragma once

#include <sys/types.h>

#include <string>

namespace hutch::ipc {

/// The start gate's one byte (engine -> runtime): the network is ready, exec.
inline constexpr char kGateOpen = 1;

/// The first byte of every message the monitor sends an attach client.
enum class AttachKind : char { Stdout = 1, Stderr = 2, Exit = 3 };

/// hutch-runtime -> engine, on the status fd, once.
struct RuntimeStatus {
    bool started = false;  ///< the container's process runs (its exec succeeded)
    pid_t pid = 0;         ///< started: the container's init, as seen from the engine
    std::string stage;     ///< failed: where (e.g. "mounts", "exec")
    std::string error;     ///< failed: the message for the user ("" = EOF without a line)
    int err = 0;           ///< failed: errno, 0 when none
    int exitCode = 125;    ///< failed: 125, or 126/127 for a command that cannot run / is missing
};

/// monitor -> caller of run -d/start/restart, on the sync fd, once.
struct MonitorReply {
    bool ok = false;       ///< the container started (and reported READY=1 if asked to)
    int exitCode = 125;    ///< not ok: 125, or 126/127
    std::string error;     ///< not ok: the message ("" = EOF without a line)
    std::string warning;   ///< ok, but the caller should say this (no READY=1 in time)
};

/// Writes `m` as one line to `fd` and closes `fd` (-1: nothing). Never throws.
void send(int fd, const RuntimeStatus& m) noexcept;
void send(int fd, const MonitorReply& m) noexcept;

/// Reads one line from `fd` (blocking) and decodes it. EOF without a line gives the default
/// value (not started / not ok, error ""); a line that does not decode gives not started /
/// not ok with an error quoting it.
RuntimeStatus receiveRuntimeStatus(int fd);
MonitorReply receiveMonitorReply(int fd);

/// A pid, as its bytes (between the two halves of a fork). sendPid never throws; receivePid
/// returns -1 at EOF.
void sendPid(int fd, pid_t pid) noexcept;
pid_t receivePid(int fd);

}  // namespace hutch::ipc
