// The container process itself (config.md "Process"): rlimits, user, cwd, executable
// lookup and exec. Child side, after pivot_root.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hutch/runtime/spec.hpp"

namespace hutch::runtime {

/// RLIMIT_* name -> resource number; nullopt if unknown.
std::optional<int> rlimitFromName(const std::string& name);

/// Applies process.rlimits. A limit above the current hard limit that cannot be raised
/// (no CAP_SYS_RESOURCE) is clamped to it, with a debug log; never fails for that.
/// Throws InvalidArgument on an unknown type, SysError on other failures.
void applyRlimits(const std::vector<Rlimit>& rlimits);

/// setgroups(additionalGids), setresgid(gid), setresuid(uid), umask. Throws SysError.
void switchUser(const Process& p);

/// chdir(process.cwd). With `create` (the container's init, as runc and podman do), missing
/// directories are made first (0755; those made are given to `owner` uid:gid, as podman gives
/// a created workdir to the container's user); else a missing one is an error (exec). Runs
/// after pivot_root, so the path cannot leave the rootfs. Throws SysError.
void enterCwd(const std::string& cwd, bool create = false, std::pair<uid_t, gid_t> owner = {0, 0});

/// Value of NAME in a KEY=VALUE list; nullopt if absent.
std::optional<std::string> envValue(const std::vector<std::string>& env, const std::string& name);

/// Finds the program to exec as execvp would, but with PATH from `env` (the container's),
/// default "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin". A name with a '/'
/// is used as is. Throws CommandError(127, "<cmd>: executable file not found in $PATH")
/// or CommandError(127, "<cmd>: no such file or directory").
std::string lookupExecutable(const std::string& cmd, const std::vector<std::string>& env);

/// Writes linux.sysctl entries to /proc/sys. Throws SysError naming the key.
void applySysctl(const std::vector<std::pair<std::string, std::string>>& sysctl);

/// Writes /proc/self/oom_score_adj (process.oomScoreAdj, -1000..1000). Throws SysError:
/// lowering it below the current value needs CAP_SYS_RESOURCE over the host.
void applyOomScoreAdj(int value);

}  // namespace hutch::runtime
