#include "hutch/runtime/session.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/runtime/ns.hpp"

namespace hutch::runtime {

namespace {

volatile sig_atomic_t gSessionChild = 0;

void forwardToChild(int sig, siginfo_t* info, void*) {
    // A signal the terminal sent to our process group already reached the child too.
    if (info && info->si_code == SI_KERNEL) return;
    if (gSessionChild > 0) ::kill(gSessionChild, sig);
}

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

[[noreturn]] void waitAndExit(pid_t child) {
    gSessionChild = child;
    struct sigaction sa{};
    sa.sa_sigaction = forwardToChild;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGPWR, SIGURG})
        ::sigaction(sig, &sa, nullptr);
    int st = 0;
    while (::waitpid(child, &st, 0) < 0)
        if (errno != EINTR) ::_exit(125);
    std::fflush(nullptr);
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        ::signal(sig, SIG_DFL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        ::sigprocmask(SIG_UNBLOCK, &s, nullptr);
        ::kill(::getpid(), sig);
        ::_exit(128 + sig);
    }
    ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 125);
}

}  // namespace

std::vector<IdMapping> sessionMappingFor(const std::string& subFile, const std::string& user, uid_t id, uid_t uid) {
    auto ranges = readSubIds(subFile, user, uid);
    if (ranges.empty())
        throw Error("rootless hutch needs subordinate ids: no range for user \"" + user + "\" in " + subFile +
                    "; add the line \"" + user + ":100000:65536\" to /etc/subuid and /etc/subgid (as root: "
                    "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + user + ")");
    return rootlessMapping(id, ranges);
}

void enterRootlessSession() {
    if (::geteuid() == 0) return;  // rootful, or already uid 0 in the session namespace
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    std::string name = std::to_string(uid);
    if (struct passwd* pw = ::getpwuid(uid)) name = pw->pw_name;
    auto uidMap = sessionMappingFor("/etc/subuid", name, uid, uid);
    auto gidMap = sessionMappingFor("/etc/subgid", name, gid, uid);
    for (const char* tool : {"newuidmap", "newgidmap"})
        if (findProgram(tool).empty())
            throw Error(std::string(tool) + " not found: install the `uidmap` package (apt-get install uidmap) "
                        "to run hutch rootless");

    int up[2], down[2];  // up: child -> parent (unshare errno), down: parent -> child (go)
    checkSys(::pipe2(up, O_CLOEXEC), "pipe");
    if (::pipe2(down, O_CLOEXEC) != 0) {
        int err = errno;
        ::close(up[0]), ::close(up[1]);
        throw SysError(err, "pipe");
    }
    std::fflush(nullptr);
    pid_t parentPid = ::getpid();
    pid_t child = ::fork();
    if (child < 0) {
        int err = errno;
        ::close(up[0]), ::close(up[1]), ::close(down[0]), ::close(down[1]);
        throw SysError(err, "fork for the rootless session");
    }
    if (child == 0) {
        ::close(up[0]);
        ::close(down[1]);
        int err = ::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : errno;
        writeAll(up[1], &err, sizeof err);
        ::close(up[1]);
        char go = 0;
        if (err || !readAll(down[0], &go, 1) || go != 1) ::_exit(125);  // the parent reports the error
        ::close(down[0]);
        checkSys(::setresgid(0, 0, 0), "setresgid 0 in the rootless session");
        checkSys(::setresuid(0, 0, 0), "setresuid 0 in the rootless session");
        checkSys(::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr), "make / rslave in the rootless session");
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (::getppid() != parentPid) ::_exit(125);
        ::setenv(kSessionEnv, "1", 1);
        return;
    }
    ::close(up[1]);
    ::close(down[0]);
    auto fail = [&](auto&& exc) {
        ::close(up[0]);
        ::close(down[1]);  // child reads EOF and exits
        int st;
        while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
        }
        throw exc;
    };
    int err = 0;
    if (!readAll(up[0], &err, sizeof err)) fail(Error("rootless session child died before unshare"));
    if (err) fail(SysError(err, "unshare(CLONE_NEWUSER|CLONE_NEWNS) for the rootless session"));
    try {
        runIdMapTool("newuidmap", child, uidMap);
        runIdMapTool("newgidmap", child, gidMap);
    } catch (const Error& e) {
        fail(Error(e.what()));
    }
    char go = 1;
    writeAll(down[1], &go, 1);
    ::close(down[1]);
    ::close(up[0]);
    waitAndExit(child);
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
