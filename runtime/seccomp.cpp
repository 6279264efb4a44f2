#include "hutch/runtime/seccomp.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::runtime {

using nlohmann::json;

namespace {

template <typename T>
T field(const json& j, const char* key, const std::string& where, T def = T{}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    try {
        return it->template get<T>();
    } catch (const json::exception& e) {
        throw ConfigError(where, 0, std::string("linux.seccomp: ") + key + ": wrong type (" + e.what() + ")");
    }
}

std::optional<uint32_t> optU32(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    return field<uint32_t>(j, key, where);
}

uint32_t actionOf(const std::string& name, std::optional<uint32_t> errnoRet) {
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errnoRet.value_or(EPERM));
    if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errnoRet.value_or(EPERM));
    if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_NOTIFY")
        throw InvalidArgument("linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath, which hutch does not support");
    throw InvalidArgument("linux.seccomp: unknown action \"" + name + "\"");
}

scmp_compare opOf(const std::string& op) {
    static const std::map<std::string, scmp_compare> t = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    auto it = t.find(op);
    if (it == t.end()) throw InvalidArgument("linux.seccomp: unknown argument operator \"" + op + "\"");
    return it->second;
}

uint32_t archOf(const std::string& name) {
    std::string n = name;
    if (n.rfind("SCMP_ARCH_", 0) == 0) n = n.substr(10);
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    uint32_t a = seccomp_arch_resolve_name(n.c_str());
    if (a == 0) throw InvalidArgument("linux.seccomp: unknown architecture \"" + name + "\"");
    return a;
}

unsigned int flagOf(const std::string& f) {
    if (f == "SECCOMP_FILTER_FLAG_LOG") return SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (f == "SECCOMP_FILTER_FLAG_TSYNC") return 0;  // the child is single-threaded
    throw InvalidArgument("linux.seccomp: unsupported flag \"" + f + "\"");
}

struct CtxDeleter {
    void operator()(void* c) const { seccomp_release(c); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

void checkScmp(int rc, const std::string& what) {
    if (rc < 0) throw Error("libseccomp: " + what + ": " + std::strerror(-rc));
}

Ctx buildFilter(const Seccomp& s) {
    uint32_t def = actionOf(s.defaultAction, s.defaultErrnoRet);
    Ctx ctx(seccomp_init(def));
    if (!ctx) throw Error("libseccomp: seccomp_init failed");
    // The runtime sets no_new_privs itself (process.noNewPrivileges).
    checkScmp(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "disable NNP attribute");
    for (const auto& a : s.architectures) {
        int rc = seccomp_arch_add(ctx.get(), archOf(a));
        if (rc < 0 && rc != -EEXIST) checkScmp(rc, "add architecture " + a);
    }
    for (const auto& r : s.syscalls) {
        uint32_t act = actionOf(r.action, r.errnoRet);
        if (act == def) {
            log::debug("seccomp: rule for {} has the default action; skipped", r.names.empty() ? "" : r.names[0]);
            continue;
        }
        std::vector<scmp_arg_cmp> cmps;
        std::set<uint32_t> indexes;
        bool repeated = false;
        for (const auto& a : r.args) {
            if (a.index > 5) throw InvalidArgument("linux.seccomp: argument index " + std::to_string(a.index) + " > 5");
            repeated |= !indexes.insert(a.index).second;
            cmps.push_back(scmp_arg_cmp{a.index, opOf(a.op), a.value, a.valueTwo});
        }
        for (const auto& name : r.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                log::debug("seccomp: unknown syscall \"{}\"; skipped", name);
                continue;
            }
            auto add = [&](const scmp_arg_cmp* c, unsigned int n) {
                int rc = seccomp_rule_add_array(ctx.get(), act, nr, n, c);
                if (rc < 0) checkScmp(rc, "add rule for " + name);
            };
            if (!repeated) {
                add(cmps.data(), static_cast<unsigned int>(cmps.size()));
            } else {
                // libseccomp refuses two conditions on one argument in a rule; like runc,
                // make one rule per condition (any of them matches).
                for (const auto& c : cmps) add(&c, 1);
            }
        }
    }
    return ctx;
}

std::string readBack(int fd) {
    std::string out;
    ::lseek(fd, 0, SEEK_SET);
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (n < 0) throw SysError(errno, "read back the seccomp filter");
    return out;
}

}  // namespace

