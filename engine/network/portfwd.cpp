#include "hutch/engine/network/portfwd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {

namespace {

int unprivilegedPortStart() {
    try {
        return std::stoi(fsutil::readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"));
    } catch (const std::exception&) {
        return 1024;
    }
}

// epoll_event.data.u64: kind << 32 | index
enum Kind : uint64_t { kWake = 1, kListener, kConnClient, kConnServer, kFlow };
uint64_t tag(Kind k, size_t i) { return (static_cast<uint64_t>(k) << 32) | i; }

constexpr unsigned kSpliceFlags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
constexpr int64_t kFlowIdleSeconds = 60;

int64_t monotonicSeconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/// A socket in the current network namespace connected (or connecting) to 127.0.0.1:port.
/// Returns -1 (errno set) on failure; *inProgress tells a non-blocking connect still going.
int connectLoopback(int type, uint16_t port, bool* inProgress) {
    int fd = ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *inProgress = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        if (errno == EINPROGRESS) {
            *inProgress = true;
            return fd;
        }
        int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

UniqueFd bindHostPort(const std::string& hostIp, uint16_t port, const std::string& proto, uint16_t* boundPort) {
    bool v6 = hostIp.find(':') != std::string::npos;
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        if (::inet_pton(AF_INET6, hostIp.c_str(), &a->sin6_addr) != 1)
            throw InvalidArgument("-p/--publish: invalid host address \"" + hostIp + "\"");
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = INADDR_ANY;
        if (!hostIp.empty() && ::inet_pton(AF_INET, hostIp.c_str(), &a->sin_addr) != 1)
            throw InvalidArgument("-p/--publish: invalid host address \"" + hostIp + "\"");
        len = sizeof *a;
    }
    bool udp = proto == "udp";
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw SysError(errno, "socket for host port " + std::to_string(port));
    int one = 1;
    if (!udp) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    std::string where = (hostIp.empty() ? std::string("0.0.0.0") : hostIp) + ":" + std::to_string(port) + "/" + proto;
    auto inUse = [&] {
        return InvalidArgument("cannot publish host port " + std::to_string(port) + " (" + where +
                               "): address already in use (by another container or process)");
    };
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int err = errno;
        if (err == EACCES) {
            int start = unprivilegedPortStart();
            throw InvalidArgument("cannot publish host port " + std::to_string(port) + " (" + where +
                                  "): rootless containers cannot bind ports below " + std::to_string(start) +
                                  " (sysctl net.ipv4.ip_unprivileged_port_start=" + std::to_string(start) +
                                  "; lower it as root to allow this)");
        }
        if (err == EADDRINUSE) throw inUse();
        throw SysError(err, "cannot publish host port " + where);
    }
    if (!udp && ::listen(fd.get(), SOMAXCONN) != 0) {
        if (errno == EADDRINUSE) throw inUse();
        throw SysError(errno, "listen on host port " + where);
    }
    if (boundPort) {
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
        *boundPort = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                              : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    }
    return fd;
}

std::vector<HostListener> bindPublishedPorts(const std::vector<PortMapping>& ports) {
    std::vector<HostListener> out;
    for (const auto& m : ports)
        for (unsigned i = 0; i < m.count; ++i) {
            HostListener l;
            l.fd = bindHostPort(m.hostIp, static_cast<uint16_t>(m.hostPort + i), m.protocol);
            l.containerPort = static_cast<uint16_t>(m.containerPort + i);
            l.udp = m.protocol == "udp";
            out.push_back(std::move(l));
        }
    return out;
}

PortForwarder::PortForwarder(std::vector<HostListener> listeners, size_t maxConnections, size_t maxFlows)
    : listeners_(std::move(listeners)) {
    bool tcp = false, udp = false;
    for (const auto& l : listeners_) (l.udp ? udp : tcp) = true;
    if (tcp) conns_.resize(maxConnections);
    if (udp) {
        flows_.resize(maxFlows);
        datagram_.resize(65536);
    }
}

std::vector<int> PortForwarder::fds() const {
    std::vector<int> out;
    for (const auto& l : listeners_) out.push_back(l.fd.get());
    return out;
}

bool PortForwarder::serveUntilReadable(int wakeFd) {
    if (!epoll_) {
        epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
        if (!epoll_) return false;
        // Six descriptors per connection: ask for the hard limit.
        rlimit rl{};
        if (!conns_.empty() && ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &rl);
        }
        for (size_t i = 0; i < listeners_.size(); ++i) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = tag(kListener, i);
            if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listeners_[i].fd.get(), &ev) != 0) return false;
        }
    }
    if (wakeFd != wakeFd_) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag(kWake, 0);
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeFd, &ev) != 0) return false;
        wakeFd_ = wakeFd;
    }
    epoll_event events[64];
    for (;;) {
        bool anyFlow = false;
        for (const auto& f : flows_) anyFlow |= f.fd >= 0;
        int n = ::epoll_wait(epoll_.get(), events, 64, anyFlow ? 5000 : -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bool wake = false;
        for (int i = 0; i < n; ++i) {
            auto kind = static_cast<Kind>(events[i].data.u64 >> 32);
            auto idx = static_cast<size_t>(events[i].data.u64 & 0xffffffffu);
            switch (kind) {
            case kWake: wake = true; break;
            case kListener:
                if (listeners_[idx].udp)
                    udpFromHost(idx);
                else
                    acceptAll(idx);
                break;
            case kConnClient:
            case kConnServer:
                if (!conns_[idx].used()) break;
                if (!conns_[idx].connecting)
                    pump(idx);
                else if (kind == kConnServer)
                    connected(idx);
                else if (events[i].events & (EPOLLERR | EPOLLHUP))
                    closeConn(idx);  // the client left before the container answered
                break;
            case kFlow:
                if (flows_[idx].fd >= 0) udpFromContainer(idx);
                break;
            }
        }
        if (!flows_.empty()) expireFlows();
        if (wake) return true;
    }
}

