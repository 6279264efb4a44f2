// End-to-end test harness: runs the real `hutch` binary as the unprivileged test user.
//
// The e2e tests run as root (scripts/test.sh) and drop to HUTCH_TEST_USER for every hutch
// command, following the rootless recipe in ../shared/ENVIRONMENT.md: each test gets a fresh
// Sandbox (a temp dir owned by the user holding HOME, XDG_CONFIG_HOME=$HOME/.config with a
// registries.conf for the test registry, XDG_DATA_HOME=$HOME/.local/share, XDG_RUNTIME_DIR,
// and hutch's --root/--runroot), so runs never touch each other or the user's real store.
// The user's registries.conf replaces the system one and its registries.conf.d drop-ins (as
// in containers/image), so Debian's shortnames.conf aliases (busybox -> docker.io) do not apply.
//
// Environment (set by scripts/test.sh; a missing one FAILS the test, it never skips):
//   HUTCH_TEST_REGISTRY     address of the seeded local registry, e.g. 127.0.0.1:5000
//   HUTCH_TEST_USER         user with a /etc/subuid + /etc/subgid range
//   HUTCH_TEST_NOSUB_USER   user without any range (negative tests)
//   HUTCH_TEST_BIG          optional: "big:latest" when the registry holds the 200 MiB image
//   HUTCH_E2E_KEEP=1        optional: keep sandboxes for debugging
//   HUTCH_E2E_BINARY        optional: run another binary instead of HUTCH_BINARY (e.g.
//                           tests/e2e/podman-shim.sh, to check the expectations against podman)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hutch::e2e {

namespace fs = std::filesystem;

/// The test environment from the variables above. FAILs the running test (Catch2) with a
/// message saying to run scripts/test.sh if a required variable is missing, the caller is not
/// root or the hutch binary (HUTCH_BINARY) does not exist.
struct TestEnv {
    std::string registry;   ///< e.g. 127.0.0.1:5000
    std::string user;       ///< HUTCH_TEST_USER
    std::string nosubUser;  ///< HUTCH_TEST_NOSUB_USER
    std::string bigImage;   ///< HUTCH_TEST_BIG, empty when not seeded
};
const TestEnv& testEnv();

/// The binary under test: $HUTCH_E2E_BINARY if set, else HUTCH_BINARY (build/hutch).
std::string hutchBinary();

/// The seeded systemd image (HUTCH_TEST_SYSTEMD_IMAGE), or "" with a Catch2 warning when
/// scripts/test.sh was told not to build it (HUTCH_TEST_NO_SYSTEMD=1): the caller returns.
/// FAILs as testEnv() when the harness environment is missing.
std::string systemdImage();

/// Outcome of one hutch invocation.
struct Result {
    std::string cmd;        ///< the command line, for messages
    int rc = -1;            ///< exit code; 128+N when killed by signal N; -1 on timeout
    bool timedOut = false;
    std::string out;        ///< captured stdout
    std::string err;        ///< captured stderr
    /// Multi-line description (command, exit code, stdout, stderr) for failure messages.
    std::string describe() const;
};

/// A hutch process started in the background in its own process group.
class Child {
public:
    Child(std::string cmd, pid_t pid, int outFd, int errFd);
    Child(Child&&) noexcept;
    Child& operator=(Child&&) = delete;
    ~Child();  ///< SIGKILLs the process group and reaps it if still running
    pid_t pid() const { return pid_; }
    /// Sends `sig` to the whole process group (hutch and its session/namespace children).
    void killGroup(int sig);
    /// Waits up to `timeout` for exit (then SIGKILLs the group), draining stdout/stderr.
    Result wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));

private:
    std::string cmd_;
    pid_t pid_;
    int outFd_, errFd_;
    bool reaped_ = false;
};

struct RunOptions {
    std::chrono::milliseconds timeout = std::chrono::seconds(120);
    bool storeFlags = true;              ///< prepend --root/--runroot into the sandbox
    std::vector<std::string> extraEnv;   ///< "NAME=value" added to the environment
    bool delegatedCgroup = true;         ///< start hutch in the user's delegated cgroup2 subtree
    std::string stdinFile;               ///< hutch's stdin: this file ("" = /dev/null)
    /// hutch's stdin, stdout and stderr are a new pseudo-terminal (its controlling terminal,
    /// in a session of its own), as in an interactive shell; what it prints is Result::out.
    /// Nothing is typed into it (stdinFile is not used).
    bool pty = false;
    /// Run this program (absolute path) instead of hutch, with the sandbox's user and
    /// environment and without the store flags: a tool that drives hutch as `podman`
    /// (distrobox, autopkgtest) after Sandbox::podmanShimDir() is put first in PATH.
    std::string program;

