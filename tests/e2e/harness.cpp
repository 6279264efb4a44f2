// Implementation of the e2e harness (see harness.hpp).
#include "harness.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

namespace hutch::e2e {

namespace {

const char* kRunTestSh =
    "run the e2e tests through scripts/test.sh (as root), which sets up the host, the test "
    "users and the seeded registry, and exports HUTCH_TEST_REGISTRY, HUTCH_TEST_USER and "
    "HUTCH_TEST_NOSUB_USER";

std::string envOr(const char* name, const char* dflt = "") {
    const char* v = std::getenv(name);
    return v ? v : dflt;
}

void chownOrThrow(const fs::path& p, uid_t uid, gid_t gid) {
    if (::lchown(p.c_str(), uid, gid) != 0)
        throw std::runtime_error("chown " + p.string() + ": " + std::strerror(errno));
}

std::string readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The delegated cgroup2 subtree written by scripts/setup-host.sh, if any.
std::string delegatedCgroup() {
    std::string p = envOr("HUTCH_TEST_CGROUP");
    if (p.empty()) p = readAll("/run/hutch-test/cgroup");
    while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) p.pop_back();
    return p;
}

}  // namespace

std::string systemdImage() {
    testEnv();
    const char* v = std::getenv("HUTCH_TEST_SYSTEMD_IMAGE");
    if (!v || !*v) WARN("HUTCH_TEST_SYSTEMD_IMAGE is not set (HUTCH_TEST_NO_SYSTEMD=1?): systemd tests not run");
    return v ? v : "";
}

std::string hutchBinary() {
    std::string b = envOr("HUTCH_E2E_BINARY");
    return b.empty() ? std::string(HUTCH_BINARY) : b;
}

const TestEnv& testEnv() {
    static std::optional<TestEnv> env;
    if (env) return *env;
    TestEnv e;
    e.registry = envOr("HUTCH_TEST_REGISTRY");
    e.user = envOr("HUTCH_TEST_USER");
    e.nosubUser = envOr("HUTCH_TEST_NOSUB_USER");
    e.bigImage = envOr("HUTCH_TEST_BIG");
    if (e.registry.empty()) FAIL("HUTCH_TEST_REGISTRY is not set: " << kRunTestSh);
    if (e.user.empty()) FAIL("HUTCH_TEST_USER is not set: " << kRunTestSh);
    if (e.nosubUser.empty()) FAIL("HUTCH_TEST_NOSUB_USER is not set: " << kRunTestSh);
    if (::geteuid() != 0) FAIL("the e2e tests must run as root (they drop to the test user): "
                               << kRunTestSh);
    if (::access(hutchBinary().c_str(), X_OK) != 0)
        FAIL("hutch binary " << hutchBinary() << " is missing or not executable: build it ("
                             << "cmake --build) or " << kRunTestSh);
    env = e;
    return *env;
}

// ------------------------------------------------------------------------------ Result

std::string Result::describe() const {
    std::ostringstream os;
    os << "$ " << cmd << "\nexit code: " << rc << (timedOut ? " (TIMED OUT, killed)" : "")
       << "\n--- stdout ---\n" << out << "\n--- stderr ---\n" << err << "\n--------------";
    return os.str();
}

// ------------------------------------------------------------------------------ Child

Child::Child(std::string cmd, pid_t pid, int outFd, int errFd)
    : cmd_(std::move(cmd)), pid_(pid), outFd_(outFd), errFd_(errFd) {}

Child::Child(Child&& o) noexcept
    : cmd_(std::move(o.cmd_)), pid_(o.pid_), outFd_(o.outFd_), errFd_(o.errFd_),
      reaped_(o.reaped_) {
    o.reaped_ = true;
    o.outFd_ = o.errFd_ = -1;
}

Child::~Child() {
    if (!reaped_) {
        ::kill(-pid_, SIGKILL);
        int st;
        ::waitpid(pid_, &st, 0);
    }
    if (outFd_ >= 0) ::close(outFd_);
    if (errFd_ >= 0) ::close(errFd_);
}

void Child::killGroup(int sig) {
    if (!reaped_) ::kill(-pid_, sig);
}

