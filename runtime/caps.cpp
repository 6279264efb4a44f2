#include "hutch/runtime/caps.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "hutch/common/error.hpp"
#include "hutch/common/log.hpp"

namespace hutch::runtime {

namespace {

const char* const kNames[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

}  // namespace

std::optional<int> capFromName(const std::string& name) {
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
    if (n.rfind("CAP_", 0) == 0) n = n.substr(4);
    for (size_t i = 0; i < std::size(kNames); ++i)
        if (n == kNames[i]) return static_cast<int>(i);
    return std::nullopt;
}

int capLastCap() {
    static int last = [] {
        std::ifstream f("/proc/sys/kernel/cap_last_cap");
        int v = CAP_LAST_CAP;
        if (!(f >> v)) v = CAP_LAST_CAP;
        return v;
    }();
    return last;
}

uint64_t capMask(const std::vector<std::string>& names) {
    uint64_t m = 0;
    for (const auto& n : names) {
        auto c = capFromName(n);
        if (!c) throw InvalidArgument("process.capabilities: unknown capability \"" + n + "\"");
        if (*c > capLastCap()) {
            log::debug("capability {} is not known to this kernel; left out", n);
            continue;
        }
        m |= uint64_t{1} << *c;
    }
    return m;
}

void dropBoundingSet(const Capabilities& caps) {
    uint64_t keep = capMask(caps.bounding);
    checkSys(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
    for (int c = 0; c <= capLastCap(); ++c) {
        if (keep & (uint64_t{1} << c)) continue;
        if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
            throw SysError(errno, std::string("drop CAP_") + kNames[c] + " from the bounding set");
    }
}

void applyCapSets(const Capabilities& caps) {
    uint64_t eff = capMask(caps.effective), perm = capMask(caps.permitted), inh = capMask(caps.inheritable);
    struct __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    data[0].effective = static_cast<uint32_t>(eff);
    data[1].effective = static_cast<uint32_t>(eff >> 32);
    data[0].permitted = static_cast<uint32_t>(perm);
    data[1].permitted = static_cast<uint32_t>(perm >> 32);
    data[0].inheritable = static_cast<uint32_t>(inh);
    data[1].inheritable = static_cast<uint32_t>(inh >> 32);
    checkSys(static_cast<int>(::syscall(SYS_capset, &hdr, data)), "capset");
    checkSys(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities");
    uint64_t amb = capMask(caps.ambient);
    for (int c = 0; c <= capLastCap(); ++c)
        if ((amb & (uint64_t{1} << c)) &&
            ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0)
            // Like runc: an ambient capability not in permitted+inheritable is skipped.
            log::debug("cannot raise ambient CAP_{}: {}", kNames[c], std::strerror(errno));
}

}  // namespace hutch::runtime
