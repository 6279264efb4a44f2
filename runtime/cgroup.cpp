#include "hutch/runtime/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/common/log.hpp"

namespace hutch::runtime {

std::string cgroup2MountPoint() {
    // The two usual places first (a statfs each, where mountinfo is a few hundred lines).
    for (const char* m : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        struct statfs sf;
        if (::statfs(m, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) return m;
    }
    std::string info;
    try {
        info = fsutil::readFile("/proc/self/mountinfo");
    } catch (const Error&) {
        return "";
    }
    std::string found;
    for (const auto& line : str::split(info, '\n')) {
        // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS"
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        auto after = str::split(line.substr(dash + 3), ' ');
        if (after.empty() || after[0] != "cgroup2") continue;
        auto f = str::split(line.substr(0, dash), ' ');
        if (f.size() < 5) continue;
        if (f[4] == "/sys/fs/cgroup") return f[4];
        if (found.empty()) found = f[4];
    }
    return found;
}

std::string createCgroup(const std::string& path) {
    std::string mnt = cgroup2MountPoint();
    if (mnt.empty())
        throw Error("no cgroup2 hierarchy is mounted: systemd in a container needs one (mount cgroup2, e.g. on "
                    "/sys/fs/cgroup/unified)");
    std::string dir = mnt + path;
    std::string parent = dir.substr(0, dir.rfind('/'));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        int err = errno;
        throw Error("cannot create the container's cgroup " + dir + ": " + std::strerror(err) +
                    ". Rootless hutch needs a cgroup2 subtree delegated to you: run it from a systemd user "
                    "session (systemd-run --user --scope -p Delegate=yes ...), or have root create a cgroup, "
                    "`chown -R` it to you and move your shell into it (" + parent + " is not writable)");
    }
    return dir;
}

void chownCgroup(const std::string& dir, uid_t uid, gid_t gid) {
    checkSys(::chown(dir.c_str(), uid, gid), "chown " + dir);
    for (const char* f : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"}) {
        std::string p = dir + "/" + f;
        if (::chown(p.c_str(), uid, gid) != 0 && errno != ENOENT) throw SysError(errno, "chown " + p);
    }
}

void joinCgroup(const std::string& dir, pid_t pid) {
    std::string procs = dir + "/cgroup.procs";
    // cgroupfs files are written in place (no temp file and rename there).
    FILE* f = std::fopen(procs.c_str(), "w");
    if (!f) throw SysError(errno, "open " + procs);
    int rc = std::fprintf(f, "%d\n", static_cast<int>(pid));
    int err = errno;
    if (std::fclose(f) != 0 || rc < 0) throw SysError(rc < 0 ? err : errno, "move process into " + dir);
}

std::string cgroupDirOf(pid_t pid) {
    std::string text;
    try {
        text = fsutil::readFile("/proc/" + std::to_string(pid) + "/cgroup");
    } catch (const Error&) {
        return "";
    }
    for (const auto& line : str::split(text, '\n')) {
        if (line.rfind("0::", 0) != 0) continue;
        std::string mnt = cgroup2MountPoint();
        return mnt.empty() ? "" : mnt + line.substr(3);
    }
    return "";
}

namespace {
/// rmdir of the cgroup `dir` and every cgroup below it, deepest first (cgroupfs files go
/// with their directory). Errors are left to the caller's retry loop.
void removeTree(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd) {
        try {
            fsutil::walk(fd.get(), dir, fsutil::WalkVisitor{[](const fsutil::WalkEntry& e) { return S_ISDIR(e.st.st_mode); },
                                                            [](const fsutil::WalkEntry& e) {
                                                                ::unlinkat(e.dirFd, e.name.c_str(), AT_REMOVEDIR);
                                                            }});
        } catch (const std::exception&) {
        }
    }
    ::rmdir(dir.c_str());
}
}  // namespace

void removeCgroup(const std::string& dir) noexcept {
    if (dir.empty()) return;
    for (int i = 0; i < 100; ++i) {
        removeTree(dir);
        struct stat st;
        if (::stat(dir.c_str(), &st) != 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    log::warn("cgroup {} could not be removed: {}", dir, std::strerror(errno));
}

void setPidsLimit(const std::string& dir, int64_t limit) {
    std::string path = dir + "/pids.max";
    std::string v = limit <= 0 ? "max" : std::to_string(limit);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);  // cgroupfs: written in place
    if (fd < 0) throw SysError(errno, "open " + path + " (linux.resources.pids.limit)");
    ssize_t n = ::write(fd, v.data(), v.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(v.size())) throw SysError(n < 0 ? err : EIO, "write " + v + " to " + path);
}

}  // namespace hutch::runtime
