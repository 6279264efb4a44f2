// Functional tests of the embedded runtime: a busybox bundle run through runtimeMain.
// These need root (the test suite runs as root); the rootless case drops to the test user.
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bundle.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/runtime/session.hpp"

using nlohmann::json;
using rtest::Bundle;
using rtest::runBundle;
namespace fs = std::filesystem;

namespace {

bool needRoot() {
    if (::geteuid() == 0) return true;
    WARN("runtime functional tests need root; skipped");
    return false;
}

json statusOf(const rtest::RunResult& r) {
    INFO("status line: " << r.status << " stderr: " << r.err);
    REQUIRE(!r.status.empty());
    return json::parse(r.status);
}

}  // namespace

TEST_CASE("runtime: exit code, status fd and pid file", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.setArgs({"sh", "-c", "echo hello; ls /proc/self/fd | wc -l; exit 7"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 7);
    CHECK(r.out == "hello\n4\n");  // 0, 1, 2 and the fd ls opens: nothing inherited
    json st = statusOf(r);
    REQUIRE(st.contains("pid"));
    CHECK(std::to_string(st["pid"].get<int>()) == r.pidFile);
}

TEST_CASE("runtime: killed init gives 128+signal; signals are forwarded", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.setArgs({"sh", "-c", "echo ready; while true; do sleep 0.05; done"});
    auto r = runBundle(b, "", nullptr, [](pid_t pid) { ::kill(pid, SIGKILL); });
    CHECK(r.exitCode == 128 + 9);

    // SIGTERM to the runtime reaches the init (which has a handler: pid 1 ignores others).
    b.setArgs({"sh", "-c", "trap 'echo term; exit 3' TERM; echo ready; while true; do sleep 0.05; done"});
    r = runBundle(b, "", nullptr, [](pid_t pid) {
        std::ifstream f("/proc/" + std::to_string(pid) + "/status");
        std::string line;
        pid_t runtimePid = 0;
        while (std::getline(f, line))
            if (line.rfind("PPid:", 0) == 0) runtimePid = std::stoi(line.substr(5));
        ::usleep(200000);  // let the shell install its trap
        if (runtimePid > 0) ::kill(runtimePid, SIGTERM);
    });
    CHECK(r.exitCode == 3);
    CHECK(r.out == "ready\nterm\n");
}

TEST_CASE("runtime: hostname, pid 1, /proc, /dev", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.setArgs({"sh", "-c",
               "hostname; echo pid=$$; test -r /proc/self/status && echo proc-ok; "
               "echo x > /dev/null && test -c /dev/null && test ! -s /dev/null && echo null-ok; "
               "head -c 4 /dev/zero | wc -c; readlink /dev/fd; readlink /dev/ptmx; test -d /dev/pts && echo pts-ok; "
               "test -d /sys/kernel && echo sys-ok; touch /sys/x 2>/dev/null || echo sys-ro"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out ==
          "testbox\npid=1\nproc-ok\nnull-ok\n4\n/proc/self/fd\npts/ptmx\npts-ok\nsys-ok\nsys-ro\n");
}

TEST_CASE("runtime: masked and readonly paths", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.setArgs({"sh", "-c",
               "wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /proc/acpi | wc -l; touch /proc/acpi/x 2>/dev/null || echo acpi-ro; "
               "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo sys-ro"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "0\n0\n0\nacpi-ro\nsys-ro\n");
}

TEST_CASE("runtime: read-only root", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.config["root"]["readonly"] = true;
    b.setArgs({"sh", "-c", "touch /etc/x 2>/dev/null || echo root-ro; touch /dev/shm/y && echo shm-rw"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "root-ro\nshm-rw\n");
    struct stat st;
    CHECK(::stat((b.rootfs() + "/etc/x").c_str(), &st) != 0);
}

TEST_CASE("runtime: user, groups, umask, cwd, env, rlimit", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    auto& p = b.config["process"];
    p["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}, {"umask", 077}};
    p["cwd"] = "/home/user";
    p["env"] = {"PATH=/bin", "FOO=bar baz"};
    p["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1000}, {"hard", 1000000000}}};
    b.setArgs({"sh", "-c", "id -u; id -g; id -G; umask; pwd; echo \"$FOO\"; ulimit -n; grep CapEff /proc/self/status"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    // Effective caps of a non-root process after exec are empty (no ambient set).
    CHECK(r.out == "1000\n1000\n1000 10 20\n0077\n/home/user\nbar baz\n1000\nCapEff:\t0000000000000000\n");
}

TEST_CASE("runtime: root gets the configured capabilities and no_new_privs", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.setArgs({"sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    // podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
    // NET_BIND_SERVICE SYS_CHROOT SETFCAP = 0x800405fb
    CHECK(r.out == "CapEff:\t00000000800405fb\nCapBnd:\t00000000800405fb\nNoNewPrivs:\t1\n");
}

TEST_CASE("runtime: 127 when the command is not found", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.setArgs({"nosuchcmd", "x"});
    auto r = runBundle(b);
    CHECK(r.exitCode == 127);
    json st = statusOf(r);
    CHECK(st["exitCode"] == 127);
    CHECK(st["error"] == "nosuchcmd: executable file not found in $PATH");
    CHECK(st["stage"] == "exec");
    CHECK(st["errno"] == ENOENT);

    b.setArgs({"/bin/nosuch"});
    r = runBundle(b);
    CHECK(r.exitCode == 127);
    CHECK(statusOf(r)["error"] == "/bin/nosuch: no such file or directory");
}

TEST_CASE("runtime: 126 when the command cannot be invoked", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    b.setArgs({"/etc/notexec"});
    auto r = runBundle(b);
    CHECK(r.exitCode == 126);
    json st = statusOf(r);
    CHECK(st["exitCode"] == 126);
    CHECK(st["errno"] == EACCES);
    CHECK(st["error"].get<std::string>().find("/etc/notexec: Permission denied") != std::string::npos);

    b.setArgs({"/tmp"});  // a directory
    r = runBundle(b);
    CHECK(r.exitCode == 126);
}

TEST_CASE("runtime: a missing cwd is created; a cwd below a file and bad config are 125 with the stage",
          "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    // As runc (and podman, which gives it to the process's user): made, then entered.
    b.config["process"]["cwd"] = "/does/not/exist";
    b.setArgs({"sh", "-c", "pwd"});
    auto made = runBundle(b);
    INFO(made.err);
    CHECK(made.exitCode == 0);
    CHECK(made.out == "/does/not/exist\n");

    b.config["process"]["cwd"] = "/bin/sh/below-a-file";
    auto r = runBundle(b);
    CHECK(r.exitCode == 125);
    json st = statusOf(r);
    CHECK(st["stage"] == "cwd");
    CHECK(st["errno"] == ENOTDIR);
    CHECK(st["error"].get<std::string>().find("/bin/sh/below-a-file") != std::string::npos);

    b.config["process"]["cwd"] = "relative";
    r = runBundle(b);
    CHECK(r.exitCode == 125);
    CHECK(statusOf(r)["stage"] == "config");
}

TEST_CASE("runtime: bind mounts with ro, files and propagation", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    Bundle src("src");
    {
        std::ofstream(src.dir + "/data.txt") << "payload\n";
    }
    b.config["mounts"].push_back({{"destination", "/mnt/ro"}, {"type", "bind"}, {"source", src.dir},
                                  {"options", {"rbind", "ro", "nosuid", "nodev", "rprivate"}}});
    b.config["mounts"].push_back({{"destination", "/etc/file.txt"}, {"type", "bind"}, {"source", src.dir + "/data.txt"},
                                  {"options", {"bind"}}});
    b.setArgs({"sh", "-c", "cat /mnt/ro/data.txt; touch /mnt/ro/new 2>/dev/null || echo ro-ok; cat /etc/file.txt"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "payload\nro-ok\npayload\n");
}

TEST_CASE("runtime: tmpfs with tmpcopyup gets the image's content, without it stays empty", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    fs::create_directories(b.rootfs() + "/srv/sub");
    {
        std::ofstream(b.rootfs() + "/srv/sub/f.txt") << "from-image\n";
    }
    ::symlink("sub/f.txt", (b.rootfs() + "/srv/link").c_str());
    ::chown((b.rootfs() + "/srv/sub/f.txt").c_str(), 123, 456);
    ::chmod((b.rootfs() + "/srv/sub/f.txt").c_str(), 0640);
    fs::create_directories(b.rootfs() + "/opt/plain");
    {
        std::ofstream(b.rootfs() + "/opt/plain/hidden") << "x\n";
    }
    b.config["mounts"].push_back({{"destination", "/srv"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                                  {"options", {"rw", "nosuid", "nodev", "mode=755", "tmpcopyup"}}});
    b.config["mounts"].push_back({{"destination", "/opt/plain"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                                  {"options", {"rw", "mode=755"}}});
    b.setArgs({"sh", "-c",
               "cat /srv/link; stat -c '%u:%g %a' /srv/sub/f.txt; grep ' /srv tmpfs' /proc/mounts >/dev/null && "
               "echo tmpfs; echo new > /srv/new; ls /opt/plain | wc -l"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "from-image\n123:456 640\ntmpfs\n0\n");
    // The copy went to the tmpfs only: the rootfs below is unchanged.
    CHECK_FALSE(fs::exists(b.rootfs() + "/srv/new"));
}

TEST_CASE("runtime: user namespace from the config", "[runtime][run][userns]") {
    if (!needRoot()) return;
    Bundle b;
    b.config["linux"]["namespaces"].push_back({{"type", "user"}});
    b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
    b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
    b.chownAll(200000, 200000);
    b.setArgs({"sh", "-c", "id -u; cat /proc/self/uid_map | tr -s ' '; test -c /dev/null && echo null-ok; read x"});
    long hostUid = -1;
    auto r = runBundle(b, "go\n", nullptr, [&](pid_t pid) {
        for (int i = 0; i < 200 && (hostUid = rtest::hostUidOf(pid)) != 200000; ++i) ::usleep(10000);
    });
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "0\n 0 200000 65536\nnull-ok\n");
    CHECK(hostUid == 200000);
}

TEST_CASE("runtime: terminal", "[runtime][run][tty]") {
    if (!needRoot()) return;
    Bundle b;
    b.config["process"]["terminal"] = true;
    b.setArgs({"sh", "-c",
               "tty; stty size; test -t 0 && test -t 1 && echo is-tty; echo on-console > /dev/console; "
               "read line; echo got:$line"});
    b.write();
    int master = -1;
    struct winsize ws{40, 100, 0, 0};
    pid_t child = ::forkpty(&master, nullptr, nullptr, &ws);
    REQUIRE(child >= 0);
    if (child == 0) {
        std::string dir = b.dir;
        std::vector<std::string> args{"hutch", "__runtime", "run", "--bundle", dir, "tty-ctr"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        ::_exit(hutch::runtime::runtimeMain(static_cast<int>(argv.size()), argv.data()));
    }
    std::string out;
    bool sent = false;
    for (int i = 0; i < 2000; ++i) {
        char buf[1024];
        struct pollfd pfd{master, POLLIN, 0};
        if (::poll(&pfd, 1, 10) > 0) {
            ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        if (!sent && out.find("is-tty") != std::string::npos) {
            (void)!::write(master, "hello\r", 6);
            sent = true;
        }
        if (out.find("got:hello") != std::string::npos) break;
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(master);
    INFO(out);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(out.find("/dev/pts/0") != std::string::npos);
    CHECK(out.find("40 100") != std::string::npos);
    CHECK(out.find("is-tty") != std::string::npos);
    CHECK(out.find("on-console") != std::string::npos);  // /dev/console is the terminal
    CHECK(out.find("got:hello") != std::string::npos);
}

TEST_CASE("runtime: rootless session + container as the test user", "[runtime][run][rootless]") {
    if (!needRoot()) return;
    uid_t uid;
    gid_t gid;
    std::string name;
    if (!rtest::testUser(uid, gid, name)) {
        WARN("test user " << name << " is absent (create it with `useradd -m " << name << "`); skipped");
        return;
    }
    Bundle b("rootless");
    b.chownAll(uid, gid);
    b.setArgs({"sh", "-c",
               "id -u; id -g; hostname; echo pid=$$; test -c /dev/null && echo null-ok; test -d /sys/kernel && echo sys-ok; "
               "ls /proc/self/fd >/dev/null && echo proc-ok; read x"});
    long hostUid = -1;
    auto r = runBundle(
        b, "go\n",
        [&] {
            ::setgroups(0, nullptr);
            if (::setresgid(gid, gid, gid) || ::setresuid(uid, uid, uid)) ::_exit(99);
            ::setenv("HOME", ("/home/" + name).c_str(), 1);
            try {
                hutch::runtime::enterRootlessSession();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "session: %s\n", e.what());
                ::_exit(98);
            }
            if (::geteuid() != 0 || !hutch::runtime::isRootless()) ::_exit(97);
        },
        [&](pid_t pid) {
            for (int i = 0; i < 200 && (hostUid = rtest::hostUidOf(pid)) != static_cast<long>(uid); ++i) ::usleep(10000);
        });
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "0\n0\ntestbox\npid=1\nnull-ok\nsys-ok\nproc-ok\n");
    CHECK(hostUid == static_cast<long>(uid));
}

TEST_CASE("runtime: rootless exit code passes through session and runtime", "[runtime][run][rootless]") {
    if (!needRoot()) return;
    uid_t uid;
    gid_t gid;
    std::string name;
    if (!rtest::testUser(uid, gid, name)) {
        WARN("test user " << name << " is absent; skipped");
        return;
    }
    Bundle b("rootless");
    b.chownAll(uid, gid);
    b.setArgs({"sh", "-c", "exit 42"});
    auto r = runBundle(b, "", [&] {
        ::setgroups(0, nullptr);
        if (::setresgid(gid, gid, gid) || ::setresuid(uid, uid, uid)) ::_exit(99);
        hutch::runtime::enterRootlessSession();
    });
    INFO(r.err);
    CHECK(r.exitCode == 42);
}

TEST_CASE("runtime: engine-like config (private rootfs propagation, netns, cgroup, file binds)", "[runtime][run]") {
    if (!needRoot()) return;
    Bundle b;
    Bundle src("etc");
    {
        std::ofstream(src.dir + "/hostname") << "boxname\n";
    }
    b.config["linux"]["rootfsPropagation"] = "private";
    b.config["linux"]["namespaces"].push_back({{"type", "network"}});
    b.config["mounts"].push_back({{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"},
                                  {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}});
    b.config["mounts"].push_back({{"destination", "/etc/hostname"}, {"type", "bind"}, {"source", src.dir + "/hostname"},
                                  {"options", {"bind", "rprivate"}}});
    b.setArgs({"sh", "-c", "cat /etc/hostname; ls /sys/class/net; test -d /sys/fs/cgroup && echo cg-ok"});
    auto r = runBundle(b);
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "boxname\nlo\ncg-ok\n");
    // Nothing of the container's mounts is left in (or leaked to) our mount namespace.
    std::ifstream mi("/proc/self/mountinfo");
    std::string all((std::istreambuf_iterator<char>(mi)), {});
    CHECK(all.find(b.dir) == std::string::npos);
}
