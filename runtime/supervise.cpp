#include "hutch/runtime/supervise.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "hutch/common/fd.hpp"
#include "hutch/runtime/tty.hpp"

namespace hutch::runtime {

/// Signals the runtime forwards to the container init (plus SIGCHLD and SIGWINCH it handles).
sigset_t handledSignals() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGURG, SIGVTALRM, SIGPROF,
                    SIGIO, SIGPWR, SIGCHLD, SIGWINCH})
        sigaddset(&s, sig);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) sigaddset(&s, sig);
    return s;
}

int exitCodeOf(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

/// Waits for the init while forwarding signals and relaying the pty. Returns its exit code.
int superviseInit(pid_t pid, int sigFd, int master, bool terminal) {
    std::optional<RawMode> raw;
    bool stdinOpen = master >= 0;
    // A terminal of our own on the pty for as long as the init lives: without one, the master
    // reads EIO (and the relay would stop) as soon as every process of the container closed
    // it, although any of them can open /dev/console again (systemd does, for each unit).
    UniqueFd peer;
    if (master >= 0) {
        peer.reset(::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
        ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
        copyWinsize(::isatty(0) ? 0 : 1, master);
        // Our terminal passes the container's bytes as they are (the container's pty already
        // turned \n into \r\n): stdin's, or stdout's when stdin is not one (-t without -i).
        raw.emplace(::isatty(0) ? 0 : 1);
    }
    bool masterOpen = master >= 0;
    std::optional<int> status;
    while (!status || masterOpen) {
        if (status) {  // init is gone: drain what the pty still holds, then stop
            while (relayOnce(master, 1) > 0) {
            }
            break;
        }
        struct pollfd fds[3];
        int n = 0;
        fds[n++] = {sigFd, POLLIN, 0};
        int masterIdx = -1, stdinIdx = -1;
        if (masterOpen) masterIdx = n, fds[n++] = {master, POLLIN, 0};
        if (stdinOpen) stdinIdx = n, fds[n++] = {0, POLLIN, 0};
        if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (::read(sigFd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                int sig = static_cast<int>(si.ssi_signo);
                if (sig == SIGCHLD) {
                    int st = 0;
                    if (::waitpid(pid, &st, WNOHANG) == pid) status = st;
                } else if (sig == SIGWINCH && master >= 0) {
                    copyWinsize(::isatty(0) ? 0 : 1, master);
                } else if (si.ssi_code == SI_KERNEL && !terminal) {
                    // From our terminal: the init is in our process group and got it too.
                } else {
                    ::kill(pid, sig);
                }
            }
        }
        if (masterIdx >= 0 && (fds[masterIdx].revents & (POLLIN | POLLHUP | POLLERR)))
            if (relayOnce(master, 1) == 0) masterOpen = false;  // keep forwarding until SIGCHLD
        if (stdinIdx >= 0 && (fds[stdinIdx].revents & (POLLIN | POLLHUP | POLLERR)))
            if (relayOnce(0, master) == 0) stdinOpen = false;
    }
    if (!status) {
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        status = st;
    }
    return exitCodeOf(*status);
}

}  // namespace hutch::runtime
