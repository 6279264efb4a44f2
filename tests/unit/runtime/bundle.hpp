// Test helpers: a busybox rootfs + config.json bundle, and running `__runtime run` in a
// forked child with captured output.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rtest {

/// A temporary bundle: DIR/config.json and DIR/rootfs with static busybox and its applets.
struct Bundle {
    std::string dir;
    nlohmann::json config;
    explicit Bundle(const std::string& tag = "rt");
    ~Bundle();
    std::string rootfs() const { return dir + "/rootfs"; }
    void setArgs(const std::vector<std::string>& args) { config["process"]["args"] = args; }
    void write() const;  ///< writes config.json
    /// chown -R the bundle to uid:gid (for the rootless tests).
    void chownAll(uid_t uid, gid_t gid) const;
};

/// Minimal spec-valid config (namespaces pid/mount/ipc/uts/cgroup, podman-like mounts,
/// devices, masked and readonly paths, podman's default capabilities).
nlohmann::json defaultConfig();

struct RunResult {
    int exitCode = -1;     ///< exit status of the forked runtime process
    std::string out, err;  ///< container/runtime stdout and stderr
    std::string status;    ///< the --status-fd line
    std::string pidFile;   ///< content of --pid-file
};

/// Runs runtimeMain in a forked child with `extraArgs` prepended to "--bundle DIR ID".
/// `stdinData` is fed to the container's stdin (then closed). `inChild` runs first in the
/// forked child (e.g. to drop privileges); `whileRunning` runs in the test after the pid
/// file appears, with the host pid. Times out (kills) after `timeoutSec`.
RunResult runBundle(const Bundle& b, const std::string& stdinData = "",
                    const std::function<void()>& inChild = nullptr,
                    const std::function<void(pid_t)>& whileRunning = nullptr, int timeoutSec = 20);

/// uid/gid of the test user (HUTCH_TEST_USER or "hutchtest"); false if absent.
bool testUser(uid_t& uid, gid_t& gid, std::string& name);

/// "Uid:" real uid of a host process from /proc/PID/status; -1 if unknown.
long hostUidOf(pid_t pid);

}  // namespace rtest
