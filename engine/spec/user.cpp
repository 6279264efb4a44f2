#include "hutch/engine/spec/user.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {
namespace {

bool parseNum(const std::string& s, uint32_t& out) {
    if (s.empty() || s.size() > 10) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
    if (v > 0xffffffffUL) return false;
    out = static_cast<uint32_t>(v);
    return true;
}

struct PasswdEntry {
    std::string name;
    uint32_t uid, gid;
    std::string home;
};
struct GroupEntry {
    std::string name;
    uint32_t gid;
    std::vector<std::string> members;
};

std::vector<PasswdEntry> parsePasswd(const std::string& text) {
    std::vector<PasswdEntry> out;
    for (const auto& line : str::split(text, '\n')) {
        auto f = str::split(line, ':');
        if (f.size() < 7 || f[0].empty() || f[0][0] == '#') continue;
        PasswdEntry e;
        if (!parseNum(f[2], e.uid) || !parseNum(f[3], e.gid)) continue;
        e.name = f[0];
        e.home = f[5];
        out.push_back(e);
    }
    return out;
}

std::vector<GroupEntry> parseGroup(const std::string& text) {
    std::vector<GroupEntry> out;
    for (const auto& line : str::split(text, '\n')) {
        auto f = str::split(line, ':');
        if (f.size() < 4 || f[0].empty() || f[0][0] == '#') continue;
        GroupEntry g;
        if (!parseNum(f[2], g.gid)) continue;
        g.name = f[0];
        if (!f[3].empty()) g.members = str::split(f[3], ',');
        out.push_back(g);
    }
    return out;
}

}  // namespace

std::optional<std::string> readFileInRoot(const std::string& rootfs, const std::string& path) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw SysError(errno, "open rootfs " + rootfs);
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = path;
    while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
    long fd = ::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        throw SysError(errno, "open " + path + " in " + rootfs);
    }
    UniqueFd f(static_cast<int>(fd));
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(f.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError(errno, "read " + path + " in " + rootfs);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

ResolvedUser resolveUser(const std::string& rootfs, const std::string& spec) {
    bool hasGroup = false;
    auto [userPart, groupPart] = str::cut(spec, ':', &hasGroup);
    if (userPart.empty()) userPart = "0";
    auto passwd = parsePasswd(readFileInRoot(rootfs, "/etc/passwd").value_or(""));
    auto groups = parseGroup(readFileInRoot(rootfs, "/etc/group").value_or(""));

    ResolvedUser r;
    const PasswdEntry* entry = nullptr;
    uint32_t num = 0;
    if (parseNum(userPart, num)) {
        r.uid = num;
        for (const auto& e : passwd)
            if (e.uid == num) {
                entry = &e;
                break;
            }
    } else {
        for (const auto& e : passwd)
            if (e.name == userPart) {
                entry = &e;
                break;
            }
        if (!entry)
            throw InvalidArgument("unable to find user " + userPart +
                                  ": no matching entries in passwd file");
        r.uid = entry->uid;
    }
    if (entry) {
        r.gid = entry->gid;
        if (!entry->home.empty()) r.home = entry->home;
    }
    if (hasGroup && !groupPart.empty()) {
        if (parseNum(groupPart, num))
            r.gid = num;
        else {
            const std::string& wanted = groupPart;  // clang 14 cannot capture a structured binding
            auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& g) { return g.name == wanted; });
            if (it == groups.end())
                throw InvalidArgument("unable to find group " + groupPart + ": no matching entries in group file");
            r.gid = it->gid;
        }
    } else if (entry) {
        // Supplementary groups only when no explicit group is given, as runc does.
        for (const auto& g : groups)
            if (g.gid != r.gid && std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end())
                r.additionalGids.push_back(g.gid);
    }
    return r;
}

}  // namespace hutch::engine
