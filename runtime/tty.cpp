#include "hutch/runtime/tty.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/runtime/sync.hpp"

namespace hutch::runtime {

void childSetupTerminal(int syncFd, bool console) {
    UniqueFd master(::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw SysError(errno, "open /dev/pts/ptmx (container devpts)");
    int unlock = 0;
    checkSys(::ioctl(master.get(), TIOCSPTLCK, &unlock), "unlock pty");
    int n = -1;
    checkSys(::ioctl(master.get(), TIOCGPTN, &n), "get pty number");
    std::string slavePath = "/dev/pts/" + std::to_string(n);
    UniqueFd slave(::open(slavePath.c_str(), O_RDWR | O_CLOEXEC));
    if (!slave) throw SysError(errno, "open " + slavePath);
    // runtime-spec "Console": the terminal is also the container's /dev/console (systemd and
    // init scripts write there).
    if (console) {
        UniqueFd target(::open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!target && errno != EEXIST) throw SysError(errno, "create /dev/console");
        checkSys(::mount(slavePath.c_str(), "/dev/console", nullptr, MS_BIND, nullptr),
                 "bind " + slavePath + " on /dev/console");
    }
    // Size the new terminal like ours before anything runs on it: the parent also copies it
    // once it has the master, but the container's command may ask first.
    copyWinsize(::isatty(0) ? 0 : 1, slave.get());
    checkSys(::setsid(), "setsid");
    checkSys(::ioctl(slave.get(), TIOCSCTTY, 0), "make " + slavePath + " the controlling terminal");
    for (int fd = 0; fd < 3; ++fd) checkSys(::dup2(slave.get(), fd), "dup2 pty slave");
    int err = sendMsg(syncFd, SyncMsg{MsgType::TtyMaster}, master.get());
    if (err) throw SysError(err, "send pty master to the runtime parent");
}

RawMode::RawMode(int fd) : fd_(fd) {
    struct termios t;
    if (!::isatty(fd) || ::tcgetattr(fd, &t) != 0) return;
    saved_ = t;
    ::cfmakeraw(&t);
    ::tcsetattr(fd, TCSADRAIN, &t);
}

RawMode::~RawMode() {
    if (saved_) ::tcsetattr(fd_, TCSADRAIN, &*saved_);
}

void copyWinsize(int from, int to) {
    struct winsize ws;
    if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

long relayOnce(int from, int to) {
    char buf[16384];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return -1;
        return 0;  // EIO: slave closed
    }
    if (n == 0) return 0;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                usleep(1000);
                continue;
            }
            return 0;
        }
        off += w;
    }
    return n;
}

}  // namespace hutch::runtime
