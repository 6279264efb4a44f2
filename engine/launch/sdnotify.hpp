// sd_notify for detached containers (podman's --sdnotify): the monitor's end of the socket
// a container (systemd as PID 1) reports readiness on, and the report to hutch's own caller
// when hutch itself runs under a service manager. Protocol: sd_notify(3), datagrams of
// newline-separated KEY=VALUE lines on a unix socket named by $NOTIFY_SOCKET.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <sys/types.h>

#include "hutch/common/fd.hpp"

namespace hutch::engine {

/// A unix datagram socket bound at `<dir>/notify.sock` (dir is created, 0700; a stale socket
/// file is replaced). The path may be longer than sun_path: it is bound through the
/// directory's /proc/self/fd entry. Throws SysError naming the path.
class NotifySocket {
public:
    /// Binds `dir`/notify.sock (making `dir`, 0700). With `owner`, the directory and the
    /// socket are given to it: the root of a container with its own user namespace, which
    /// could not reach them otherwise. Throws SysError.
    explicit NotifySocket(const std::string& dir, std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);
    /// The socket (non-blocking), for poll().
    int fd() const { return fd_.get(); }
    const std::string& dir() const { return dir_; }
    /// Reads every pending datagram; true if one of them had the line READY=1.
    bool drainReady();

private:
    std::string dir_;
    UniqueFd fd_;
};

/// Sends `state` (e.g. "READY=1\nMAINPID=42") to $NOTIFY_SOCKET (a path, or "@name" for an
/// abstract socket) when that variable is set; a failure is logged at debug level only, as
/// sd_notify(3) callers do. Returns whether it was sent.
bool notifyCaller(const std::string& state);

/// How long `run -d`/`start` wait for READY=1 with --sdnotify=container: 90 s (systemd's
/// DefaultTimeoutStartSec), or $HUTCH_SDNOTIFY_TIMEOUT seconds.
std::chrono::milliseconds sdNotifyTimeout();

}  // namespace hutch::engine
