// Seccomp (runtime-spec config-linux.md "Seccomp"): linux.seccomp parsed, compiled with
// libseccomp to a BPF program in the runtime parent, and loaded in the child as the last
// step before exec (or just before the user switch when noNewPrivileges is false, as runc
// and crun do: loading a filter without no_new_privs needs CAP_SYS_ADMIN, which the
// container's capability set usually drops).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hutch::runtime {

/// One linux.seccomp.syscalls[].args[] condition. op: SCMP_CMP_NE|LT|LE|EQ|GE|GT|MASKED_EQ.
struct SeccompArg {
    uint32_t index = 0;
    uint64_t value = 0, valueTwo = 0;
    std::string op;
};

/// One linux.seccomp.syscalls[] entry.
struct SeccompRule {
    std::vector<std::string> names;
    std::string action;               ///< SCMP_ACT_*
    std::optional<uint32_t> errnoRet; ///< for SCMP_ACT_ERRNO/TRACE; default EPERM
    std::vector<SeccompArg> args;
};

/// linux.seccomp.
struct Seccomp {
    std::string defaultAction;
    std::optional<uint32_t> defaultErrnoRet;
    std::vector<std::string> architectures;  ///< SCMP_ARCH_*; the native one is always in
    std::vector<std::string> flags;          ///< SECCOMP_FILTER_FLAG_LOG|SPEC_ALLOW|TSYNC
    std::vector<SeccompRule> syscalls;
};

/// Parses a linux.seccomp object. `where` names the file/field in errors. Throws
/// ConfigError on ill-typed fields, a missing defaultAction or names.
Seccomp parseSeccomp(const nlohmann::json& j, const std::string& where);

/// A compiled filter: the raw `struct sock_filter` array plus seccomp(2) flags.
struct SeccompProgram {
    std::string bpf;         ///< sizeof(struct sock_filter) * n bytes
    unsigned int flags = 0;  ///< SECCOMP_FILTER_FLAG_*
};

/// Compiles `s` with libseccomp (seccomp_export_bpf into memory). Unknown syscall names are
/// skipped (debug log), as crun does; a rule whose action equals the default is skipped.
/// Throws InvalidArgument on an unknown action, operator, architecture or flag (including
/// SCMP_ACT_NOTIFY, which needs a listener hutch does not have), Error on libseccomp failures.
SeccompProgram compileSeccomp(const Seccomp& s);

/// compileSeccomp with an on-disk cache of compiled programs in `cacheDir` (created 0700 if
/// missing; "" = no cache). The file name is the sha256 of the filter as parsed plus the
/// libseccomp version and native architecture, so a changed profile or library never reuses a
/// stale program. A missing, unreadable or malformed cache file is recompiled; a cache that
/// cannot be written is only logged (debug). Throws what compileSeccomp throws.
SeccompProgram compileSeccompCached(const Seccomp& s, const std::string& cacheDir);

/// Child side: loads `p` with seccomp(SECCOMP_SET_MODE_FILTER) (prctl fallback when no flags).
/// Needs no_new_privs or CAP_SYS_ADMIN. Throws SysError.
void loadSeccomp(const SeccompProgram& p);

/// libseccomp's pseudo-filter text for `s` (seccomp_export_pfc), for tests and debugging.
std::string seccompPfc(const Seccomp& s);

}  // namespace hutch::runtime
