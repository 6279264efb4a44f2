#include "hutch/engine/spec/capabilities.hpp"

#include <algorithm>
#include <set>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {

const std::vector<std::string>& defaultCapabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",      "CAP_NET_BIND_SERVICE",
        "CAP_SETFCAP", "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"};
    return caps;
}

const std::vector<std::string>& allCapabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",           "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH", "CAP_FOWNER",          "CAP_FSETID",
        "CAP_KILL",            "CAP_SETGID",        "CAP_SETUID",          "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",      "CAP_NET_RAW",         "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",       "CAP_SYS_MODULE",    "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",     "CAP_SYS_BOOT",        "CAP_SYS_NICE",        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",          "CAP_LEASE",           "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",       "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",       "CAP_SYSLOG",
        "CAP_WAKE_ALARM",      "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",      "CAP_PERFMON",         "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE"};
    return caps;
}

std::string normalizeCapability(const std::string& name) {
    std::string up;
    for (char c : name) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (up == "ALL") return up;
    if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
    const auto& all = allCapabilities();
    if (std::find(all.begin(), all.end(), up) == all.end())
        throw InvalidArgument("\"" + up + "\": unknown capability");
    return up;
}

std::vector<std::string> capabilitySet(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                                       bool privileged) {
    std::set<std::string> set;
    std::vector<std::string> adds, drops;
    // Each value may be a comma-separated list, as podman's --cap-add/--cap-drop take it.
    for (const auto& a : add)
        for (const auto& name : str::split(a, ',')) adds.push_back(normalizeCapability(name));
    for (const auto& d : drop)
        for (const auto& name : str::split(d, ',')) drops.push_back(normalizeCapability(name));
    if (privileged) {
        set.insert(allCapabilities().begin(), allCapabilities().end());
    } else {
        set.insert(defaultCapabilities().begin(), defaultCapabilities().end());
        for (const auto& d : drops) {
            if (d == "ALL")
                set.clear();
            else
                set.erase(d);
        }
        for (const auto& a : adds) {
            if (a == "ALL")
                set.insert(allCapabilities().begin(), allCapabilities().end());
            else
                set.insert(a);
        }
    }
    std::vector<std::string> out;
    for (const auto& c : allCapabilities())
        if (set.count(c)) out.push_back(c);
    return out;
}

}  // namespace hutch::engine
