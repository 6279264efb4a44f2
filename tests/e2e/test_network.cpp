// e2e: rootless networking (issue 7) as the unprivileged test user: the default private
// network (slirp4netns, else pasta; both checked explicitly too) reaches a server on the host's loopback, published ports
// answer on the host, NET_ADMIN changes only the container's namespace, port errors,
// --net=none and --net=container:NAME. No outside network: everything is on 127.0.0.1.
#include "harness.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

using namespace hutch::e2e;

namespace {

/// A tiny HTTP server on 127.0.0.1 (the host side), answering every request with `body`.
class HostServer {
public:
    explicit HostServer(std::string body) : body_(std::move(body)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] {
            for (;;) {
                int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) return;  // shut down
                char buf[2048];
                (void)!::read(c, buf, sizeof buf);
                std::string resp = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body_.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body_;
                (void)!::write(c, resp.data(), resp.size());
                ::close(c);
            }
        });
    }
    ~HostServer() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    int port() const { return port_; }

private:
    std::string body_;
    int fd_ = -1, port_ = 0;
    std::thread thread_;
};

/// A host TCP port that was free a moment ago.
int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

/// GET `path` from 127.0.0.1:port on the host, retried for up to ~10 s; the body or "".
std::string httpGet(int port, const std::string& path = "/") {
    for (int i = 0; i < 100; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::string got;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
            (void)!::write(fd, req.data(), req.size());
            char buf[65536];
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
        }
        ::close(fd);
        auto body = got.find("\r\n\r\n");
        if (got.rfind("HTTP/", 0) == 0 && body != std::string::npos) return got.substr(body + 4);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
}

/// Host processes whose command line mentions `needle` (the helper names the netns file,
/// which carries the container id).
std::vector<std::string> processesMentioning(const std::string& needle) {
    std::vector<std::string> out;
    DIR* d = ::opendir("/proc");
    while (dirent* e = d ? ::readdir(d) : nullptr) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline");
        std::stringstream ss;
        ss << f.rdbuf();
        std::string cmd = ss.str();
        for (auto& c : cmd)
            if (c == '\0') c = ' ';
        if (cmd.find(needle) != std::string::npos && cmd.find("hutch") != 0 && cmd.find("/hutch ") == std::string::npos)
            out.push_back(std::string(e->d_name) + ": " + cmd);
    }
    if (d) ::closedir(d);
    return out;
}

const char* kHttpd = "mkdir -p /www && echo published-ok > /www/index.html && exec httpd -f -p 80 -h /www";