void PortForwarder::pauseListeners(bool pause) {
    if (paused_ == pause) return;
    paused_ = pause;
    for (size_t i = 0; i < listeners_.size(); ++i) {
        if (listeners_[i].udp) continue;
        epoll_event ev{};
        ev.events = pause ? 0u : static_cast<uint32_t>(EPOLLIN);
        ev.data.u64 = tag(kListener, i);
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listeners_[i].fd.get(), &ev);
    }
}

void PortForwarder::acceptAll(size_t listener) {
    for (;;) {
        size_t slot = conns_.size();
        for (size_t i = 0; i < conns_.size(); ++i)
            if (!conns_[i].used()) {
                slot = i;
                break;
            }
        if (slot == conns_.size()) {  // full: the rest wait in the backlog
            pauseListeners(true);
            return;
        }
        int client = ::accept4(listeners_[listener].fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            // Out of descriptors: the rest wait in the backlog until a connection closes
            // (a level-triggered listener would otherwise wake the loop at once, forever).
            if (errno == EMFILE || errno == ENFILE) pauseListeners(true);
            return;  // EAGAIN, or an aborted connection
        }
        bool inProgress = false;
        int server = connectLoopback(SOCK_STREAM, listeners_[listener].containerPort, &inProgress);
        if (server < 0) {  // nothing can be reached in the namespace: drop the client
            ::close(client);
            continue;
        }
        Conn& c = conns_[slot];
        c = Conn{};
        c.fd[0] = client;
        c.fd[1] = server;
        c.connecting = true;
        // Edge-triggered: pump() moves data until a splice would block, so a new edge always
        // follows; a full pipe is drained by the pump that the other socket's edge starts.
        for (int side = 0; side < 2; ++side) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
            ev.data.u64 = tag(side == 0 ? kConnClient : kConnServer, slot);
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd[side], &ev);
        }
        if (!inProgress) connected(slot);
    }
}

void PortForwarder::connected(size_t i) {
    Conn& c = conns_[i];
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(c.fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        closeConn(i);  // the container does not listen (yet): the client sees its connection closed
        return;
    }
    c.connecting = false;
    for (int d = 0; d < 2; ++d) {
        int p[2];
        if (::pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
            closeConn(i);
            return;
        }
        c.pipeR[d] = p[0];
        c.pipeW[d] = p[1];
        ::fcntl(p[1], F_SETPIPE_SZ, 1 << 20);  // fewer, larger splices; the default 64 KiB if refused
    }
    int cap = ::fcntl(c.pipeW[0], F_GETPIPE_SZ);
    int cap1 = ::fcntl(c.pipeW[1], F_GETPIPE_SZ);
    c.pipeCap = static_cast<size_t>(cap > 0 && cap1 > 0 ? std::min(cap, cap1) : 65536);
    pump(i);
}

