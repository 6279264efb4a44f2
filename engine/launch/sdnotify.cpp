#include "hutch/engine/launch/sdnotify.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::engine {

namespace {

bool fillAddress(const std::string& path, sockaddr_un& sa, socklen_t& len) {
    std::memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof sa.sun_path) return false;
    std::memcpy(sa.sun_path, path.data(), path.size());
    if (path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
    return true;
}

}  // namespace

NotifySocket::NotifySocket(const std::string& dir, std::optional<std::pair<uid_t, gid_t>> owner) : dir_(dir) {
    fsutil::mkdirAll(dir, 0700);
    UniqueFd dfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) throw SysError(errno, "open " + dir);
    if (::unlinkat(dfd.get(), "notify.sock", 0) != 0 && errno != ENOENT)
        throw SysError(errno, "remove stale " + dir + "/notify.sock");
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd_) throw SysError(errno, "notify socket");
    sockaddr_un sa;
    socklen_t len = 0;
    // The run dir can be longer than sun_path's 108 bytes; its fd's /proc entry never is.
    std::string viaProc = "/proc/self/fd/" + std::to_string(dfd.get()) + "/notify.sock";
    fillAddress(viaProc, sa, len);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0)
        throw SysError(errno, "bind notify socket " + dir + "/notify.sock");
    if (owner) {
        checkSys(::fchownat(dfd.get(), "", owner->first, owner->second, AT_EMPTY_PATH), "chown " + dir);
        checkSys(::fchownat(dfd.get(), "notify.sock", owner->first, owner->second, AT_SYMLINK_NOFOLLOW),
                 "chown " + dir + "/notify.sock");
    }
}

bool NotifySocket::drainReady() {
    bool ready = false;
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;  // EAGAIN: nothing more
        }
        std::string_view msg(buf, static_cast<size_t>(n));
        log::debug("sd_notify from the container: {}", msg);
        size_t start = 0;
        while (start <= msg.size()) {
            size_t nl = msg.find('\n', start);
            std::string_view line = msg.substr(start, nl == std::string_view::npos ? msg.npos : nl - start);
            if (line == "READY=1") ready = true;
            if (nl == std::string_view::npos) break;
            start = nl + 1;
        }
    }
    return ready;
}

bool notifyCaller(const std::string& state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path) return false;
    sockaddr_un sa;
    socklen_t len = 0;
    if (!fillAddress(path, sa, len)) {
        log::debug("NOTIFY_SOCKET {}: not a usable socket address", path);
        return false;
    }
    UniqueFd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s || ::sendto(s.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), len) < 0) {
        log::debug("NOTIFY_SOCKET {}: {}", path, std::strerror(errno));
        return false;
    }
    return true;
}

std::chrono::milliseconds sdNotifyTimeout() {
    if (const char* v = std::getenv("HUTCH_SDNOTIFY_TIMEOUT"); v && *v) {
        char* end = nullptr;
        double s = std::strtod(v, &end);
        if (end && *end == '\0' && s >= 0 && s < 1e7) return std::chrono::milliseconds(static_cast<long>(s * 1000));
        log::warn("HUTCH_SDNOTIFY_TIMEOUT={}: not a number of seconds; using 90", v);
    }
    return std::chrono::seconds(90);
}

}  // namespace hutch::engine
