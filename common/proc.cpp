#include "hutch/common/proc.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::proc {

uint64_t startTime(pid_t pid) {
    if (pid <= 0) return 0;
    std::string stat;
    try {
        stat = fsutil::readFile("/proc/" + std::to_string(pid) + "/stat");
    } catch (const Error&) {
        return 0;
    }
    // Field 2 (comm) may hold spaces and parentheses: parse after the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 > stat.size()) return 0;
    auto fields = str::split(stat.substr(close + 2), ' ');
    // fields[0] is field 3 (state); field 22 is fields[19].
    if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") return 0;
    return std::strtoull(fields[19].c_str(), nullptr, 10);
}

bool sameProcess(pid_t pid, uint64_t start) { return pid > 0 && start != 0 && startTime(pid) == start; }

std::string findProgram(const std::string& name) {
    std::string path;
    if (const char* p = std::getenv("PATH")) path = p;
    path += ":/usr/bin:/usr/sbin:/bin:/sbin";
    for (const auto& dir : str::split(path, ':')) {
        if (dir.empty()) continue;
        std::string cand = fsutil::join(dir, name);
        if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    return "";
}

}  // namespace hutch::proc