/// A test DNS resolver on the host's 127.0.0.1:53 (UDP): answers every A query with
/// `address`, other types with no records. bound() is false when the port is taken.
class HostDns {
public:
    explicit HostDns(const std::string& address) {
        ::inet_pton(AF_INET, address.c_str(), addr_);
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(53);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        if (!bound_) return;
        thread_ = std::thread([this] {
            unsigned char q[512];
            for (;;) {
                sockaddr_in from{};
                socklen_t flen = sizeof from;
                ssize_t n = ::recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &flen);
                if (n <= 0 || stop_) return;
                if (n < 17) continue;
                size_t end = 12;  // the question: labels, then type and class
                while (end < static_cast<size_t>(n) && q[end] != 0) end += q[end] + 1;
                if (end + 5 > static_cast<size_t>(n)) continue;
                bool typeA = q[end + 1] == 0 && q[end + 2] == 1;
                queries_++;
                std::string r(reinterpret_cast<char*>(q), end + 5);
                r[2] = static_cast<char>(0x81);  // response, recursion desired
                r[3] = static_cast<char>(0x80);  // recursion available, NOERROR
                r[4] = 0, r[5] = 1, r[6] = 0, r[7] = typeA ? 1 : 0, r[8] = r[9] = r[10] = r[11] = 0;
                if (typeA) {
                    const unsigned char ans[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
                    r.append(reinterpret_cast<const char*>(ans), sizeof ans);
                    r.append(reinterpret_cast<const char*>(addr_), 4);
                }
                ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
            }
        });
    }
    ~HostDns() {
        stop_ = true;
        if (bound_) {  // wake the thread with one datagram
            int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(53);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
            ::close(s);
            thread_.join();
        }
        ::close(fd_);
    }
    bool bound() const { return bound_; }
    int queries() const { return queries_; }

private:
    unsigned char addr_[4] = {};
    int fd_ = -1;
    bool bound_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<int> queries_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("e2e: the default network reaches a server on the host's loopback", "[e2e][network]") {
    Sandbox sb;
    HostServer srv("hello-from-host");
    std::string url = "http://host.containers.internal:" + std::to_string(srv.port()) + "/";
    Result r = sb.hutch({"run", "--rm", "-h", "web.example.com", "busybox", "sh", "-c",
                         "wget -q -O- " + url + "; echo; ip -o link | grep -v ' lo:' | wc -l; "
                         "hostname -f; hostname -s; cat /etc/resolv.conf"});
    REQUIRE_RC(r, 0);
    auto l = lines(r.out);
    REQUIRE(l.size() >= 5);
    CHECK_R(r, l[0] == "hello-from-host");
    CHECK_R(r, l[1] != "0");  // an interface besides lo
    CHECK_R(r, l[2] == "web.example.com");
    CHECK_R(r, l[3] == "web");
    CHECK_R(r, r.out.find("nameserver ") != std::string::npos);
    CHECK_R(r, r.out.find("nameserver 127.") == std::string::npos);
}

TEST_CASE("e2e: the network is configured before the container's first instruction", "[e2e][network]") {
    // pasta starts in parallel with the runtime; the start gate must hold the process until
    // the namespace has its address and default route, in the foreground and detached. The
    // default network (slirp4netns, ready before the runtime starts) must pass the same.
    for (std::string net : {"private", "pasta"}) {
        if (net == "pasta" && ::access("/usr/bin/pasta", X_OK) != 0) {
            WARN("pasta not installed");
            continue;
        }
        INFO("--network " << net);
        Sandbox sb;
        const std::string probe = "ip -4 route show default; ip -4 -o addr show scope global | wc -l";
        for (int i = 0; i < 5; ++i) {
            Result r = sb.hutch({"run", "--rm", "--network", net, "busybox", "sh", "-c", probe});
            REQUIRE_RC(r, 0);
            auto l = lines(r.out);
            REQUIRE(l.size() == 2);
            CHECK_R(r, l[0].rfind("default via ", 0) == 0);
            CHECK_R(r, l[1] != "0");
        }
        std::string id =
            runDetached(sb, {"--name", "early", "--network", net, "busybox", "sh", "-c", probe + "; sleep 30"});
        Result logs;
        for (int i = 0; i < 50; ++i) {
            logs = sb.hutch({"logs", "early"});
            if (lines(logs.out).size() >= 2) break;
            ::usleep(100 * 1000);
        }
        auto l = lines(logs.out);
        REQUIRE(l.size() >= 2);
        CHECK_R(logs, l[0].rfind("default via ", 0) == 0);
        CHECK_R(logs, l[1] != "0");
        Result rm = sb.hutch({"rm", "-f", "-t", "0", "early"});
        CHECK_R(rm, rm.rc == 0);
    }
}

TEST_CASE("e2e: --dns names a resolver the container reaches through the user-mode stack", "[e2e][network]") {
    // A resolver the test runs on the host's loopback, reached at the container's gateway
    // address (the user-mode stack maps it to the host's loopback), given with --dns.
    HostDns dns("10.9.8.7");
    if (!dns.bound()) {
        WARN("127.0.0.1:53 is taken on this host; the DNS case cannot run");
        return;
    }
    Sandbox sb;
    Result route = sb.hutch({"run", "--rm", "busybox", "ip", "-4", "route", "show", "default"});
    REQUIRE_RC(route, 0);
    std::istringstream fields(route.out);  // default via GATEWAY dev IFACE
    std::string dflt, via, gw;
    fields >> dflt >> via >> gw;
    REQUIRE(via == "via");
    Result r = sb.hutch({"run", "--rm", "--dns", gw, "--dns-search", "example.test", "busybox", "sh", "-c",
                         "cat /etc/resolv.conf; nslookup probe.example.test"});
    CHECK_R(r, r.out.find("nameserver " + gw) != std::string::npos);
    CHECK_R(r, r.out.find("search example.test") != std::string::npos);
    CHECK_R(r, r.out.find("10.9.8.7") != std::string::npos);
    CHECK(dns.queries() > 0);
}

TEST_CASE("e2e: a published port answers on the host, port lists it, the helper goes with rm -f", "[e2e][network]") {
    Sandbox sb;
    int hostPort = freePort();
    std::string spec = std::to_string(hostPort) + ":80";
    std::string id = runDetached(sb, {"--name", "web", "-p", spec, "busybox", "sh", "-c", kHttpd});
    CHECK(httpGet(hostPort) == "published-ok\n");

    Result port = sb.hutch({"port", "web"});
    REQUIRE_RC(port, 0);
    CHECK_R(port, port.out == "80/tcp -> 0.0.0.0:" + std::to_string(hostPort) + "\n");
    Result ps = sb.hutch({"ps", "--format", "{{.Names}} {{.Ports}}"});
    CHECK_R(ps, contains(ps.out, "web 0.0.0.0:" + std::to_string(hostPort) + "->80/tcp\n"));

    // The same host port twice in one command: named as such, nothing started.
    int other = freePort();
    Result twice = sb.hutch({"run", "--rm", "-p", std::to_string(other) + ":80", "-p", std::to_string(other) + ":81",
                             "busybox", "true"});
    CHECK_R(twice, twice.rc == 125);
    CHECK_R(twice, contains(twice.err, "host port " + std::to_string(other) + "/tcp is published twice"));

    // The same host port for a second container: an error naming the port, nothing started.
    Result dup = sb.hutch({"run", "--rm", "-p", spec, "busybox", "true"});
    CHECK_R(dup, dup.rc == 125);
    CHECK_R(dup, dup.err.find(std::to_string(hostPort)) != std::string::npos);
    CHECK_R(dup, dup.err.find("in use") != std::string::npos);

    CHECK_FALSE(processesMentioning(id).empty());  // the helper names the namespace file
    REQUIRE_RC(sb.hutch({"rm", "-f", "web"}), 0);
    std::vector<std::string> left;
    for (int i = 0; i < 50; ++i) {
        left = processesMentioning(id);
        if (left.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(Catch::Detail::stringify(left));
    CHECK(left.empty());
    CHECK_FALSE(fs::exists(sb.runRoot() / "netns" / id));
}

TEST_CASE("e2e: a foreground run with a published port leaves no helper behind", "[e2e][network]") {
    Sandbox sb;
    int hostPort = freePort();
    Result r = sb.hutch({"run", "--rm", "--name", "fg", "-p", std::to_string(hostPort) + ":80", "busybox", "true"});
    REQUIRE_RC(r, 0);
    fs::path netns = sb.runRoot() / "netns";
    CHECK((!fs::exists(netns) || fs::is_empty(netns)));  // the keeper is waited for
    // The helper is stopped, not waited for (slirp4netns takes 10-30 ms to close its tap).
    std::vector<std::string> left;
    for (int i = 0; i < 50; ++i) {
        left = processesMentioning(sb.runRoot().string() + "/netns");
        if (left.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(Catch::Detail::stringify(left));
    CHECK(left.empty());
}

TEST_CASE("e2e: NET_ADMIN changes only the container's network namespace", "[e2e][network]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "--cap-add=NET_ADMIN", "busybox", "sh", "-c",
                         "ip link add hutche2e0 type bridge && ip link show hutche2e0"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out.find("hutche2e0") != std::string::npos);
    CHECK_FALSE(fs::exists("/sys/class/net/hutche2e0"));
    // without the capability: refused
    Result no = sb.hutch({"run", "--rm", "busybox", "ip", "link", "add", "hutche2e1", "type", "bridge"});
    CHECK_R(no, no.rc != 0);
}

TEST_CASE("e2e: a host port below ip_unprivileged_port_start is a clear error", "[e2e][network]") {
    std::ifstream f("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    int start = 1024;
    f >> start;
    if (start <= 80) {
        WARN("net.ipv4.ip_unprivileged_port_start is " << start << ": port 80 is not privileged here");
        return;
    }
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "-p", "80:80", "busybox", "true"});
    CHECK_R(r, r.rc == 125);
    CHECK_R(r, r.err.find("net.ipv4.ip_unprivileged_port_start") != std::string::npos);
    CHECK_R(r, r.err.find("80") != std::string::npos);
}

TEST_CASE("e2e: --net=none has lo up and nothing else", "[e2e][network]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "--net=none", "busybox", "sh", "-c",
                         "ip -o link | wc -l; ip link show lo; ping -c1 -W2 127.0.0.1 >/dev/null 2>&1; "
                         "wget -q -O- -T 2 http://127.0.0.1:9/ 2>&1 | head -1; cat /etc/resolv.conf"});
    REQUIRE_RC(r, 0);
    auto l = lines(r.out);
    REQUIRE(!l.empty());
    CHECK_R(r, l[0] == "1");
    CHECK_R(r, r.out.find(",UP") != std::string::npos);
    CHECK_R(r, r.out.find("nameserver") == std::string::npos);
}

TEST_CASE("e2e: --net=container:NAME shares that container's network", "[e2e][network]") {
    Sandbox sb;
    runDetached(sb, {"--name", "srv", "busybox", "sh", "-c", kHttpd});
    Result r;
    for (int i = 0; i < 50; ++i) {
        r = sb.hutch({"run", "--rm", "--net=container:srv", "busybox", "wget", "-q", "-O-", "http://127.0.0.1:80/"});
        if (r.rc == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "published-ok\n");
    Result missing = sb.hutch({"run", "--rm", "--net=container:nosuch", "busybox", "true"});
    CHECK_R(missing, missing.rc == 125);
    REQUIRE_RC(sb.hutch({"rm", "-f", "srv"}), 0);
}

TEST_CASE("e2e: --network slirp4netns and --network pasta each reach the host and publish ports",
          "[e2e][network]") {
    for (std::string helper : {"slirp4netns", "pasta"}) {
        if (::access(("/usr/bin/" + helper).c_str(), X_OK) != 0) {
            WARN(helper << " not installed");
            continue;
        }
        INFO(helper);
        Sandbox sb;
        HostServer srv("hello-via-" + helper);
        int hostPort = freePort();
        runDetached(sb, {"--name", "s", "--net=" + helper, "-p", std::to_string(hostPort) + ":80", "busybox", "sh",
                         "-c", kHttpd});
        CHECK(httpGet(hostPort) == "published-ok\n");
        Result r = sb.hutch({"run", "--rm", "--net=" + helper, "busybox", "sh", "-c",
                             "wget -q -O- http://host.containers.internal:" + std::to_string(srv.port()) +
                                 "/; echo; ip -4 route show default"});
        REQUIRE_RC(r, 0);
        auto l = lines(r.out);
        REQUIRE(l.size() >= 2);
        CHECK_R(r, l[0] == "hello-via-" + helper);
        CHECK_R(r, l[1].rfind("default via ", 0) == 0);
        REQUIRE_RC(sb.hutch({"rm", "-f", "s"}), 0);
    }
}

TEST_CASE("e2e: a published port carries a large body intact, and many connections in turn", "[e2e][network]") {
    Sandbox sb;
    int hostPort = freePort();
    // 24 MiB of a repeating pattern, so a lost or reordered block shows.
    runDetached(sb, {"--name", "big", "-p", "127.0.0.1:" + std::to_string(hostPort) + ":8080", "busybox", "sh",
                     "-c",
                     "mkdir -p /srv && i=0; while [ $i -lt 4096 ]; do printf '%08d' $i; i=$((i+1)); done >/srv/b && "
                     "for j in $(seq 768); do cat /srv/b; done >/srv/f && echo ok >/srv/ok && "
                     "exec httpd -f -p 8080 -h /srv"});
    REQUIRE(httpGet(hostPort, "/ok") == "ok\n");  // httpd starts once the files are there
    std::string body = httpGet(hostPort, "/f");
    std::string block;
    for (int i = 0; i < 4096; ++i) {
        char b[16];
        std::snprintf(b, sizeof b, "%08d", i);
        block += b;
    }
    REQUIRE(body.size() == block.size() * 768);
    bool same = true;
    for (size_t off = 0; off < body.size() && same; off += block.size()) same = body.compare(off, block.size(), block) == 0;
    CHECK(same);
    int answered = 0;
    for (int i = 0; i < 50; ++i) answered += httpGet(hostPort, "/ok") == "ok\n";
    CHECK(answered == 50);
    REQUIRE_RC(sb.hutch({"rm", "-f", "big"}), 0);
}

TEST_CASE("e2e: info names the network helper", "[e2e][network]") {
    Sandbox sb;
    Result r = sb.hutch({"info", "--format", "{{.host.network.helper}}"});
    if (r.rc != 0) r = sb.hutch({"info", "--format", "json"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, (r.out.find("pasta") != std::string::npos || r.out.find("slirp4netns") != std::string::npos));
}

TEST_CASE("e2e: a slirp4netns that fails: private falls back to pasta, --network slirp4netns is an error",
          "[e2e][network]") {
    REQUIRE(::access("/usr/bin/pasta", X_OK) == 0);  // the CI installs passt
    Sandbox sb;
    // A slirp4netns first on PATH that fails as one without /dev/net/tun does. hutch starts
    // the helper without waiting for it; its failure must still be seen before the
    // container's first instruction.
    sb.writeFile(sb.dir() / "bin" / "slirp4netns", "#!/bin/sh\necho 'boom: cannot open /dev/net/tun' >&2\nexit 1\n");
    REQUIRE(::chmod((sb.dir() / "bin" / "slirp4netns").c_str(), 0755) == 0);
    RunOptions opt;
    opt.extraEnv = {"PATH=" + (sb.dir() / "bin").string() + ":/usr/sbin:/usr/bin:/sbin:/bin"};
    Result r = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "ip -4 route show default | wc -l"}, opt);
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "1\n");
    CHECK_R(r, r.err.find("falling back to pasta") != std::string::npos);
    CHECK_R(r, r.err.find("boom: cannot open /dev/net/tun") != std::string::npos);
    // /etc/hosts and /etc/resolv.conf name pasta's addresses, not slirp4netns's (written
    // before the fallback), with the container's own user namespace too.
    for (const char* userns : {"--userns=host", "--userns=auto"}) {
        Result files = sb.hutch({"run", "--rm", userns, "busybox", "sh", "-c", "cat /etc/hosts /etc/resolv.conf"}, opt);
        REQUIRE_RC(files, 0);
        CHECK_R(files, files.out.find("10.0.2.") == std::string::npos);
        CHECK_R(files, files.out.find("nameserver 169.254.1.1") != std::string::npos);
    }

    Result e = sb.hutch({"run", "--rm", "--network", "slirp4netns", "busybox", "echo", "ran"}, opt);
    CHECK_R(e, e.rc == 125);
    CHECK_R(e, e.out.find("ran") == std::string::npos);
    CHECK_R(e, e.err.find("slirp4netns failed: boom") != std::string::npos);
    Result ps = sb.hutch({"ps", "-aq"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, ps.out.empty());
    // No namespace file is left in the run root.
    std::error_code ec;
    auto it = fs::directory_iterator(sb.runRoot() / "netns", ec);
    CHECK((ec || it == fs::directory_iterator()));
}
