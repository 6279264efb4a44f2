#include "hutch/runtime/session.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <fstream>
#include <sstream>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/common/proc.hpp"
#include "hutch/runtime/ns.hpp"

namespace hutch::runtime {

namespace {

/// The session's directory (pause.pid), set once a command joined the session.
constexpr const char* kSessionDirEnv = "_HUTCH_SESSION_DIR";

std::vector<IdMapping> readMap(const char* path) {
    std::ifstream f(path);
    if (!f) throw SysError(errno, std::string("open ") + path);
    std::stringstream ss;
    ss << f.rdbuf();
    return parseIdMap(ss.str());
}

bool isIdentityMap(const std::vector<IdMapping>& m) {
    return m.size() == 1 && m[0].containerId == 0 && m[0].hostId == 0 && m[0].size == 4294967295u;
}

void writeAll(int fd, const void* p, size_t n) {
    while (::write(fd, p, n) < 0 && errno == EINTR) {
    }
}

bool readAll(int fd, void* p, size_t n) {
    ssize_t r;
    do r = ::read(fd, p, n);
    while (r < 0 && errno == EINTR);
    return r == static_cast<ssize_t>(n);
}

}  // namespace

std::vector<IdMapping> sessionMappingFor(const std::string& subFile, const std::string& user, uid_t id, uid_t uid) {
    auto ranges = readSubIds(subFile, user, uid);
    if (ranges.empty()) {
        // A range nobody has yet: in this file, and in its sibling (subuid <-> subgid).
        std::string sibling = subFile;
        if (auto p = sibling.rfind("subuid"); p != std::string::npos) sibling.replace(p, 6, "subgid");
        else if (auto q = sibling.rfind("subgid"); q != std::string::npos) sibling.replace(q, 6, "subuid");
        uint64_t start = std::max(freeSubIdStart(subFile), freeSubIdStart(sibling));
        std::string first = std::to_string(start), last = std::to_string(start + 65535);
        throw Error("rootless hutch needs subordinate ids: no range for user \"" + user + "\" in " + subFile +
                    "; add the line \"" + user + ":" + first + ":65536\" to /etc/subuid and /etc/subgid (as root: "
                    "usermod --add-subuids " + first + "-" + last + " --add-subgids " + first + "-" + last + " " + user +
                    "), then run `hutch system migrate`");
    }
    return rootlessMapping(id, ranges);
}

namespace {

/// Where the pause process of this user is recorded: $XDG_RUNTIME_DIR/hutch, else
/// /tmp/hutch-run-UID/hutch (independent of --runroot: one session per user, as podman's).
std::string sessionDir(uid_t uid) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    struct stat st {};
    // An XDG_RUNTIME_DIR that is not ours (inherited through su/sudo) is not used, as the
    // containers' tools do.
    if (xdg && *xdg && ::stat(xdg, &st) == 0 && st.st_uid == uid) return std::string(xdg) + "/hutch";
    return "/tmp/hutch-run-" + std::to_string(uid) + "/hutch";
}

/// The pause process recorded in dir/pause.pid ("PID STARTTIME"), if it still lives (not
/// dead, pid not reused): its pid and start time.
std::optional<std::pair<pid_t, uint64_t>> livePauseProcess(const std::string& dir) {
    std::string rec;
    try {
        rec = fsutil::readFile(dir + "/pause.pid");
    } catch (const Error&) {
        return std::nullopt;
    }
    std::istringstream in(rec);
    long pid = 0;
    uint64_t start = 0;
    if (!(in >> pid >> start) || pid <= 0 || proc::startTime(static_cast<pid_t>(pid)) != start) return std::nullopt;
    return std::make_pair(static_cast<pid_t>(pid), start);
}

/// Joins the user and mount namespaces of the recorded pause process. False when there is
/// no live pause process (none recorded, dead, or its pid reused).
bool joinPauseProcess(const std::string& dir) {
    auto pause = livePauseProcess(dir);
    if (!pause) return false;
    auto [pid, start] = *pause;
    std::string ns = "/proc/" + std::to_string(pid) + "/ns/";
    UniqueFd user(::open((ns + "user").c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd mnt(::open((ns + "mnt").c_str(), O_RDONLY | O_CLOEXEC));
    if (!user || !mnt) return false;
    if (proc::startTime(static_cast<pid_t>(pid)) != start) return false;  // raced with its exit
    // setns(CLONE_NEWNS) moves us to the namespace's root directory: come back to the
    // working directory by its path (the session sees the host's mounts), so relative paths
    // on the command line (-v ./dir, build contexts, -o files) keep their meaning.
    std::unique_ptr<char, decltype(&std::free)> cwd(::getcwd(nullptr, 0), &std::free);
    checkSys(::setns(user.get(), CLONE_NEWUSER), "join the rootless session user namespace (setns)");
    checkSys(::setns(mnt.get(), CLONE_NEWNS), "join the rootless session mount namespace (setns)");
    checkSys(::setresgid(0, 0, 0), "setresgid 0 in the rootless session");
    checkSys(::setresuid(0, 0, 0), "setresuid 0 in the rootless session");
    if (cwd && ::chdir(cwd.get()) != 0) log::debug("session: cannot return to {}: {}", cwd.get(), std::strerror(errno));
    ::setenv(kSessionEnv, "1", 1);
    ::setenv(kSessionDirEnv, dir.c_str(), 1);  // our uid is 0 from here on: stopRootlessSession needs it
    return true;
}

/// Starts the pause process: a daemon (own session, parent init) that unshares a user and a
/// mount namespace, gets the maps from us via newuidmap/newgidmap, and then only waits, so
/// the namespaces outlive every hutch command and every container started in them. Records
/// "PID STARTTIME" in dir/pause.pid.
void startPauseProcess(const std::string& dir, const std::vector<IdMapping>& uidMap,
                       const std::vector<IdMapping>& gidMap) {
    int up[2], down[2];  // up: pause -> us (its pid, then unshare errno), down: us -> pause (go)
    checkSys(::pipe2(up, O_CLOEXEC), "pipe");
    if (::pipe2(down, O_CLOEXEC) != 0) {
        int err = errno;
        ::close(up[0]), ::close(up[1]);
        throw SysError(err, "pipe");
    }
    std::fflush(nullptr);
    pid_t first = ::fork();
    if (first < 0) {
        int err = errno;
        ::close(up[0]), ::close(up[1]), ::close(down[0]), ::close(down[1]);
        throw SysError(err, "fork for the rootless session");
    }
    if (first == 0) {
        ::close(up[0]);
        ::close(down[1]);
        ::setsid();
        pid_t pause = ::fork();
        if (pause != 0) ::_exit(pause < 0 ? 125 : 0);  // the pause process is re-parented to init
        pid_t self = ::getpid();
        writeAll(up[1], &self, sizeof self);
        int err = ::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : errno;
        writeAll(up[1], &err, sizeof err);
        char go = 0;
        if (err || !readAll(down[0], &go, 1) || go != 1) ::_exit(125);
        if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) ::_exit(125);
        // Mounts made in the session (overlay, by later hutch commands) stay out of the host;
        // host mounts still propagate in.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) ::_exit(125);
        // Later commands open /proc/PID/ns/*, which needs the process to be dumpable; a
        // parent that changed uid (su, setpriv) leaves it non-dumpable.
        ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        writeAll(up[1], &err, sizeof err);  // ready
        if (::chdir("/") != 0) ::_exit(125);
        int nul = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; ++fd) ::dup2(nul, fd);
        ::closefrom(3);
        ::prctl(PR_SET_NAME, "hutch-pause", 0, 0, 0);
        sigset_t all;
        sigfillset(&all);
        sigdelset(&all, SIGTERM);  // `kill PID` still ends it
        ::sigprocmask(SIG_BLOCK, &all, nullptr);
        // Do not keep hutch's own binary busy (an upgrade in place would fail with
        // ETXTBSY): wait in sleep(1) when there is one; the namespaces stay the same.
        const char* sleepArgv[] = {"sleep", "infinity", nullptr};
        ::execv("/bin/sleep", const_cast<char* const*>(sleepArgv));
        for (;;) ::pause();
    }
    ::close(up[1]);
    ::close(down[0]);
    int st;
    while (::waitpid(first, &st, 0) < 0 && errno == EINTR) {
    }
    auto fail = [&](auto&& exc) {
        ::close(up[0]);
        ::close(down[1]);  // the pause process reads EOF and exits
        throw exc;
    };
    pid_t pause = 0;
    int err = 0;
    if (!readAll(up[0], &pause, sizeof pause) || !readAll(up[0], &err, sizeof err))
        fail(Error("rootless session process died before unshare"));
    if (err) fail(SysError(err, "unshare(CLONE_NEWUSER|CLONE_NEWNS) for the rootless session"));
    try {
        runIdMapTool("newuidmap", pause, uidMap);
        runIdMapTool("newgidmap", pause, gidMap);
    } catch (const Error& e) {
        ::kill(pause, SIGKILL);
        fail(Error(e.what()));
    }
    char go = 1;
    writeAll(down[1], &go, 1);
    ::close(down[1]);
    if (!readAll(up[0], &err, sizeof err)) {
        ::close(up[0]);
        throw Error("rootless session process died while setting up");
    }
    ::close(up[0]);
    fsutil::writeFileAtomic(dir + "/pause.pid", std::to_string(pause) + " " + std::to_string(proc::startTime(pause)) + "\n",
                            0600, fsutil::Sync::Volatile);
}

}  // namespace