void PortForwarder::pump(size_t i) {
    Conn& c = conns_[i];
    bool failed = false;
    for (int d = 0; d < 2 && !failed; ++d) {
        int src = c.fd[d], dst = c.fd[1 - d];
        for (;;) {
            bool moved = false;
            if (!c.eof[d] && c.inPipe[d] < c.pipeCap) {
                ssize_t n = ::splice(src, nullptr, c.pipeW[d], nullptr, c.pipeCap - c.inPipe[d], kSpliceFlags);
                if (n > 0) {
                    c.inPipe[d] += static_cast<size_t>(n);
                    moved = true;
                } else if (n == 0) {
                    c.eof[d] = true;
                    moved = true;
                } else if (errno != EAGAIN && errno != EINTR) {
                    failed = true;
                    break;
                }
            }
            if (c.inPipe[d] > 0) {
                ssize_t n = ::splice(c.pipeR[d], nullptr, dst, nullptr, c.inPipe[d], kSpliceFlags);
                if (n > 0) {
                    c.inPipe[d] -= static_cast<size_t>(n);
                    moved = true;
                } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                    failed = true;  // the other side reset: nothing more can be delivered
                    break;
                }
            }
            if (!moved) break;
        }
        if (!failed && c.eof[d] && c.inPipe[d] == 0 && !c.shut[d]) {
            ::shutdown(dst, SHUT_WR);
            c.shut[d] = true;
        }
    }
    // A hang-up alone is no reason to close: what the socket still holds is read first.
    if (failed || (c.shut[0] && c.shut[1])) closeConn(i);
}

void PortForwarder::closeConn(size_t i) {
    Conn& c = conns_[i];
    for (int s = 0; s < 2; ++s) {
        closeFd(c.fd[s]);  // closing removes it from the epoll set
        closeFd(c.pipeR[s]);
        closeFd(c.pipeW[s]);
    }
    c = Conn{};
    pauseListeners(false);
}

void PortForwarder::udpFromHost(size_t listener) {
    int lfd = listeners_[listener].fd.get();
    for (;;) {
        sockaddr_storage from{};
        socklen_t fromLen = sizeof from;
        ssize_t n = ::recvfrom(lfd, datagram_.data(), datagram_.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n < 0) return;
        if (fromLen > sizeof(Flow::addr)) continue;
        int64_t now = monotonicSeconds();
        size_t f = flows_.size(), spare = flows_.size();
        for (size_t i = 0; i < flows_.size(); ++i) {
            const Flow& fl = flows_[i];
            if (fl.fd < 0) {
                if (spare == flows_.size() || flows_[spare].fd >= 0) spare = i;
                continue;
            }
            if (fl.listener == listener && fl.addrLen == fromLen && std::memcmp(fl.addr, &from, fromLen) == 0) {
                f = i;
                break;
            }
            if (spare == flows_.size() || (flows_[spare].fd >= 0 && fl.useSeq < flows_[spare].useSeq)) spare = i;
        }
        if (f == flows_.size()) {  // a new client: a socket in the namespace for it (a free slot, else the LRU)
            f = spare;
            closeFd(flows_[f].fd);
            bool inProgress = false;
            int fd = connectLoopback(SOCK_DGRAM, listeners_[listener].containerPort, &inProgress);
            if (fd < 0) continue;
            Flow& fl = flows_[f];
            fl = Flow{};
            fl.fd = fd;
            fl.listener = listener;
            std::memcpy(fl.addr, &from, fromLen);
            fl.addrLen = fromLen;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = tag(kFlow, f);
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
        }
        flows_[f].lastUse = now;
        flows_[f].useSeq = ++seq_;
        ::send(flows_[f].fd, datagram_.data(), static_cast<size_t>(n), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
}

void PortForwarder::udpFromContainer(size_t f) {
    Flow& fl = flows_[f];
    for (;;) {
        ssize_t n = ::recv(fl.fd, datagram_.data(), datagram_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) closeFd(fl.fd);  // e.g. ECONNREFUSED: nothing listens
            return;
        }
        fl.lastUse = monotonicSeconds();
        fl.useSeq = ++seq_;
        ::sendto(listeners_[fl.listener].fd.get(), datagram_.data(), static_cast<size_t>(n), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(fl.addr), fl.addrLen);
    }
}

void PortForwarder::expireFlows() {
    int64_t now = monotonicSeconds();
    for (auto& fl : flows_)
        if (fl.fd >= 0 && now - fl.lastUse > kFlowIdleSeconds) closeFd(fl.fd);
}

}  // namespace hutch::engine
