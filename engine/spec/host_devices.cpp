#include "hutch/engine/spec/host_devices.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace hutch::engine {

namespace fs = std::filesystem;

std::vector<HostDevice> hostDevices(const std::string& devDir, bool openableOnly) {
    static const std::set<std::string> skipDirs = {"pts", "shm", "mqueue", "hugepages", ".udev", ".lxc"};
    static const std::set<std::string> skipNodes = {"console", "ptmx"};
    std::vector<HostDevice> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(devDir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        std::string name = p.filename().string();
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (it.depth() == 0 && skipDirs.count(name)) it.disable_recursion_pending();
            continue;
        }
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
        if (it.depth() == 0 && skipNodes.count(name)) continue;
        if (openableOnly && ::access(p.c_str(), R_OK) != 0 && ::access(p.c_str(), W_OK) != 0) continue;
        HostDevice d;
        d.path = "/dev" + p.string().substr(devDir.size());
        d.type = S_ISBLK(st.st_mode) ? 'b' : 'c';
        d.major = ::major(st.st_rdev);
        d.minor = ::minor(st.st_rdev);
        d.mode = st.st_mode & 07777;
        d.uid = st.st_uid;
        d.gid = st.st_gid;
        out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(), [](const HostDevice& a, const HostDevice& b) { return a.path < b.path; });
    return out;
}

}  // namespace hutch::engine
