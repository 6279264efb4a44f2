// Published ports (-p/-P) of a private network: hutch's own forwarder, in the spirit of
// podman's rootlessport. The engine binds every host port in the host's network namespace
// (so "in use" and "privileged port" errors come before anything starts); the container's
// namespace keeper (network.cpp) inherits those sockets and, from inside the container's
// namespace, relays
//   - each accepted TCP connection to 127.0.0.1:<container port> there, with splice(2)
//     through a pipe per direction (the data never enters user space), half-closes passed on;
//   - each UDP datagram through a socket per client address (a "flow") connected to
//     127.0.0.1:<container port>, replies sent back to that client; flows idle for a minute
//     are closed.
// The same forwarder serves whichever user-mode stack (slirp4netns, pasta) gives the
// namespace its outbound access, so published ports behave and perform alike with both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hutch/common/fd.hpp"
#include "hutch/engine/spec/netconf.hpp"

namespace hutch::engine {

/// One bound host port and the container port it forwards to.
struct HostListener {
    UniqueFd fd;                 ///< TCP: listening; UDP: bound. Non-blocking, close-on-exec.
    uint16_t containerPort = 0;
    bool udp = false;
};

/// Binds `port` on `hostIp` ("" = every IPv4 address) for `proto` ("tcp" listens), in the
/// caller's network namespace. `boundPort` gets the port bound (useful with port 0).
/// Throws InvalidArgument naming the port when it is in use or below
/// net.ipv4.ip_unprivileged_port_start, or the address is invalid; SysError otherwise.
UniqueFd bindHostPort(const std::string& hostIp, uint16_t port, const std::string& proto,
                      uint16_t* boundPort = nullptr);

/// Binds every host port of `ports` (each port of a range), as bindHostPort.
std::vector<HostListener> bindPublishedPorts(const std::vector<PortMapping>& ports);

/// The relay loop. Constructed before fork (it allocates its connection and flow tables
/// then); serve() allocates nothing, so it may run in a child forked from a multi-threaded
/// process.
class PortForwarder {
public:
    PortForwarder() = default;
    /// `maxConnections`, `maxFlows`: table sizes (tests use small ones).
    explicit PortForwarder(std::vector<HostListener> listeners, size_t maxConnections = kMaxConnections,
                           size_t maxFlows = kMaxFlows);
    PortForwarder(PortForwarder&&) = default;
    PortForwarder& operator=(PortForwarder&&) = default;

    /// The descriptors the forwarder owns (to keep across a close of inherited ones).
    std::vector<int> fds() const;
    /// Relays until `wakeFd` is readable (or hung up), then returns so the caller can read it;
    /// call again to go on. Must run inside the container's network namespace: connections go
    /// to its 127.0.0.1. Returns false if the loop could not be set up (epoll failed).
    bool serveUntilReadable(int wakeFd);

    /// Most TCP connections relayed at once (six descriptors each); more wait in the listen
    /// backlog (SOMAXCONN), as they do when the descriptor limit is reached.
    static constexpr size_t kMaxConnections = 4096;
    /// Most UDP flows at once; the least recently used is closed for a new one.
    static constexpr size_t kMaxFlows = 1024;

    /// One relayed TCP connection; direction 0 is client -> container, 1 the reverse.
    struct Conn {
        int fd[2] = {-1, -1};          ///< [0] the host's client, [1] our socket in the namespace
        int pipeR[2] = {-1, -1}, pipeW[2] = {-1, -1};  ///< per direction
        size_t inPipe[2] = {0, 0}, pipeCap = 0;
        bool eof[2] = {false, false}, shut[2] = {false, false};
        bool connecting = false;
        bool used() const { return fd[0] >= 0; }
    };
    /// One UDP client of a published port and its socket in the namespace.
    struct Flow {
        int fd = -1;
        size_t listener = 0;
        unsigned char addr[28] = {};   ///< the client's sockaddr (in or in6)
        uint32_t addrLen = 0;
        int64_t lastUse = 0;           ///< CLOCK_MONOTONIC seconds (idle expiry)
        uint64_t useSeq = 0;           ///< order of last use (least recently used)
    };

private:
    void acceptAll(size_t listener);
    void connected(size_t c);
    void pump(size_t c);
    void closeConn(size_t c);
    void udpFromHost(size_t listener);
    void udpFromContainer(size_t f);
    void expireFlows();
    void pauseListeners(bool pause);

    std::vector<HostListener> listeners_;
    std::vector<Conn> conns_;
    std::vector<Flow> flows_;
    std::vector<char> datagram_;
    UniqueFd epoll_;
    int wakeFd_ = -1;
    bool paused_ = false;
    uint64_t seq_ = 0;
};

}  // namespace hutch::engine
