// The monitor's side of attach (see attach.hpp for the protocol).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/attach.hpp"

namespace hutch::engine {

std::string attachSocketPath(const std::string& containerRunDir) { return fsutil::join(containerRunDir, "attach"); }

namespace {

/// sockaddr_un for `path`, reached through /proc/self/fd/N of its directory when the path is
/// longer than sun_path (run roots under /run/user/UID/... with a 64-hex id often are).
struct UnixAddr {
    sockaddr_un addr{};
    UniqueFd dir;  ///< keeps the directory fd open while the address is used
};

UnixAddr unixAddr(const std::string& path) {
    UnixAddr a;
    a.addr.sun_family = AF_UNIX;
    std::string p = path;
    if (p.size() >= sizeof a.addr.sun_path) {
        auto slash = path.rfind('/');
        std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
        a.dir.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!a.dir) throw SysError(errno, "open " + dir);
        p = "/proc/self/fd/" + std::to_string(a.dir.get()) + "/" + path.substr(slash + 1);
        if (p.size() >= sizeof a.addr.sun_path) throw InvalidArgument("socket name too long: " + path);
    }
    std::memcpy(a.addr.sun_path, p.c_str(), p.size() + 1);
    return a;
}

}  // namespace

AttachServer::AttachServer(const std::string& runDir) : path_(attachSocketPath(runDir)) {
    ::unlink(path_.c_str());
    listen_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listen_) throw SysError(errno, "attach socket");
    UnixAddr a = unixAddr(path_);
    checkSys(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr), "bind " + path_);
    ::chmod(path_.c_str(), 0600);
    checkSys(::listen(listen_.get(), 8), "listen " + path_);
}

AttachServer::~AttachServer() {
    clients_.clear();
    listen_.reset();
    ::unlink(path_.c_str());
}

void AttachServer::accept() {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR) log::debug("attach: accept: {}", std::strerror(errno));
        return;
    }
    clients_.emplace_back(fd);
    log::debug("attach: client connected ({} now)", clients_.size());
}

std::vector<int> AttachServer::clientFds() const {
    std::vector<int> fds;
    for (const auto& c : clients_) fds.push_back(c.get());
    return fds;
}

void AttachServer::drop(int fd) {
    clients_.erase(std::remove_if(clients_.begin(), clients_.end(), [fd](const UniqueFd& c) { return c.get() == fd; }),
                   clients_.end());
}

void AttachServer::onClientReadable(int fd, int stdinFd) {
    char buf[8192];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        drop(fd);
        return;
    }
    if (stdinFd < 0) return;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(stdinFd, buf + off, static_cast<size_t>(n - off));
        if (w < 0) {
            if (errno == EINTR) continue;
            log::debug("attach: writing the container's stdin: {}", std::strerror(errno));
            return;
        }
        off += w;
    }
}

void AttachServer::broadcast(AttachKind kind, std::string_view data) {
    if (clients_.empty()) return;
    // SEQPACKET keeps message boundaries; large output goes out in pieces.
    constexpr size_t kChunk = 32 * 1024;
    size_t off = 0;
    do {
        size_t len = std::min(kChunk, data.size() - off);
        std::string msg(1, static_cast<char>(kind));
        msg.append(data.substr(off, len));
        std::vector<int> gone;
        for (const auto& c : clients_)
            if (::send(c.get(), msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size()))
                gone.push_back(c.get());
        for (int fd : gone) drop(fd);
        off += len;
    } while (off < data.size());
}

/// Connects to a container's attach socket. Throws SysError naming the path.
UniqueFd connectAttach(const std::string& runDir) {
    std::string path = attachSocketPath(runDir);
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) throw SysError(errno, "attach socket");
    UnixAddr a = unixAddr(path);
    checkSys(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr), "connect " + path);
    return fd;
}

}  // namespace hutch::engine