    /// Options with only the timeout changed.
    static RunOptions withTimeout(std::chrono::milliseconds t) {
        RunOptions o;
        o.timeout = t;
        return o;
    }
};

/// A per-test temporary world for one user (see the file comment). Not copyable.
class Sandbox {
public:
    /// Creates the sandbox for `user` (default: HUTCH_TEST_USER) with a registries.conf whose
    /// only unqualified-search registry is the test registry (insecure = plain http).
    explicit Sandbox(std::optional<std::string> user = std::nullopt);
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;
    ~Sandbox();  ///< removes the directory unless HUTCH_E2E_KEEP=1

    const fs::path& dir() const { return dir_; }
    fs::path home() const { return dir_ / "home"; }
    fs::path configHome() const { return home() / ".config"; }
    fs::path registriesConf() const { return configHome() / "containers" / "registries.conf"; }
    fs::path storageRoot() const { return dir_ / "root"; }
    fs::path runRoot() const { return dir_ / "runroot"; }
    uid_t uid() const { return uid_; }
    const std::string& user() const { return user_; }

    /// Writes `text` to `path` (creating parents), owned by the sandbox user, mode 0644.
    void writeFile(const fs::path& path, const std::string& text) const;
    /// Replaces the sandbox registries.conf.
    void writeRegistriesConf(const std::string& text) const { writeFile(registriesConf(), text); }

    /// A directory (in the sandbox, created on first use) holding `podman`: a script that runs
    /// the binary under test with this sandbox's --root and --runroot, so tools that drive
    /// podman drive it.
    fs::path podmanShimDir() const;

    /// Runs `hutch ARGS...` as the user and waits for it.
    Result hutch(const std::vector<std::string>& args, const RunOptions& opt = {}) const;
    /// Starts `hutch ARGS...` as the user in the background (own process group).
    Child spawn(const std::vector<std::string>& args, const RunOptions& opt = {}) const;

private:
    std::string user_;
    uid_t uid_;
    gid_t gid_;
    fs::path dir_;
};

/// The default registries.conf text for `registry`: unqualified search + insecure entry.
std::string registriesConfFor(const std::string& registry);

/// `hutch run -d ARGS...` in `sb`: REQUIREs exit 0 and a container id on the last line of
/// stdout, and returns that id.
std::string runDetached(const Sandbox& sb, const std::vector<std::string>& args);

/// `hutch ARGS...` in `sb`: REQUIREs exit 0 and returns the Result.
Result hutchOk(const Sandbox& sb, const std::vector<std::string>& args, const RunOptions& opt = {});
/// Text of the file at `p` ("" when it cannot be read).
std::string readFile(const fs::path& p);
/// Writes `files` (relative path -> content) into the new directory `sb.dir()/name` (a build
/// context, a source tree) and returns it.
fs::path writeTree(const Sandbox& sb, const std::string& name, const std::vector<std::pair<std::string, std::string>>& files);

/// True when `s` (after trimming) is 64 lowercase hex digits.
bool isHexId(const std::string& s);
/// True when `hay` contains `needle`.
inline bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }
/// `hutch pull -q NAME` in `sb`: REQUIREs exit 0 and an image id, which it returns.
std::string pullOk(const Sandbox& sb, const std::string& name);
/// Runs `cmd` through /bin/sh as root on the host (podman, skopeo as references) and
/// returns its stdout; REQUIREs exit 0 (the command and its output are the failure message).
std::string hostCommand(const std::string& cmd);
/// A tag unlikely to exist yet in the shared test registry ("t" + random digits).
std::string uniqueTag();
/// Last non-empty line of `s`, trimmed.
std::string lastLine(const std::string& s);
/// Lines of `s`, without the newlines; a trailing newline gives no empty last line.
std::vector<std::string> lines(const std::string& s);

/// Host pids (from /proc) of processes whose argv equals `argv` exactly (use a unique argv).
std::vector<pid_t> findProcesses(const std::vector<std::string>& argv);
/// The real uid from /proc/<pid>/status ("Uid:" first field), or -1 if unreadable.
long hostUidOf(pid_t pid);

}  // namespace hutch::e2e

/// REQUIRE that a Result has exit code `code`, printing the full Result when it does not.
/// `r` is evaluated once (a `sb.hutch(...)` argument runs its command once).
#define REQUIRE_RC(r, code)                       \
    do {                                          \
        const auto& rcResult_ = (r);              \
        INFO(rcResult_.describe());               \
        REQUIRE(rcResult_.rc == (code));          \
    } while (0)

/// CHECK `cond` with the Result printed on failure.
#define CHECK_R(r, ...)                           \
    do {                                          \
        INFO((r).describe());                     \
        CHECK(__VA_ARGS__);                       \
    } while (0)
