#include "bundle.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "hutch/runtime/runtime.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace rtest {

namespace {

void writeText(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
}

std::vector<std::string> busyboxApplets() {
    std::vector<std::string> out;
    FILE* p = ::popen("/bin/busybox --list", "r");
    if (!p) throw std::runtime_error("cannot run /bin/busybox --list");
    char line[256];
    while (std::fgets(line, sizeof line, p)) {
        std::string s(line);
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        if (!s.empty()) out.push_back(s);
    }
    ::pclose(p);
    return out;
}

}  // namespace

Bundle::Bundle(const std::string& tag) {
    std::string tmpl = "/tmp/hutch-" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp");
    dir = buf.data();
    ::chmod(dir.c_str(), 0755);
    std::string r = rootfs();
    for (const char* d : {"", "/bin", "/etc", "/proc", "/sys", "/dev", "/tmp", "/root", "/home", "/home/user"})
        fs::create_directories(r + d);
    ::chmod((r + "/tmp").c_str(), 01777);
    fs::copy_file("/bin/busybox", r + "/bin/busybox");
    for (const auto& a : busyboxApplets())
        if (a != "busybox") ::symlink("busybox", (r + "/bin/" + a).c_str());
    writeText(r + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n");
    writeText(r + "/etc/group", "root:x:0:\ntty:x:5:\nwheel:x:10:user\nuser:x:1000:\n");
    writeText(r + "/etc/notexec", "#!/bin/sh\necho nope\n");
    config = defaultConfig();
}

Bundle::~Bundle() {
    std::error_code ec;
    fs::remove_all(dir, ec);
}

void Bundle::write() const { writeText(dir + "/config.json", config.dump(2)); }

void Bundle::chownAll(uid_t uid, gid_t gid) const {
    ::lchown(dir.c_str(), uid, gid);
    for (auto& e : fs::recursive_directory_iterator(dir)) ::lchown(e.path().c_str(), uid, gid);
}

json defaultConfig() {
    json caps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                 "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"};
    auto dev = [](const char* path, int major, int minor) {
        return json{{"path", path}, {"type", "c"}, {"major", major}, {"minor", minor}, {"fileMode", 0666},
                    {"uid", 0}, {"gid", 0}};
    };
    return json{
        {"ociVersion", "1.0.2"},
        {"root", {{"path", "rootfs"}, {"readonly", false}}},
        {"hostname", "testbox"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"sh", "-c", "true"}},
          {"env", {"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=xterm", "HOME=/root"}},
          {"cwd", "/"},
          {"capabilities",
           {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"inheritable", json::array()}}},
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 1048576}, {"hard", 1048576}}}},
          {"noNewPrivileges", true}}},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}, {"options", {"nosuid", "noexec", "nodev"}}},
          {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
          {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
           {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
          {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
           {"options", {"nosuid", "noexec", "nodev"}}},
          {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
           {"options", {"nosuid", "noexec", "nodev", "ro"}}}}},
        {"linux",
         {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "cgroup"}}}},
          {"devices",
           {dev("/dev/null", 1, 3), dev("/dev/zero", 1, 5), dev("/dev/full", 1, 7), dev("/dev/random", 1, 8),
            dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0)}},
          {"maskedPaths", {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/scsi"}},
          {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
    };
}

static std::string readAllFd(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    return s;
}

RunResult runBundle(const Bundle& b, const std::string& stdinData, const std::function<void()>& inChild,
                    const std::function<void(pid_t)>& whileRunning, int timeoutSec) {
    b.write();
    int in[2], out[2], err[2], st[2];
    if (::pipe(in) || ::pipe(out) || ::pipe(err) || ::pipe(st)) throw std::runtime_error("pipe");
    std::string pidFile = b.dir + "/init.pid";
    ::unlink(pidFile.c_str());
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child == 0) {
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], st[0]}) ::close(fd);
        if (inChild) inChild();
        std::string statusFd = std::to_string(st[1]);
        std::vector<std::string> args{"hutch", "__runtime", "run", "--status-fd", statusFd, "--pid-file", pidFile,
                                      "--bundle", b.dir, "test-ctr"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        int rc = hutch::runtime::runtimeMain(static_cast<int>(argv.size()), argv.data());
        std::fflush(nullptr);
        ::_exit(rc);
    }
    for (int fd : {in[0], out[1], err[1], st[1]}) ::close(fd);
    RunResult r;
    // stdout/stderr are drained by threads so a chatty container cannot block.
    std::thread tOut([&] { r.out = readAllFd(out[0]); });
    std::thread tErr([&] { r.err = readAllFd(err[0]); });
    std::thread tSt([&] { r.status = readAllFd(st[0]); });
    if (whileRunning) {
        for (int i = 0; i < timeoutSec * 100; ++i) {
            std::ifstream f(pidFile);
            pid_t p = 0;
            if (f >> p && p > 0) {
                whileRunning(p);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    if (!stdinData.empty()) (void)!::write(in[1], stdinData.data(), stdinData.size());
    ::close(in[1]);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSec);
    while (::waitpid(child, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(child, SIGKILL);
            ::waitpid(child, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    tOut.join();
    tErr.join();
    tSt.join();
    for (int fd : {out[0], err[0], st[0]}) ::close(fd);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream pf(pidFile);
    std::getline(pf, r.pidFile);
    return r;
}

bool testUser(uid_t& uid, gid_t& gid, std::string& name) {
    const char* env = std::getenv("HUTCH_TEST_USER");
    name = env && *env ? env : "hutchtest";
    struct passwd* pw = ::getpwnam(name.c_str());
    if (!pw) return false;
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    return true;
}

long hostUidOf(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("Uid:", 0) == 0) return std::stol(line.substr(4));
    return -1;
}

}  // namespace rtest
