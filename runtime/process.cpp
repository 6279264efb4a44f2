#include "hutch/runtime/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include <cerrno>
#include <map>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::runtime {

std::optional<int> rlimitFromName(const std::string& name) {
    static const std::map<std::string, int> t = {
        {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
    };
    auto it = t.find(name);
    if (it == t.end()) return std::nullopt;
    return it->second;
}

void applyRlimits(const std::vector<Rlimit>& rlimits) {
    for (const auto& r : rlimits) {
        auto res = rlimitFromName(r.type);
        if (!res) throw InvalidArgument("process.rlimits: unknown type \"" + r.type + "\"");
        struct rlimit want{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
        if (::setrlimit(*res, &want) == 0) continue;
        int err = errno;
        struct rlimit cur;
        if (err != EPERM || ::getrlimit(*res, &cur) != 0) throw SysError(err, "setrlimit " + r.type);
        struct rlimit clamped{std::min(want.rlim_cur, cur.rlim_max), std::min(want.rlim_max, cur.rlim_max)};
        log::debug("{} {}/{} exceeds the hard limit {}; clamped", r.type, r.soft, r.hard,
                   static_cast<unsigned long long>(cur.rlim_max));
        if (::setrlimit(*res, &clamped) != 0) throw SysError(errno, "setrlimit " + r.type + " (clamped)");
    }
}

void switchUser(const Process& p) {
    std::vector<gid_t> groups(p.additionalGids.begin(), p.additionalGids.end());
    if (p.keepOriginalGroups) {
        // --group-add keep-groups: the caller's groups stay (they show as the overflow gid).
    } else if (::setgroups(groups.size(), groups.data()) != 0) {
        // setgroups is denied in a user namespace whose gid_map was written unprivileged;
        // an empty list is then what we have anyway.
        if (!(errno == EPERM && groups.empty())) throw SysError(errno, "setgroups (process.user.additionalGids)");
    }
    if (::setresgid(p.gid, p.gid, p.gid) != 0)
        throw SysError(errno, "setresgid " + std::to_string(p.gid) + " (process.user.gid)");
    if (::setresuid(p.uid, p.uid, p.uid) != 0)
        throw SysError(errno, "setresuid " + std::to_string(p.uid) + " (process.user.uid)");
    if (p.umask) ::umask(static_cast<mode_t>(*p.umask));
    else ::umask(022);
}

void enterCwd(const std::string& cwd, bool create, std::pair<uid_t, gid_t> owner) {
    if (::chdir(cwd.c_str()) == 0) return;
    if (errno != ENOENT || !create) throw SysError(errno, "chdir to cwd (\"" + cwd + "\") set in config.json");
    // mkdir -p that follows symlinks as a path lookup would (a link to a missing directory
    // gets that directory made, as Docker does); after pivot_root nothing leads outside.
    std::deque<std::string> rest;
    for (auto& c : str::split(cwd, '/'))
        if (!c.empty() && c != ".") rest.push_back(c);
    std::string cur;  // resolved so far, "" = "/"
    int links = 0;
    while (!rest.empty()) {
        std::string c = std::move(rest.front());
        rest.pop_front();
        if (c == "..") {
            cur = cur.substr(0, cur.rfind('/') == std::string::npos ? 0 : cur.rfind('/'));
            continue;
        }
        std::string next = cur + "/" + c;
        struct stat st;
        if (::lstat(next.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
            if (++links > 40) throw SysError(ELOOP, "create the working directory " + cwd);
            char buf[4096];
            ssize_t n = ::readlink(next.c_str(), buf, sizeof buf - 1);
            if (n < 0) throw SysError(errno, "readlink " + next);
            std::string target(buf, static_cast<size_t>(n));
            auto parts = str::split(target, '/');
            for (auto it = parts.rbegin(); it != parts.rend(); ++it)
                if (!it->empty() && *it != ".") rest.push_front(*it);
            if (!target.empty() && target[0] == '/') cur.clear();
            continue;
        }
        if (::mkdir(next.c_str(), 0755) == 0) {
            if ((owner.first != 0 || owner.second != 0) && ::chown(next.c_str(), owner.first, owner.second) != 0)
                throw SysError(errno, "chown the working directory " + next);
        } else if (errno != EEXIST) {
            throw SysError(errno, "create the working directory " + next + " (for " + cwd + ")");
        }
        cur = next;
    }
    if (::chdir(cwd.c_str()) != 0) throw SysError(errno, "chdir to cwd (\"" + cwd + "\") set in config.json");
}

std::optional<std::string> envValue(const std::vector<std::string>& env, const std::string& name) {
    for (auto it = env.rbegin(); it != env.rend(); ++it)
        if (it->size() > name.size() && it->compare(0, name.size(), name) == 0 && (*it)[name.size()] == '=')
            return it->substr(name.size() + 1);
    return std::nullopt;
}

std::string lookupExecutable(const std::string& cmd, const std::vector<std::string>& env) {
    struct stat st;
    if (cmd.find('/') != std::string::npos) {
        if (::stat(cmd.c_str(), &st) != 0) {
            int err = errno;
            if (err == ENOENT || err == ENOTDIR)
                throw CommandError(127, cmd + ": no such file or directory");
            throw CommandError(126, cmd + ": " + std::strerror(err));
        }
        return cmd;
    }
    std::string path = envValue(env, "PATH").value_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (const auto& dir : str::split(path, ':')) {
        std::string cand = fsutil::join(dir.empty() ? "." : dir, cmd);
        if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return cand;
    }
    throw CommandError(127, cmd + ": executable file not found in $PATH");
}

void applySysctl(const std::vector<std::pair<std::string, std::string>>& sysctl) {
    for (const auto& [k, v] : sysctl) {
        std::string p = "/proc/sys/" + k;
        for (size_t i = 10; i < p.size(); ++i)
            if (p[i] == '.') p[i] = '/';
        int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) throw SysError(errno, "sysctl " + k);
        ssize_t n = ::write(fd, v.data(), v.size());
        int err = errno;
        ::close(fd);
        if (n != static_cast<ssize_t>(v.size())) throw SysError(n < 0 ? err : EIO, "sysctl " + k + "=" + v);
    }
}

void applyOomScoreAdj(int value) {
    std::string v = std::to_string(value);
    int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw SysError(errno, "open /proc/self/oom_score_adj (process.oomScoreAdj)");
    ssize_t n = ::write(fd, v.data(), v.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(v.size()))
        throw SysError(n < 0 ? err : EIO, "write oom_score_adj " + v +
                                              " (process.oomScoreAdj; lowering it needs CAP_SYS_RESOURCE on the host)");
}

}  // namespace hutch::runtime
