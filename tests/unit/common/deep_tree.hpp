// Helpers for the deep-tree tests (common and storage): nested directories far deeper than
// PATH_MAX allows to name, built and checked with two fds whatever the depth, and a forked
// child with few fds and a small stack to run the code under test in.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <string>

namespace deeptree {

/// Makes `levels` nested directories named `name` below the existing directory `root`; the
/// deepest one holds a file "leaf" ("bottom"), a hardlink "leaf2" to it and a symlink "sym"
/// to `symTarget`. Returns false on any error.
inline bool make(const std::string& root, size_t levels, const std::string& name,
                 const std::string& symTarget = "/etc") {
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    for (size_t i = 0; i < levels; ++i) {
        if (::mkdirat(fd, name.c_str(), 0755) != 0) return ::close(fd), false;
        int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ::close(fd);
        if (next < 0) return false;
        fd = next;
    }
    int f = ::openat(fd, "leaf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    bool ok = f >= 0 && ::write(f, "bottom", 6) == 6;
    if (f >= 0) ::close(f);
    ok = ok && ::linkat(fd, "leaf", fd, "leaf2", 0) == 0 && ::symlinkat(symTarget.c_str(), fd, "sym") == 0;
    ::close(fd);
    return ok;
}

/// What make() left, as found below `root`.
struct Found {
    size_t levels = 0;
    std::string leaf;        ///< content of "leaf" at the bottom
    bool hardlinked = false; ///< leaf2 is the same inode as leaf
    std::string sym;         ///< target of "sym"
};

inline Found inspect(const std::string& root, const std::string& name) {
    Found r;
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return r;
    for (;;) {
        int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) break;
        ::close(fd);
        fd = next;
        ++r.levels;
    }
    int f = ::openat(fd, "leaf", O_RDONLY | O_CLOEXEC);
    if (f >= 0) {
        char buf[64];
        ssize_t n = ::read(f, buf, sizeof buf);
        if (n > 0) r.leaf.assign(buf, static_cast<size_t>(n));
        ::close(f);
    }
    struct stat a {}, b {};
    r.hardlinked = ::fstatat(fd, "leaf", &a, AT_SYMLINK_NOFOLLOW) == 0 && ::fstatat(fd, "leaf2", &b, AT_SYMLINK_NOFOLLOW) == 0 &&
                   a.st_ino == b.st_ino;
    char t[256];
    ssize_t n = ::readlinkat(fd, "sym", t, sizeof t);
    if (n > 0) r.sym.assign(t, static_cast<size_t>(n));
    ::close(fd);
    return r;
}

/// Runs `fn` in a forked child limited to `maxFds` open files (RLIMIT_NOFILE) and a 1 MiB
/// stack (RLIMIT_STACK: recursing per level would overflow it). Returns "" on success, else
/// the exception message or how the child died.
inline std::string inLimitedChild(const std::function<void()>& fn, rlim_t maxFds = 64) {
    int p[2];
    if (::pipe(p) != 0) return "pipe failed";
    pid_t pid = ::fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        ::close(p[0]);
        struct rlimit nofile {maxFds, maxFds};
        struct rlimit stack {};
        ::getrlimit(RLIMIT_STACK, &stack);
        stack.rlim_cur = 1 << 20;
        if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0 || ::setrlimit(RLIMIT_STACK, &stack) != 0) ::_exit(3);
        std::string err;
        try {
            fn();
            ::_exit(0);
        } catch (const std::exception& e) {
            err = e.what();
        } catch (...) {
            err = "unknown exception";
        }
        (void)!::write(p[1], err.data(), err.size());
        ::_exit(1);
    }
    ::close(p[1]);
    std::string msg;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (WIFSIGNALED(status)) return "child killed by signal " + std::to_string(WTERMSIG(status)) + " " + msg;
    return msg.empty() ? "child exited " + std::to_string(WEXITSTATUS(status)) : msg;
}

}  // namespace deeptree