Result Child::wait(std::chrono::milliseconds timeout) {
    using clock = std::chrono::steady_clock;
    Result r;
    r.cmd = cmd_;
    const auto deadline = clock::now() + timeout;
    std::optional<clock::time_point> exitedAt;
    int status = 0;
    char buf[65536];
    while (outFd_ >= 0 || errFd_ >= 0) {
        if (!reaped_) {
            pid_t w = ::waitpid(pid_, &status, WNOHANG);
            if (w == pid_) {
                reaped_ = true;
                exitedAt = clock::now();
            }
        }
        // A container process that outlives hutch may hold the pipes open: stop reading 2 s
        // after hutch exited.
        if (exitedAt && clock::now() - *exitedAt > std::chrono::seconds(2)) break;
        if (!reaped_ && clock::now() > deadline) {
            r.timedOut = true;
            ::kill(-pid_, SIGKILL);
        }
        pollfd fds[2] = {{outFd_, POLLIN, 0}, {errFd_, POLLIN, 0}};
        int n = ::poll(fds, 2, 100);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            int& fd = i == 0 ? outFd_ : errFd_;
            if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t k = ::read(fd, buf, sizeof buf);
            if (k > 0) {
                (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(k));
            } else if (k == 0 || errno != EINTR) {
                ::close(fd);
                fd = -1;
            }
        }
    }
    if (!reaped_) {
        // Output closed but the process is still running: wait for it up to the deadline.
        while (true) {
            pid_t w = ::waitpid(pid_, &status, WNOHANG);
            if (w == pid_) break;
            if (clock::now() > deadline) {
                r.timedOut = true;
                ::kill(-pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            ::usleep(20000);
        }
        reaped_ = true;
    }
    if (WIFEXITED(status)) r.rc = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) r.rc = 128 + WTERMSIG(status);
    if (r.timedOut) r.rc = -1;
    return r;
}

// ------------------------------------------------------------------------------ Sandbox

std::string registriesConfFor(const std::string& registry) {
    return "unqualified-search-registries = [\"" + registry + "\"]\n\n[[registry]]\nlocation = \"" +
           registry + "\"\ninsecure = true\n";
}

Sandbox::Sandbox(std::optional<std::string> user) {
    const TestEnv& env = testEnv();
    user_ = user.value_or(env.user);
    const passwd* pw = ::getpwnam(user_.c_str());
    if (!pw) FAIL("user " << user_ << " does not exist: " << kRunTestSh);
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;

    std::string base = envOr("HUTCH_E2E_TMPDIR", "/var/tmp");
    std::string tmpl = base + "/hutch-e2e-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) FAIL("mkdtemp " << tmpl << ": " << std::strerror(errno));
    dir_ = buf.data();
    ::chmod(dir_.c_str(), 0755);
    chownOrThrow(dir_, uid_, gid_);
    for (const char* sub : {"home", "home/.config", "home/.config/containers", "home/.local",
                            "home/.local/share", "run", "root", "runroot"}) {
        fs::create_directory(dir_ / sub);
        chownOrThrow(dir_ / sub, uid_, gid_);
    }
    ::chmod((dir_ / "run").c_str(), 0700);
    writeRegistriesConf(registriesConfFor(env.registry));
}

