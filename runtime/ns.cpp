#include "hutch/runtime/ns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "hutch/common/error.hpp"
#include "hutch/common/proc.hpp"
#include "hutch/runtime/netns.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::runtime {

int cloneFlags(const Spec& spec) {
    int f = 0;
    for (const auto& n : spec.namespaces) {
        if (!n.path.empty()) continue;  // joined with setns, see joinNamespaces
        if (n.type == "pid") f |= CLONE_NEWPID;
        else if (n.type == "network") f |= CLONE_NEWNET;
        else if (n.type == "mount") f |= CLONE_NEWNS;
        else if (n.type == "ipc") f |= CLONE_NEWIPC;
        else if (n.type == "uts") f |= CLONE_NEWUTS;
        else if (n.type == "user") f |= CLONE_NEWUSER;
        else if (n.type == "cgroup") f |= CLONE_NEWCGROUP;
    }
    return f;
}

void runIdMapTool(const std::string& tool, pid_t pid, const std::vector<IdMapping>& maps) {
    std::string prog = proc::findProgram(tool);
    if (prog.empty())
        throw Error(tool + " not found: install the `uidmap` package (apt-get install uidmap) to run rootless");
    std::vector<std::string> args{prog, std::to_string(pid)};
    for (const auto& m : maps) {
        args.push_back(std::to_string(m.containerId));
        args.push_back(std::to_string(m.hostId));
        args.push_back(std::to_string(m.size));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw SysError(errno, "fork for " + tool);
    if (child == 0) {
        ::execv(prog.c_str(), argv.data());
        ::_exit(127);
    }
    int st = 0;
    while (::waitpid(child, &st, 0) < 0)
        if (errno != EINTR) throw SysError(errno, "wait for " + tool);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        throw Error(str::join(args, " ") + " failed (" +
                    (WIFEXITED(st) ? "exit status " + std::to_string(WEXITSTATUS(st))
                                   : "signal " + std::to_string(WTERMSIG(st))) +
                    "); check /etc/subuid and /etc/subgid");
}

namespace {

int writeMapFile(pid_t pid, const char* file, const std::vector<IdMapping>& maps) {
    std::string text;
    for (const auto& m : maps)
        text += std::to_string(m.containerId) + " " + std::to_string(m.hostId) + " " + std::to_string(m.size) + "\n";
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t n = ::write(fd, text.data(), text.size());
    int err = n == static_cast<ssize_t>(text.size()) ? 0 : (n < 0 ? errno : EIO);
    ::close(fd);
    return err;
}

}  // namespace

void writeIdMaps(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
    int err = writeMapFile(pid, "uid_map", uids);
    if (err == EPERM) {
        log::debug("writing uid_map directly refused; using newuidmap");
        runIdMapTool("newuidmap", pid, uids);
    } else if (err) {
        throw SysError(err, "write /proc/" + std::to_string(pid) + "/uid_map");
    }
    err = writeMapFile(pid, "gid_map", gids);
    if (err == EPERM) {
        log::debug("writing gid_map directly refused; using newgidmap");
        runIdMapTool("newgidmap", pid, gids);
    } else if (err) {
        throw SysError(err, "write /proc/" + std::to_string(pid) + "/gid_map");
    }
}

std::vector<IdMapping> parseIdMap(const std::string& text) {
    std::vector<IdMapping> out;
    std::istringstream in(text);
    IdMapping m;
    while (in >> m.containerId >> m.hostId >> m.size) out.push_back(m);
    return out;
}

void joinNamespaces(const Spec& spec) {
    for (const auto& n : spec.namespaces) {
        if (n.path.empty()) continue;
        int type = n.type == "network" ? CLONE_NEWNET : n.type == "ipc" ? CLONE_NEWIPC : n.type == "uts" ? CLONE_NEWUTS : 0;
        if (type == 0) throw Error("linux.namespaces: cannot join a " + n.type + " namespace by path");
        int fd = ::open(n.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw SysError(errno, "open " + n.type + " namespace " + n.path);
        int rc = ::setns(fd, type);
        int err = errno;
        ::close(fd);
        if (rc != 0) throw SysError(err, "join " + n.type + " namespace " + n.path);
    }
}

void loopbackUp() {
    if (int err = loopbackUpNoThrow()) throw SysError(err, "bring up the loopback interface lo");
}

void setUtsNames(const Spec& spec) {
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
        throw SysError(errno, "sethostname \"" + spec.hostname + "\"");
    if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
        throw SysError(errno, "setdomainname \"" + spec.domainname + "\"");
}

}  // namespace hutch::runtime
