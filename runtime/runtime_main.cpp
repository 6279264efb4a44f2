// `hutch-runtime run`: the container's bundle to a StartPlan (start.hpp), and the command line.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/runtime/cgroup.hpp"
#include "hutch/runtime/exec.hpp"
#include "hutch/runtime/mounts.hpp"
#include "hutch/runtime/ns.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/runtime/seccomp.hpp"
#include "hutch/runtime/spec.hpp"
#include "hutch/runtime/start.hpp"

namespace hutch::runtime {

namespace {

/// A detached bind mount to be idmapped with the container's user namespace (option "idmap").
struct IdmapMount {
    int fd;
    std::string source, destination;
};

/// Clones spec's rootfs and every absolute bind-mount source into detached mounts
/// (open_tree OPEN_TREE_CLONE, here, where every path is reachable) kept open in `opened`,
/// and points spec at them as /proc/self/fd/N: the child attaches them in its own mount
/// namespace (mounts.cpp). Those with option "idmap" are listed in `idmapped`. Throws
/// SysError naming the path.
void cloneMountSources(Spec& spec, std::vector<UniqueFd>& opened, std::vector<IdmapMount>& idmapped) {
    auto reach = [&](std::string& path, bool recursive) {
        UniqueFd fd(::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0)));
        if (!fd) throw SysError(errno, "clone the mount of " + path + " (open_tree)");
        path = std::string(kDetachedMountPrefix) + std::to_string(fd.get());
        opened.push_back(std::move(fd));
    };
    reach(spec.rootPath, true);
    for (auto& m : spec.mounts) {
        bool bind = m.type == "bind", rec = false, idmap = false;
        for (const auto& opt : m.options) {
            bind = bind || opt == "bind" || opt == "rbind";
            rec = rec || opt == "rbind";
            idmap = idmap || opt == "idmap";
        }
        if (!bind || m.source.empty() || m.source[0] != '/') continue;
        std::string source = m.source;
        reach(m.source, rec);
        if (idmap) idmapped.push_back({opened.back().get(), source, m.destination});
    }
}