void enterRootlessSession() {
    if (::geteuid() == 0) return;  // rootful, or already uid 0 in the session namespace
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    std::string dir = sessionDir(uid);
    fsutil::mkdirAll(dir, 0700);
    // One pause process per user: concurrent first commands must not start two.
    fsutil::FileLock lock(dir + "/pause.lock", fsutil::FileLock::Mode::Exclusive);
    if (joinPauseProcess(dir)) return;
    std::string name = std::to_string(uid);
    if (struct passwd* pw = ::getpwuid(uid)) name = pw->pw_name;
    auto uidMap = sessionMappingFor("/etc/subuid", name, uid, uid);
    auto gidMap = sessionMappingFor("/etc/subgid", name, gid, uid);
    for (const char* tool : {"newuidmap", "newgidmap"})
        if (proc::findProgram(tool).empty())
            throw Error(std::string(tool) + " not found: install the `uidmap` package (apt-get install uidmap) "
                        "to run hutch rootless");
    startPauseProcess(dir, uidMap, gidMap);
    if (!joinPauseProcess(dir)) throw Error("cannot join the rootless session just started (" + dir + "/pause.pid)");
}

bool stopRootlessSession() {
    const char* joined = std::getenv(kSessionDirEnv);
    std::string dir = joined && *joined ? joined : sessionDir(::getuid());
    auto pause = livePauseProcess(dir);
    if (pause) {
        // Returns once it is dead (a pidfd polls readable at its exit), not just signalled:
        // the next command must not find the old session still there.
        UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pause->first, 0)));
        if (::kill(pause->first, SIGKILL) != 0 && errno != ESRCH)
            throw SysError(errno, "stop the rootless session's pause process " + std::to_string(pause->first));
        if (pidfd) {
            pollfd p{pidfd.get(), POLLIN, 0};
            while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
            }
        }
    }
    if (::unlink((dir + "/pause.pid").c_str()) != 0 && errno != ENOENT) throw SysError(errno, "remove " + dir + "/pause.pid");
    return pause.has_value();
}

bool isRootless() {
    if (::geteuid() != 0) return true;
    try {
        return !isIdentityMap(readMap("/proc/self/uid_map"));
    } catch (const Error&) {
        return false;
    }
}

std::vector<IdMapping> sessionUidMap() { return readMap("/proc/self/uid_map"); }
std::vector<IdMapping> sessionGidMap() { return readMap("/proc/self/gid_map"); }

}  // namespace hutch::runtime
