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
#include "hutch/common/fd.hpp"
#include "hutch/common/proc.hpp"
#include "hutch/runtime/netns.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::runtime {

namespace {

/// One namespace type: its runtime-spec name, its /proc/PID/ns name and its CLONE_NEW* flag.
struct NsKind {
    const char* specType;
    const char* procName;
    int flag;
};
// In the order a process joins them (joinNamespacesOf): mount, pid (effective for children:
// the caller forks after), the rest, and the user namespace last. The engine's runtime holds
// its capabilities over all of them until then, the container's own user namespace being a
// child of its own; joined first, it would lose them over namespaces the container shares
// with the engine (a network namespace made by the engine's keeper). A caller with no
// capabilities over them (EPERM) joins those after the user namespace.
constexpr NsKind kNamespaces[] = {
    {"mount", "mnt", CLONE_NEWNS}, {"pid", "pid", CLONE_NEWPID},         {"uts", "uts", CLONE_NEWUTS},
    {"ipc", "ipc", CLONE_NEWIPC},  {"network", "net", CLONE_NEWNET},     {"cgroup", "cgroup", CLONE_NEWCGROUP},
    {"user", "user", CLONE_NEWUSER},
};

const NsKind* kindOf(const std::string& specType) {
    for (const auto& k : kNamespaces)
        if (specType == k.specType) return &k;
    return nullptr;
}

}  // namespace

int cloneFlags(const Spec& spec) {
    int f = 0;
    for (const auto& n : spec.namespaces) {
        if (!n.path.empty()) continue;  // joined with setns, see joinNamespaces
        if (const NsKind* k = kindOf(n.type)) f |= k->flag;
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

void writeIdMaps(pid_t pid, const std::vector<IdMapping>& uidsIn, const std::vector<IdMapping>& gidsIn) {
    // A range that spans two extents of our own map is written as two lines (the kernel
    // takes one line only within one extent).
    auto own = [](const char* file) {
        try {
            return parseIdMap(fsutil::readFile(file));
        } catch (const Error&) {
            return std::vector<IdMapping>{};
        }
    };
    const auto uids = splitAlongExtents(uidsIn, own("/proc/self/uid_map"));
    const auto gids = splitAlongExtents(gidsIn, own("/proc/self/gid_map"));
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
        const NsKind* k = kindOf(n.type);
        if (!k || !(k->flag & (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)))
            throw Error("linux.namespaces: cannot join a " + n.type + " namespace by path");
        UniqueFd fd(::open(n.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw SysError(errno, "open " + n.type + " namespace " + n.path);
        if (::setns(fd.get(), k->flag) != 0) throw SysError(errno, "join " + n.type + " namespace " + n.path);
    }
}

void joinNamespacesOf(pid_t pid) {
    auto sameAsOurs = [](int fd, const NsKind& k) {
        struct stat a, b;
        std::string self = std::string("/proc/self/ns/") + k.procName;
        return ::fstat(fd, &a) == 0 && ::stat(self.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
    };
    std::vector<std::pair<UniqueFd, const NsKind*>> fds;
    for (const auto& k : kNamespaces) {
        std::string p = "/proc/" + std::to_string(pid) + "/ns/" + k.procName;
        UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT) continue;  // kernel without that namespace type
            throw SysError(errno, "open " + p + " (is the container running?)");
        }
        if (sameAsOurs(fd.get(), k)) continue;
        fds.emplace_back(std::move(fd), &k);
    }
    auto join = [](int fd, const NsKind* k) {
        if (::setns(fd, k->flag) != 0)
            throw SysError(errno, std::string("join the container's ") + k->procName + " namespace (setns)");
    };
    // A caller without capabilities over a namespace (an unprivileged process joining the
    // rootless session's container) gets them from the user namespace: those wait for it.
    std::vector<std::pair<int, const NsKind*>> later;
    for (auto& [fd, k] : fds) {
        if (k->flag == CLONE_NEWUSER) {
            join(fd.get(), k);
            for (auto [lfd, lk] : later) join(lfd, lk);
            later.clear();
        } else if (::setns(fd.get(), k->flag) != 0) {
            if (errno != EPERM) throw SysError(errno, std::string("join the container's ") + k->procName + " namespace (setns)");
            later.emplace_back(fd.get(), k);
        }
    }
    for (auto [lfd, lk] : later) join(lfd, lk);  // no user namespace to join: the error stands
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