/// Makes each of `mounts` an idmapped mount (mount_setattr MOUNT_ATTR_IDMAP) with the user
/// namespace of `pid`: the files appear inside with their owners mapped through it, as if
/// they were container ids. Throws Error naming the source and why the kernel refused.
void idmapMounts(const std::vector<IdmapMount>& mounts, pid_t pid) {
    if (mounts.empty()) return;
    std::string nsPath = "/proc/" + std::to_string(pid) + "/ns/user";
    UniqueFd ns(::open(nsPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw SysError(errno, "open " + nsPath);
    for (const auto& m : mounts) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_IDMAP;
        attr.userns_fd = static_cast<uint64_t>(ns.get());
        if (::mount_setattr(m.fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0) continue;
        int err = errno;
        std::string why = err == EPERM
                              ? "an idmapped mount needs privilege over the user namespace that mounted the source's "
                                "filesystem, which a rootless user has only for filesystems mounted in their own "
                                "session; use :U (chown the source to the container's user) instead"
                          : err == EINVAL ? "the source's filesystem (or this kernel) does not support idmapped mounts; use :U instead"
                                          : std::string(std::strerror(err));
        throw Error("bind mount " + m.source + " on " + m.destination + " with idmap: the kernel refused it (" +
                    std::strerror(err) + "): " + why);
    }
}

}  // namespace

int runContainer(const RunOptions& o) noexcept {
    try {
        Spec spec;
        try {
            spec = loadSpec(o.bundle);
        } catch (const Error& e) {
            return reportFailure(o.statusFd, {"config", e.what(), 0, 125});
        }
        std::optional<SeccompProgram> filter;
        try {
            if (spec.seccomp) filter = compileSeccompCached(*spec.seccomp, o.seccompCache);
        } catch (const Error& e) {
            return reportFailure(o.statusFd, {"seccomp", e.what(), 0, 125});
        }
        std::string cgroupDir;
        if (!spec.cgroupsPath.empty()) {
            try {
                cgroupDir = createCgroup(spec.cgroupsPath);
                if (spec.pidsLimit) setPidsLimit(cgroupDir, *spec.pidsLimit);
            } catch (const Error& e) {
                return reportFailure(o.statusFd, {"cgroup", e.what(), 0, 125});
            }
        }
        struct CgroupCleanup {
            std::string dir;
            ~CgroupCleanup() { removeCgroup(dir); }
        } cgroupCleanup{cgroupDir};

        // Namespaces given by path (the engine's network namespace) are joined here, before
        // the clone: a child in a user namespace of its own could not join them (they belong
        // to ours), and it inherits them. Before anything that depends on them (sysfs and
        // /proc/sys/net follow the network namespace).
        try {
            joinNamespaces(spec);
        } catch (const Error& e) {
            return reportFailure(o.statusFd, {"join-namespaces", e.what(), 0, 125});
        }
        StartPlan plan;
        plan.statusFd = o.statusFd;
        plan.pidFile = o.pidFile;
        int flags = cloneFlags(spec);
        // In a user namespace of its own the container's root may not traverse the
        // directories that lead to its rootfs and bind sources (the store's are 0700, owned
        // by ids it does not map): they are opened here and reached through /proc/self/fd.
        std::vector<UniqueFd> opened;
        std::vector<IdmapMount> idmapped;
        if (flags & CLONE_NEWUSER) {
            try {
                cloneMountSources(spec, opened, idmapped);
            } catch (const Error& e) {
                return reportFailure(o.statusFd, {"mounts", e.what(), 0, 125});
            }
        }
        // With a cgroup of its own, the child unshares its cgroup namespace only after we
        // moved it there (see childMain), so the namespace is rooted in that cgroup.
        plan.cloneFlags = cgroupDir.empty() ? flags : (flags & ~CLONE_NEWCGROUP);
        plan.child.spec = &spec;
        plan.child.cloneFlags = flags;
        plan.child.startGateFd = o.startGateFd;
        plan.child.preserveFds = o.preserveFds;
        plan.child.seccomp = filter ? &*filter : nullptr;
        plan.prepare = [&](pid_t pid) {
            if (flags & CLONE_NEWUSER) {
                writeIdMaps(pid, spec.uidMappings, spec.gidMappings);
                idmapMounts(idmapped, pid);
            }
            if (!cgroupDir.empty()) {
                // The container's root owns its cgroup (systemd makes its own below it).
                if (flags & CLONE_NEWUSER)
                    chownCgroup(cgroupDir, mapToHost(spec.uidMappings, 0).value_or(0), mapToHost(spec.gidMappings, 0).value_or(0));
                joinCgroup(cgroupDir, pid);
            }
        };
        return startProcess(plan);
    } catch (const std::exception& e) {
        return reportFailure(o.statusFd, {"runtime", e.what(), 0, 125});
    }
}

int runtimeMain(int argc, char** argv) {
    RunOptions o;
    int i = 0;
    // Accept "hutch __runtime run ...", "__runtime run ..." and "run ...".
    while (i < argc && std::strcmp(argv[i], "run") != 0 && std::strcmp(argv[i], "exec") != 0) ++i;
    if (i < argc && std::strcmp(argv[i], "exec") == 0) {
        try {
            return execInContainer(parseExecArgs(argc - i - 1, argv + i + 1));
        } catch (const Error& e) {
            std::fprintf(stderr, "Error: %s\n", e.what());
            return 125;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "Error: usage: hutch __runtime run [--status-fd N] [--pid-file F] --bundle DIR ID\n");
        return 125;
    }
    auto usage = [](const std::string& msg) {
        std::fprintf(stderr, "Error: __runtime run: %s\n", msg.c_str());
        return 125;
    };
    for (++i; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const std::string& flag) -> std::optional<std::string> {
            if (a == flag) {
                if (i + 1 >= argc) return std::nullopt;
                return std::string(argv[++i]);
            }
            if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
            return std::nullopt;
        };
        if (a == "--status-fd" || a.rfind("--status-fd=", 0) == 0) {
            auto v = value("--status-fd");
            if (!v) return usage("--status-fd needs a value");
            try {
                o.statusFd = std::stoi(*v);
            } catch (...) {
                return usage("--status-fd: not a number: " + *v);
            }
        } else if (a == "--pid-file" || a.rfind("--pid-file=", 0) == 0) {
            auto v = value("--pid-file");
            if (!v) return usage("--pid-file needs a value");
            o.pidFile = *v;
        } else if (a == "--start-gate-fd" || a.rfind("--start-gate-fd=", 0) == 0) {
            auto v = value("--start-gate-fd");
            if (!v) return usage("--start-gate-fd needs a value");
            try {
                o.startGateFd = std::stoi(*v);
            } catch (...) {
                return usage("--start-gate-fd: not a number: " + *v);
            }
        } else if (a == "--preserve-fds" || a.rfind("--preserve-fds=", 0) == 0) {
            auto v = value("--preserve-fds");
            if (!v) return usage("--preserve-fds needs a value");
            try {
                o.preserveFds = static_cast<unsigned>(std::stoul(*v));
            } catch (const std::exception&) {
                return usage("--preserve-fds: not a number: " + *v);
            }
        } else if (a == "--seccomp-cache" || a.rfind("--seccomp-cache=", 0) == 0) {
            auto v = value("--seccomp-cache");
            if (!v) return usage("--seccomp-cache needs a value");
            o.seccompCache = *v;
        } else if (a == "--bundle" || a == "-b" || a.rfind("--bundle=", 0) == 0) {
            if (a == "-b") a = "--bundle";
            auto v = value("--bundle");
            if (!v) return usage("--bundle needs a value");
            o.bundle = *v;
        } else if (!a.empty() && a[0] == '-') {
            return usage("unknown flag " + a);
        } else if (o.id.empty()) {
            o.id = a;
        } else {
            return usage("unexpected argument " + a);
        }
    }
    if (o.bundle.empty()) return usage("--bundle is required");
    if (o.id.empty()) return usage("a container ID is required");
    return runContainer(o);
}

}  // namespace hutch::runtime
