// The client side of attach, and the detach keys (see attach.hpp).
#include "hutch/engine/container/attach.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

std::string parseDetachKeys(const std::string& spec) {
    std::string out;
    if (spec.empty()) return out;
    for (const auto& key : str::split(spec, ',')) {
        if (key.size() == 1) {
            out.push_back(key[0]);
        } else if (key.size() == 6 && key.rfind("ctrl-", 0) == 0) {
            char c = key[5];
            if (std::isalpha(static_cast<unsigned char>(c)))
                out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 1));
            else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_')
                out.push_back(static_cast<char>(c & 0x1f));
            else
                throw InvalidArgument("--detach-keys: invalid key \"" + key + "\" in \"" + spec + "\"");
        } else {
            throw InvalidArgument("--detach-keys: invalid key \"" + key + "\" in \"" + spec + "\"");
        }
    }
    return out;
}

std::string DetachMatcher::feed(std::string_view in) {
    std::string out;
    for (char c : in) {
        if (detached_) break;
        if (keys_.empty()) {
            out.push_back(c);
            continue;
        }
        if (c == keys_[matched_]) {
            if (++matched_ == keys_.size()) detached_ = true;
            continue;
        }
        // The held-back prefix was not the sequence: pass it on, then look at c afresh.
        out.append(keys_, 0, matched_);
        matched_ = 0;
        if (c == keys_[0]) {
            if (++matched_ == keys_.size()) detached_ = true;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

namespace {

/// Raw mode on a terminal for the lifetime of the object (restored on every exit path).
class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (::tcgetattr(fd, &saved_) != 0) return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
    }

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

void writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;  // our stdout went away: keep relaying the rest of the session
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

}  // namespace

int attachContainer(Context& ctx, const std::string& nameOrId, const AttachOptions& opts) {
    std::string keys = parseDetachKeys(opts.detachKeys);
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (effectiveStatus(rec) != ContainerStatus::Running)
        throw Error("you can only attach to running containers");
    if (!rec.detached)
        throw Error("container " + rec.id + " was not started detached (-d): no monitor holds its output to attach to");
    UniqueFd sock;
    try {
        sock = connectAttach(ctx.store().containerRunDir(rec.id));
    } catch (const SysError& e) {
        throw Error("attaching to container " + rec.id + ": its monitor does not answer (" + e.what() + ")");
    }
    const bool sendStdin = rec.config.interactive && !opts.noStdin;
    std::unique_ptr<RawTerminal> raw;
    if (sendStdin && rec.config.tty && ::isatty(0) && ::isatty(1)) raw = std::make_unique<RawTerminal>(0);
    DetachMatcher matcher(keys);
    bool stdinOpen = sendStdin;
    std::string buf(64 * 1024 + 1, '\0');
    for (;;) {
        pollfd fds[2] = {{sock.get(), POLLIN, 0}, {stdinOpen ? 0 : -1, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw SysError(errno, "poll");
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(0, buf.data(), buf.size());
            if (n > 0) {
                std::string pass = matcher.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
                if (!pass.empty() && ::send(sock.get(), pass.data(), pass.size(), MSG_NOSIGNAL) < 0)
                    log::debug("attach: sending stdin: {}", std::strerror(errno));
                if (matcher.detached()) {
                    log::debug("attach: detached from {}", rec.id);
                    return 0;
                }
            } else if (n == 0 || errno != EINTR) {
                stdinOpen = false;  // our input ended; the container's stdin stays open
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // the monitor closed without an exit message
            auto kind = static_cast<AttachKind>(buf[0]);
            const char* data = buf.data() + 1;
            size_t len = static_cast<size_t>(n) - 1;
            if (kind == AttachKind::Stdout) writeAll(1, data, len);
            else if (kind == AttachKind::Stderr) writeAll(2, data, len);
            else if (kind == AttachKind::Exit) return std::atoi(std::string(data, len).c_str());
        }
    }
    try {
        return loadContainer(ctx, rec.id).exitCode;
    } catch (const NotFound&) {
        return 0;
    }
}

}  // namespace hutch::engine