Seccomp parseSeccomp(const json& j, const std::string& where) {
    if (!j.is_object()) throw ConfigError(where, 0, "linux.seccomp must be an object");
    Seccomp s;
    s.defaultAction = field<std::string>(j, "defaultAction", where);
    if (s.defaultAction.empty()) throw ConfigError(where, 0, "linux.seccomp.defaultAction is required");
    s.defaultErrnoRet = optU32(j, "defaultErrnoRet", where);
    s.architectures = field<std::vector<std::string>>(j, "architectures", where);
    s.flags = field<std::vector<std::string>>(j, "flags", where);
    if (!field<std::string>(j, "listenerPath", where).empty())
        throw ConfigError(where, 0, "linux.seccomp.listenerPath is not supported");
    auto it = j.find("syscalls");
    if (it != j.end() && !it->is_null()) {
        if (!it->is_array()) throw ConfigError(where, 0, "linux.seccomp.syscalls must be an array");
        for (const auto& r : *it) {
            SeccompRule rule;
            rule.names = field<std::vector<std::string>>(r, "names", where);
            if (rule.names.empty()) throw ConfigError(where, 0, "linux.seccomp.syscalls[].names must not be empty");
            rule.action = field<std::string>(r, "action", where);
            if (rule.action.empty()) throw ConfigError(where, 0, "linux.seccomp.syscalls[].action is required");
            rule.errnoRet = optU32(r, "errnoRet", where);
            auto a = r.find("args");
            if (a != r.end() && !a->is_null()) {
                if (!a->is_array()) throw ConfigError(where, 0, "linux.seccomp.syscalls[].args must be an array");
                for (const auto& x : *a)
                    rule.args.push_back({field<uint32_t>(x, "index", where), field<uint64_t>(x, "value", where),
                                         field<uint64_t>(x, "valueTwo", where), field<std::string>(x, "op", where)});
            }
            s.syscalls.push_back(std::move(rule));
        }
    }
    return s;
}

SeccompProgram compileSeccomp(const Seccomp& s) {
    SeccompProgram p;
    for (const auto& f : s.flags) p.flags |= flagOf(f);
    Ctx ctx = buildFilter(s);
    UniqueFd fd(::memfd_create("hutch-seccomp", MFD_CLOEXEC));
    if (!fd) throw SysError(errno, "memfd_create for the seccomp filter");
    checkScmp(seccomp_export_bpf(ctx.get(), fd.get()), "export BPF");
    p.bpf = readBack(fd.get());
    if (p.bpf.empty() || p.bpf.size() % sizeof(struct sock_filter) != 0)
        throw Error("libseccomp exported a malformed filter (" + std::to_string(p.bpf.size()) + " bytes)");
    return p;
}

namespace {

/// A stable text of everything that shapes the compiled program.
std::string cacheKey(const Seccomp& s) {
    json j = {{"defaultAction", s.defaultAction}, {"architectures", s.architectures}, {"flags", s.flags}};
    if (s.defaultErrnoRet) j["defaultErrnoRet"] = *s.defaultErrnoRet;
    json rules = json::array();
    for (const auto& r : s.syscalls) {
        json rj = {{"names", r.names}, {"action", r.action}};
        if (r.errnoRet) rj["errnoRet"] = *r.errnoRet;
        for (const auto& a : r.args)
            rj["args"].push_back({{"index", a.index}, {"value", a.value}, {"valueTwo", a.valueTwo}, {"op", a.op}});
        rules.push_back(std::move(rj));
    }
    j["syscalls"] = std::move(rules);
    const scmp_version* v = seccomp_version();
    j["libseccomp"] = {v->major, v->minor, v->micro};
    j["native"] = seccomp_arch_native();
    return j.dump();
}

}  // namespace

SeccompProgram compileSeccompCached(const Seccomp& s, const std::string& cacheDir) {
    if (cacheDir.empty()) return compileSeccomp(s);
    SeccompProgram p;
    for (const auto& f : s.flags) p.flags |= flagOf(f);
    std::string file = fsutil::join(cacheDir, Digest::sha256Of(cacheKey(s)).encoded + ".bpf");
    try {
        p.bpf = fsutil::readFile(file);
        if (!p.bpf.empty() && p.bpf.size() % sizeof(struct sock_filter) == 0) return p;
        log::debug("seccomp cache: {} is malformed; recompiling", file);
    } catch (const Error&) {
        // Not cached yet.
    }
    p = compileSeccomp(s);
    try {
        fsutil::mkdirAll(cacheDir, 0700);
        fsutil::writeFileAtomic(file, p.bpf, 0600, fsutil::Sync::Volatile);
    } catch (const Error& e) {
        log::debug("seccomp cache: not written: {}", e.what());
    }
    return p;
}

void loadSeccomp(const SeccompProgram& p) {
    struct sock_fprog prog{};
    prog.len = static_cast<unsigned short>(p.bpf.size() / sizeof(struct sock_filter));
    prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(p.bpf.data()));
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &prog) == 0) return;
    int err = errno;
    if (err == ENOSYS && p.flags == 0) {
        checkSys(::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0), "prctl(PR_SET_SECCOMP)");
        return;
    }
    throw SysError(err, "load the seccomp filter (linux.seccomp)");
}

std::string seccompPfc(const Seccomp& s) {
    Ctx ctx = buildFilter(s);
    UniqueFd fd(::memfd_create("hutch-seccomp-pfc", MFD_CLOEXEC));
    if (!fd) throw SysError(errno, "memfd_create for the seccomp filter");
    checkScmp(seccomp_export_pfc(ctx.get(), fd.get()), "export PFC");
    return readBack(fd.get());
}

}  // namespace hutch::runtime
