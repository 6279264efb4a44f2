// attach: connecting a terminal to a detached container's stdio, through its monitor.
//
// The monitor of a detached container listens on a SOCK_SEQPACKET unix socket
// (<runroot>/containers/<id>/userdata/attach). Every message it sends starts with one kind
// byte: 1 = the container's stdout, 2 = its stderr, 3 = the exit code (decimal text, the
// last message before the monitor closes the socket). A client sends raw stdin bytes, which
// the monitor writes to the container's stdin (only when the container was started with -i).
// Detaching (ctrl-p ctrl-q by default, podman's --detach-keys) happens in the client.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hutch/common/fd.hpp"
#include "hutch/common/ipc.hpp"
#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// Message kinds on the attach socket (common/ipc.hpp).
using AttachKind = ipc::AttachKind;

/// The attach socket's path for a container run directory.
std::string attachSocketPath(const std::string& containerRunDir);

/// Monitor side: the listening socket and the clients connected to it. Single-threaded;
/// the monitor polls fds() and calls the handlers. Closing (destructor) unlinks the socket.
class AttachServer {
public:
    /// Listens on attachSocketPath(runDir) (replacing a stale socket file). Throws SysError.
    explicit AttachServer(const std::string& runDir);
    ~AttachServer();
    AttachServer(const AttachServer&) = delete;
    AttachServer& operator=(const AttachServer&) = delete;

    /// The listening fd (poll for POLLIN, then call accept()).
    int listenFd() const { return listen_.get(); }
    /// Accepts one pending client (non-blocking; nothing pending is not an error).
    void accept();
    /// Client fds to poll for POLLIN.
    std::vector<int> clientFds() const;
    /// Reads one message from client `fd`: its bytes are written to `stdinFd` (if >= 0; else
    /// dropped). A closed or failing client is dropped.
    void onClientReadable(int fd, int stdinFd);
    /// Sends `data` with `kind` to every client. A client that cannot take it now (its socket
    /// buffer is full) or has gone is dropped: a slow client never blocks the container.
    void broadcast(AttachKind kind, std::string_view data);

private:
    void drop(int fd);
    std::string path_;
    UniqueFd listen_;
    std::vector<UniqueFd> clients_;
};

/// Client side: connects to the attach socket of the container whose run directory is
/// `containerRunDir`. Throws SysError naming the path (ENOENT/ECONNREFUSED: no monitor).
UniqueFd connectAttach(const std::string& containerRunDir);

/// podman's --detach-keys: comma-separated "ctrl-<c>" (c in a-z, @, [, \, ], ^, _) or single
/// characters, e.g. "ctrl-p,ctrl-q" -> "\x10\x11". "" disables detaching. Throws
/// InvalidArgument naming the flag and the bad key.
std::string parseDetachKeys(const std::string& spec);

/// Finds the detach sequence in a stream of input bytes. feed() returns the bytes to pass on
/// (a partial match is held back until it fails) and sets detached() once the whole
/// sequence was typed.
class DetachMatcher {
public:
    explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
    std::string feed(std::string_view in);
    bool detached() const { return detached_; }

private:
    std::string keys_;
    size_t matched_ = 0;
    bool detached_ = false;
};

struct AttachOptions {
    bool noStdin = false;                      ///< --no-stdin
    std::string detachKeys = "ctrl-p,ctrl-q";  ///< --detach-keys
};

/// `attach`: relays our stdin to the container (when it was started with -i and !noStdin;
/// raw terminal mode when both ends are terminals) and its output to our stdout/stderr until
/// it exits (returns its exit code) or the detach keys are typed (returns 0; the container
/// keeps running). Throws NotFound, InvalidArgument (detach keys), Error when the container
/// is not running or has no monitor (not started with -d).
int attachContainer(Context& ctx, const std::string& nameOrId, const AttachOptions& opts);

}  // namespace hutch::engine