Sandbox::~Sandbox() {
    // Detached containers a failed test left behind: their monitors and runtimes name the
    // sandbox in their command lines (--root / --bundle); killing the runtime kills the
    // container (its init has the runtime's death signal).
    if (DIR* proc = ::opendir("/proc")) {
        const std::string mine = dir_.string() + "/";
        while (dirent* e = ::readdir(proc)) {
            pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
            if (pid <= 1) continue;
            std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
            std::string cmd((std::istreambuf_iterator<char>(f)), {});
            bool hutchHelper = cmd.find("__monitor") != std::string::npos || cmd.find("__runtime") != std::string::npos;
            if (hutchHelper && cmd.find(mine) != std::string::npos) ::kill(pid, SIGKILL);
        }
        ::closedir(proc);
    }
    // The sandbox's rootless session (hutch's pause process, recorded in its runtime dir)
    // would outlive the test: end it.
    std::ifstream pauseRec(dir_ / "run" / "hutch" / "pause.pid");
    long pausePid = 0;
    if (pauseRec >> pausePid && pausePid > 1) ::kill(static_cast<pid_t>(pausePid), SIGKILL);
    if (envOr("HUTCH_E2E_KEEP") == "1") return;
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void Sandbox::writeFile(const fs::path& path, const std::string& text) const {
    fs::create_directories(path.parent_path());
    {
        std::ofstream o(path, std::ios::binary | std::ios::trunc);
        o << text;
        if (!o) FAIL("cannot write " << path);
    }
    ::chmod(path.c_str(), 0644);
    chownOrThrow(path, uid_, gid_);
    for (fs::path p = path.parent_path(); p.string().size() > dir_.string().size();
         p = p.parent_path())
        chownOrThrow(p, uid_, gid_);
}

fs::path Sandbox::podmanShimDir() const {
    fs::path bin = dir_ / "podman-shim";
    std::string script = "#!/bin/sh\nexec '" + hutchBinary() + "' --root '" + storageRoot().string() + "' --runroot '" +
                         runRoot().string() + "' \"$@\"\n";
    writeFile(bin / "podman", script);
    fs::permissions(bin / "podman", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
    return bin;
}

Child Sandbox::spawn(const std::vector<std::string>& args, const RunOptions& opt) const {
    std::vector<std::string> argv{opt.program.empty() ? hutchBinary() : opt.program};
    if (opt.storeFlags && opt.program.empty()) {
        argv.insert(argv.end(), {"--root", storageRoot().string(), "--runroot",
                                 runRoot().string()});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    std::string cmd = "[as " + user_ + "]";
    for (const auto& a : argv) cmd += " " + (a.find(' ') != std::string::npos ? "'" + a + "'" : a);

    std::vector<std::string> envv{
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=" + home().string(),
        "USER=" + user_,
        "LOGNAME=" + user_,
        "LANG=C.UTF-8",
        "XDG_RUNTIME_DIR=" + (dir_ / "run").string(),
        "XDG_CONFIG_HOME=" + configHome().string(),
        "XDG_DATA_HOME=" + (home() / ".local" / "share").string(),
    };
    for (const char* pass : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
        if (const char* v = std::getenv(pass)) envv.push_back(std::string(pass) + "=" + v);
    for (const auto& e : opt.extraEnv) {  // an extra NAME=value replaces the default NAME
        std::string name = e.substr(0, e.find('=') + 1);
        auto same = std::find_if(envv.begin(), envv.end(), [&](const std::string& d) { return d.rfind(name, 0) == 0; });
        if (same != envv.end())
            *same = e;
        else
            envv.push_back(e);
    }

    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (auto& e : envv) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);

    const std::string cgroupProcs = [&] {
        std::string cg = opt.delegatedCgroup ? delegatedCgroup() : std::string();
        return cg.empty() ? std::string() : cg + "/cgroup.procs";
    }();
    const std::string homeDir = home().string();
    const std::string stdinPath = opt.stdinFile.empty() ? std::string("/dev/null") : opt.stdinFile;

    int outp[2], errp[2];
    if (::pipe2(outp, O_CLOEXEC) != 0 || ::pipe2(errp, O_CLOEXEC) != 0)
        FAIL("pipe: " << std::strerror(errno));
    std::string ptyPath;
    if (opt.pty) {
        int m = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0 || ::grantpt(m) != 0 || ::unlockpt(m) != 0 || !::ptsname(m)) FAIL("pty: " << std::strerror(errno));
        ptyPath = ::ptsname(m);
        ::close(outp[0]);
        outp[0] = m;  // the terminal's output is read as stdout
    }
    pid_t pid = ::fork();
    if (pid < 0) FAIL("fork: " << std::strerror(errno));
    if (pid == 0) {
        // Child: own process group (so the test can kill hutch and its session child
        // together), stdio, delegated cgroup, drop to the user, exec.
        if (!ptyPath.empty()) {
            // A session of its own whose controlling terminal is the pty (pgid = pid, too).
            ::setsid();
            int t = ::open(ptyPath.c_str(), O_RDWR);
            if (t < 0 || ::ioctl(t, TIOCSCTTY, 0) != 0) {
                dprintf(2, "e2e harness: open %s: %s\n", ptyPath.c_str(), std::strerror(errno));
                ::_exit(250);
            }
            ::dup2(t, 0);
            ::dup2(t, 1);
            ::dup2(t, 2);
            if (t > 2) ::close(t);
        } else {
            ::setpgid(0, 0);
            int in = ::open(stdinPath.c_str(), O_RDONLY);
            if (in < 0) {
                dprintf(2, "e2e harness: open %s: %s\n", stdinPath.c_str(), std::strerror(errno));
                ::_exit(250);
            }
            ::dup2(in, 0);
            ::dup2(outp[1], 1);
            ::dup2(errp[1], 2);
        }
        if (!cgroupProcs.empty()) {
            int fd = ::open(cgroupProcs.c_str(), O_WRONLY);
            if (fd >= 0) {
                (void)!::write(fd, "0", 1);
                ::close(fd);
            }
        }
        auto die = [](const char* what) {
            dprintf(2, "e2e harness: %s: %s\n", what, std::strerror(errno));
            ::_exit(250);
        };
        if (::chdir(homeDir.c_str()) != 0) die("chdir");
        if (::setgroups(1, &gid_) != 0) die("setgroups");
        if (::setgid(gid_) != 0) die("setgid");
        if (::setuid(uid_) != 0) die("setuid");
        ::execve(cargv[0], cargv.data(), cenv.data());
        die("execve");
    }
    // Also from the parent, so killGroup works immediately (not for a pty child: it makes
    // its own session, which setsid() refuses to a process group leader).
    if (ptyPath.empty()) ::setpgid(pid, pid);
    ::close(outp[1]);
    ::close(errp[1]);
    return Child(cmd, pid, outp[0], errp[0]);
}

Result Sandbox::hutch(const std::vector<std::string>& args, const RunOptions& opt) const {
    Child c = spawn(args, opt);
    return c.wait(opt.timeout);
}

// ------------------------------------------------------------------------------ helpers

std::string runDetached(const Sandbox& sb, const std::vector<std::string>& args) {
    std::vector<std::string> all{"run", "-d"};
    all.insert(all.end(), args.begin(), args.end());
    Result r = sb.hutch(all);
    REQUIRE_RC(r, 0);
    std::string id = lastLine(r.out);
    REQUIRE(isHexId(id));
    return id;
}

Result hutchOk(const Sandbox& sb, const std::vector<std::string>& args, const RunOptions& opt) {
    Result r = sb.hutch(args, opt);
    REQUIRE_RC(r, 0);
    return r;
}

std::string readFile(const fs::path& p) { return readAll(p.string()); }

fs::path writeTree(const Sandbox& sb, const std::string& name, const std::vector<std::pair<std::string, std::string>>& files) {
    fs::path dir = sb.dir() / name;
    for (const auto& [p, text] : files) sb.writeFile(dir / p, text);
    return dir;
}

bool isHexId(const std::string& s0) {
    std::string s = s0;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == '\n') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string pullOk(const Sandbox& sb, const std::string& name) {
    Result r = sb.hutch({"pull", "-q", name});
    REQUIRE_RC(r, 0);
    REQUIRE(isHexId(lastLine(r.out)));
    return lastLine(r.out);
}

std::string hostCommand(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int rc = ::pclose(p);
    INFO(cmd << "\n" << out);
    REQUIRE(rc == 0);
    return out;
}

std::string uniqueTag() {
    std::random_device rd;
    return "t" + std::to_string(rd() % 1000000000);
}

std::string lastLine(const std::string& s) {
    auto ls = lines(s);
    for (auto it = ls.rbegin(); it != ls.rend(); ++it) {
        std::string t = *it;
        while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
        size_t b = t.find_first_not_of(" \t\r");
        if (b != std::string::npos) return t.substr(b);
    }
    return "";
}

namespace {

std::vector<std::string> cmdlineOf(pid_t pid) {
    std::string raw = readAll("/proc/" + std::to_string(pid) + "/cmdline");
    std::vector<std::string> out;
    std::string cur;
    for (char c : raw) {
        if (c == '\0') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

long statusField(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
    return -1;
}

}  // namespace

long hostUidOf(pid_t pid) { return statusField(pid, "Uid"); }

std::vector<pid_t> findProcesses(const std::vector<std::string>& argv) {
    std::vector<pid_t> found;
    for (const auto& ent : fs::directory_iterator("/proc")) {
        const std::string name = ent.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        if (cmdlineOf(pid) == argv) found.push_back(pid);
    }
    return found;
}

}  // namespace hutch::e2e
