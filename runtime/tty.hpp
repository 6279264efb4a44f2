// process.terminal (config.md "Process", runtime-spec "Console"): the child allocates a pty
// from the container's devpts, makes the slave its controlling terminal and stdio, and sends
// the master to the parent, which relays it to its own stdio.
#pragma once

#include <termios.h>

#include <optional>

namespace hutch::runtime {

/// Child side, after devpts is mounted and pivot_root is done: opens /dev/pts/ptmx,
/// starts a new session with the slave as controlling tty on fds 0-2, and sends the master
/// over `syncFd` (MsgType::TtyMaster). With `console` (the container's init, not exec) the
/// slave is also bind-mounted on /dev/console. Throws SysError.
void childSetupTerminal(int syncFd, bool console);

/// Puts `fd` (a tty) into raw mode for its lifetime and restores it after. No-op if `fd`
/// is not a tty.
class RawMode {
public:
    explicit RawMode(int fd);
    ~RawMode();
    RawMode(const RawMode&) = delete;
    RawMode& operator=(const RawMode&) = delete;

private:
    int fd_;
    std::optional<struct termios> saved_;
};

/// Copies the window size of tty `from` to `to` (TIOCGWINSZ/TIOCSWINSZ); ignores errors.
void copyWinsize(int from, int to);

/// Copies what is readable on `from` to `to` (blocking writes). Returns bytes moved, 0 on
/// EOF/EIO (the pty slave side is gone), -1 if nothing was readable (EAGAIN).
long relayOnce(int from, int to);

}  // namespace hutch::runtime
