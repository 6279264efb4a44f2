#include "hutch/engine/container/top.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>
#include <fmt/format.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

std::string nsOf(pid_t pid) {
    char buf[64];
    ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

/// "Key:\tvalue" of /proc/PID/status.
std::string statusField(const std::string& status, const std::string& key) {
    for (const auto& line : str::split(status, '\n'))
        if (line.rfind(key + ":", 0) == 0) return str::trim(line.substr(key.size() + 1));
    return "";
}

std::string duration(double secs) {
    if (secs < 60) return fmt::format("{:.0f}s", secs);
    if (secs < 3600) return fmt::format("{:.0f}m{:.0f}s", secs / 60 - 0.5, static_cast<double>(static_cast<long>(secs) % 60));
    return fmt::format("{}h{}m", static_cast<long>(secs) / 3600, (static_cast<long>(secs) % 3600) / 60);
}

}  // namespace

std::vector<std::vector<std::string>> containerTop(Context& ctx, const std::string& nameOrId) {
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (effectiveStatus(rec) != ContainerStatus::Running)
        throw Error("top can only be used on running containers: container state improper");
    std::string ns = nsOf(rec.pid);
    if (ns.empty()) throw Error("container " + rec.id + ": cannot read its pid namespace");
    // Names of container uids, from the container's own /etc/passwd.
    std::map<std::string, std::string> names;
    if (auto passwd = readFileInRoot(ctx.store().containerRootfs(rec.id), "/etc/passwd"))
        for (const auto& line : str::split(*passwd, '\n')) {
            auto f = str::split(line, ':');
            if (f.size() >= 3) names.emplace(f[2], f[0]);
        }
    long hz = ::sysconf(_SC_CLK_TCK);
    double uptime = std::strtod(fsutil::readFile("/proc/uptime").c_str(), nullptr);
    std::vector<std::pair<long, std::vector<std::string>>> rows;
    DIR* d = ::opendir("/proc");
    if (!d) throw SysError(errno, "opendir /proc");
    while (dirent* e = ::readdir(d)) {
        pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
        if (pid <= 0 || nsOf(pid) != ns) continue;
        std::string status, stat, cmdline;
        try {
            status = fsutil::readFile("/proc/" + std::to_string(pid) + "/status");
            stat = fsutil::readFile("/proc/" + std::to_string(pid) + "/stat");
            cmdline = fsutil::readFile("/proc/" + std::to_string(pid) + "/cmdline");
        } catch (const Error&) {
            continue;  // exited meanwhile
        }
        auto nspid = str::split(statusField(status, "NSpid"), '\t');
        std::string inPid = nspid.empty() ? std::to_string(pid) : nspid.back();
        auto close = stat.rfind(')');
        auto f = str::split(stat.substr(close + 2), ' ');
        if (f.size() < 20) continue;
        pid_t ppidHost = static_cast<pid_t>(std::atol(f[1].c_str()));
        std::string ppid = "0";
        if (nsOf(ppidHost) == ns) {
            try {
                auto pst = str::split(statusField(fsutil::readFile("/proc/" + std::to_string(ppidHost) + "/status"), "NSpid"), '\t');
                if (!pst.empty()) ppid = pst.back();
            } catch (const Error&) {
            }
        }
        double cpu = (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) / static_cast<double>(hz);
        double elapsed = uptime - std::strtod(f[19].c_str(), nullptr) / static_cast<double>(hz);
        std::string uid = str::split(statusField(status, "Uid"), '\t')[0];
        std::string user = names.count(uid) ? names[uid] : uid;
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        cmdline = str::trim(cmdline);
        if (cmdline.empty()) cmdline = "[" + statusField(status, "Name") + "]";
        std::string tty = f[4] == "0" ? "?" : "pts/" + std::to_string(std::atol(f[4].c_str()) & 0xff);
        rows.push_back({std::atol(inPid.c_str()),
                        {user, inPid, ppid, fmt::format("{:.3f}", elapsed > 0 ? 100 * cpu / elapsed : 0.0),
                         duration(elapsed), tty, duration(cpu), cmdline}});
    }
    ::closedir(d);
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::vector<std::string>> out{{"USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"}};
    for (auto& r : rows) out.push_back(std::move(r.second));
    return out;
}

}  // namespace hutch::engine
