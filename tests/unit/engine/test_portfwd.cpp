// The published-port forwarder (engine/portfwd.*), run in a thread of the test process: it
// relays from host sockets on 127.0.0.1 to 127.0.0.1:<backend port> in the same network
// namespace (in a container, the keeper runs it inside the container's namespace).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/engine/network/portfwd.hpp"

using namespace hutch;
using namespace hutch::engine;

namespace {

sockaddr_in loopback(uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

uint16_t localPort(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin_port);
}

/// A blocking TCP (or UDP) socket on 127.0.0.1:0 (TCP: listening).
UniqueFd backendSocket(bool udp) {
    UniqueFd fd(::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    sockaddr_in sa = loopback(0);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    if (!udp) REQUIRE(::listen(fd.get(), 512) == 0);
    return fd;
}

UniqueFd connectTo(uint16_t port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa = loopback(port);
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    timeval tv{10, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

bool writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

/// Reads until EOF (or an error/timeout: then what came so far).
std::string readToEof(int fd) {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

/// The forwarder in a thread, with host listeners on 127.0.0.1:0 for `targets`
/// (container port, udp); stopped by closing the wake pipe.
class Forwarder {
public:
    explicit Forwarder(const std::vector<std::pair<uint16_t, bool>>& targets, size_t maxConns = 64, size_t maxFlows = 64) {
        std::vector<HostListener> ls;
        for (auto [port, udp] : targets) {
            HostListener l;
            uint16_t bound = 0;
            l.fd = bindHostPort("127.0.0.1", 0, udp ? "udp" : "tcp", &bound);
            l.containerPort = port;
            l.udp = udp;
            hostPorts.push_back(bound);
            ls.push_back(std::move(l));
        }
        fwd_ = PortForwarder(std::move(ls), maxConns, maxFlows);
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        wakeR_.reset(p[0]);
        wakeW_.reset(p[1]);
        thread_ = std::thread([this] {
            char c;
            while (fwd_.serveUntilReadable(wakeR_.get()) && ::read(wakeR_.get(), &c, 1) > 0) {
            }
        });
    }
    ~Forwarder() {
        wakeW_.reset();
        thread_.join();
    }
    std::vector<uint16_t> hostPorts;

private:
    PortForwarder fwd_;
    UniqueFd wakeR_, wakeW_;
    std::thread thread_;
};

}  // namespace

TEST_CASE("portfwd relays 8 MiB each way and passes the client's half-close on", "[engine][portfwd]") {
    UniqueFd backend = backendSocket(false);
    std::string data(8 << 20, '\0');
    std::mt19937 rng(7);
    for (auto& ch : data) ch = static_cast<char>(rng());
    // The backend reads to EOF (which needs the half-close relayed), then sends it all back.
    std::thread server([&] {
        UniqueFd c(::accept4(backend.get(), nullptr, nullptr, SOCK_CLOEXEC));
        std::string got = readToEof(c.get());
        writeAll(c.get(), got.data(), got.size());
    });
    Forwarder fwd({{localPort(backend.get()), false}});
    UniqueFd client = connectTo(fwd.hostPorts[0]);
    std::thread writer([&] {
        writeAll(client.get(), data.data(), data.size());
        ::shutdown(client.get(), SHUT_WR);
    });
    std::string back = readToEof(client.get());
    writer.join();
    server.join();
    CHECK(back.size() == data.size());
    CHECK(back == data);
}

TEST_CASE("portfwd closes the client's connection when nothing listens on the container port",
          "[engine][portfwd]") {
    uint16_t deadPort;
    {
        UniqueFd probe = backendSocket(false);
        deadPort = localPort(probe.get());
    }  // closed: nothing listens there now
    Forwarder fwd({{deadPort, false}});
    UniqueFd client = connectTo(fwd.hostPorts[0]);
    char c;
    ssize_t n = ::recv(client.get(), &c, 1, 0);
    CHECK(n <= 0);
    CHECK((n == 0 || errno == ECONNRESET));  // not EAGAIN: closed, not a timeout
}

TEST_CASE("portfwd serves more connections than its table holds, the rest from the backlog",
          "[engine][portfwd]") {
    UniqueFd backend = backendSocket(false);
    const size_t table = 16, total = table + 40;
    std::atomic<size_t> served{0};
    std::thread server([&] {  // one reply per connection: its byte back, then close
        std::vector<std::thread> handlers;
        for (size_t i = 0; i < total; ++i) {
            int c = ::accept4(backend.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) break;
            handlers.emplace_back([c, &served] {
                char b;
                if (::recv(c, &b, 1, 0) == 1 && ::send(c, &b, 1, MSG_NOSIGNAL) == 1) ++served;
                ::close(c);
            });
        }
        for (auto& h : handlers) h.join();
    });
    Forwarder fwd({{localPort(backend.get()), false}}, table);
    std::vector<UniqueFd> clients;
    for (size_t i = 0; i < total; ++i) clients.push_back(connectTo(fwd.hostPorts[0]));
    size_t ok = 0;
    for (size_t i = 0; i < total; ++i) {
        char b = static_cast<char>('a' + i % 26), r = 0;
        if (::send(clients[i].get(), &b, 1, MSG_NOSIGNAL) == 1 && ::recv(clients[i].get(), &r, 1, 0) == 1 && r == b)
            ++ok;
        clients[i].reset();  // frees its slot for one waiting in the backlog
    }
    server.join();
    CHECK(ok == total);
    CHECK(served.load() == total);
}

TEST_CASE("portfwd relays UDP datagrams and sends each reply to its own client", "[engine][portfwd]") {
    UniqueFd backend = backendSocket(true);
    std::atomic<bool> stop{false};
    std::thread echo([&] {  // prefixes each datagram with "echo:"
        char buf[2048];
        while (!stop) {
            pollfd p{backend.get(), POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            sockaddr_in from{};
            socklen_t len = sizeof from;
            ssize_t n = ::recvfrom(backend.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) continue;
            std::string reply = "echo:" + std::string(buf, static_cast<size_t>(n));
            ::sendto(backend.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
    });
    Forwarder fwd({{localPort(backend.get()), true}});
    auto ask = [&](int fd, const std::string& msg) {
        sockaddr_in to = loopback(fwd.hostPorts[0]);
        ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        char buf[2048];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("(nothing)");
    };
    UniqueFd a(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), b(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    timeval tv{5, 0};
    for (int fd : {a.get(), b.get()}) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK(ask(a.get(), "one") == "echo:one");
    CHECK(ask(b.get(), "two") == "echo:two");
    CHECK(ask(a.get(), "three") == "echo:three");
    stop = true;
    echo.join();
}

TEST_CASE("portfwd closes the least recently used UDP flow for a new client", "[engine][portfwd]") {
    UniqueFd backend = backendSocket(true);
    std::atomic<bool> stop{false};
    std::thread echo([&] {  // answers with the source port it sees (the flow's socket)
        char buf[2048];
        while (!stop) {
            pollfd p{backend.get(), POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            sockaddr_in from{};
            socklen_t len = sizeof from;
            if (::recvfrom(backend.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len) <= 0) continue;
            std::string reply = std::to_string(ntohs(from.sin_port));
            ::sendto(backend.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
    });
    Forwarder fwd({{localPort(backend.get()), true}}, 64, 2);  // two flows at most
    auto flowPort = [&](int fd) {
        sockaddr_in to = loopback(fwd.hostPorts[0]);
        ::sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        char buf[64];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("(nothing)");
    };
    std::vector<UniqueFd> c;
    timeval tv{5, 0};
    for (int i = 0; i < 3; ++i) {
        c.emplace_back(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        ::setsockopt(c.back().get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    const std::string a = flowPort(c[0].get()), b = flowPort(c[1].get());
    REQUIRE(a != "(nothing)");
    REQUIRE(b != "(nothing)");
    CHECK(flowPort(c[0].get()) == a);  // a is now the most recently used
    CHECK(flowPort(c[2].get()) != "(nothing)");  // a third client: b's flow goes
    CHECK(flowPort(c[0].get()) == a);  // a kept its flow (same source port in the container)
    CHECK(flowPort(c[1].get()) != b);  // b got a new one
    stop = true;
    echo.join();
}

TEST_CASE("bindHostPort names the port when it is taken", "[engine][portfwd]") {
    uint16_t port = 0;
    UniqueFd first = bindHostPort("127.0.0.1", 0, "tcp", &port);
    REQUIRE(port != 0);
    try {
        bindHostPort("127.0.0.1", port, "tcp");
        FAIL("a second bind of the same port succeeded");
    } catch (const InvalidArgument& e) {
        std::string msg = e.what();
        CHECK(msg.find(std::to_string(port)) != std::string::npos);
        CHECK(msg.find("in use") != std::string::npos);
    }
    CHECK_THROWS_AS(bindHostPort("not-an-address", 8080, "tcp"), InvalidArgument);
}
