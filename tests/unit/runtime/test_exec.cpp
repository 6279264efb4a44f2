// `__runtime exec`: a process joins a running busybox container (root and rootless).
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "bundle.hpp"
#include "hutch/runtime/runtime.hpp"
#include "hutch/runtime/session.hpp"

using nlohmann::json;

namespace {

struct ExecResult {
    int exitCode = -1;
    std::string out, err, status;
};

std::string readAll(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    return s;
}

/// Runs `hutch __runtime exec --pid PID --status-fd N ARGS...` in a forked child.
ExecResult runExec(pid_t pid, const std::vector<std::string>& args, const std::function<void()>& inChild = nullptr) {
    int out[2], err[2], st[2];
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(err) == 0);
    REQUIRE(::pipe(st) == 0);
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child == 0) {
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        for (int fd : {out[0], out[1], err[0], err[1], st[0], devnull}) ::close(fd);
        if (inChild) inChild();
        std::vector<std::string> a{"hutch", "__runtime", "exec", "--pid", std::to_string(pid), "--status-fd",
                                   std::to_string(st[1])};
        a.insert(a.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : a) argv.push_back(s.data());
        int rc = hutch::runtime::runtimeMain(static_cast<int>(argv.size()), argv.data());
        std::fflush(nullptr);
        ::_exit(rc);
    }
    for (int fd : {out[1], err[1], st[1]}) ::close(fd);
    ExecResult r;
    std::thread tErr([&] { r.err = readAll(err[0]); });
    std::thread tSt([&] { r.status = readAll(st[0]); });
    r.out = readAll(out[0]);
    tErr.join();
    tSt.join();
    for (int fd : {out[0], err[0], st[0]}) ::close(fd);
    int status = 0;
    ::waitpid(child, &status, 0);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

bool needRoot() {
    if (::geteuid() == 0) return true;
    WARN("exec tests need root; skipped");
    return false;
}

}  // namespace

TEST_CASE("exec: joins the container (ids, hostname, pid 1, env, cwd, exit codes)", "[runtime][exec]") {
    if (!needRoot()) return;
    rtest::Bundle b("exec");
    b.config["process"]["env"] = {"PATH=/bin", "INIT_ONLY=1"};
    b.setArgs({"sh", "-c", "echo started; read x; echo done"});
    std::vector<ExecResult> r;
    auto run = rtest::runBundle(b, "go\n", nullptr, [&](pid_t pid) {
        r.push_back(runExec(pid, {"--", "id"}));
        r.push_back(runExec(pid, {"hostname"}));
        r.push_back(runExec(pid, {"sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo pid=$$; echo ${INIT_ONLY:-unset}"}));
        r.push_back(runExec(pid, {"--env", "FOO=bar baz", "--env", "PATH=/bin", "--cwd", "/tmp", "--", "sh", "-c", "echo $FOO; pwd"}));
        r.push_back(runExec(pid, {"sh", "-c", "exit 3"}));
        r.push_back(runExec(pid, {"nosuchcmd"}));
        r.push_back(runExec(pid, {"/etc/notexec"}));
        r.push_back(runExec(pid, {"--user", "1000:1000", "--cwd", "/nonexistent", "id"}));
        r.push_back(runExec(pid, {"--user", "1000:1000", "--", "sh", "-c", "id -u; id -g; cat /proc/self/status | grep ^CapEff"}));
    });
    INFO(run.err);
    CHECK(run.exitCode == 0);
    CHECK(run.out == "started\ndone\n");
    REQUIRE(r.size() == 9);
    for (size_t i = 0; i < r.size(); ++i) INFO(i << ": " << r[i].err << r[i].status);
    CHECK(r[0].exitCode == 0);
    CHECK(r[0].out.rfind("uid=0(root) gid=0(root)", 0) == 0);
    CHECK(r[1].out == "testbox\n");
    CHECK(r[2].out.rfind("sh -c echo started; read x; echo done \npid=", 0) == 0);
    CHECK(r[2].out.find("pid=1\n") == std::string::npos);  // not the init, but in its pid namespace
    CHECK(r[2].out.find("\nunset\n") != std::string::npos);   // env is not the init's
    CHECK(r[3].out == "bar baz\n/tmp\n");
    CHECK(r[4].exitCode == 3);
    CHECK(r[5].exitCode == 127);
    CHECK(json::parse(r[5].status)["exitCode"] == 127);
    CHECK(r[6].exitCode == 126);
    CHECK(r[7].exitCode == 125);
    CHECK(json::parse(r[7].status)["stage"] == "cwd");
    CHECK(r[8].out == "1000\n1000\nCapEff:\t0000000000000000\n");
    CHECK(json::parse(r[0].status).contains("pid"));
}

TEST_CASE("exec: capabilities, no_new_privs and seccomp", "[runtime][exec][seccomp]") {
    if (!needRoot()) return;
    rtest::Bundle b("exec");
    std::string profile = b.dir + "/seccomp.json";
    std::ofstream(profile) << json{{"defaultAction", "SCMP_ACT_ALLOW"},
                                   {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}}
                                  .dump();
    b.setArgs({"sh", "-c", "read x"});
    ExecResult r, plain;
    rtest::runBundle(b, "go\n", nullptr, [&](pid_t pid) {
        r = runExec(pid, {"--cap", "CAP_CHOWN", "--cap", "kill", "--no-new-privs", "--seccomp-json", profile, "--", "sh", "-c",
                          "mkdir /tmp/zz 2>&1; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status"});
        plain = runExec(pid, {"sh", "-c", "mkdir /tmp/zz && echo made; grep -E '^Seccomp:' /proc/self/status"});
    });
    INFO(r.err << r.status);
    CHECK(r.exitCode == 0);
    CHECK(r.out ==
          "mkdir: can't create directory '/tmp/zz': Operation not permitted\nCapEff:\t0000000000000021\n"
          "CapBnd:\t0000000000000021\nNoNewPrivs:\t1\nSeccomp:\t2\n");
    CHECK(plain.out == "made\nSeccomp:\t0\n");
}

TEST_CASE("exec: a container that is gone, bad usage", "[runtime][exec]") {
    if (!needRoot()) return;
    pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    auto r = runExec(dead, {"true"});
    CHECK(r.exitCode == 125);
    CHECK(json::parse(r.status)["error"].get<std::string>().find("not running") != std::string::npos);
    CHECK(runExec(::getpid(), {}).exitCode == 125);                         // no command
    CHECK(runExec(::getpid(), {"--cap", "CAP_BOGUS", "true"}).exitCode == 125);
    CHECK(runExec(::getpid(), {"--frobnicate", "true"}).exitCode == 125);
}

TEST_CASE("exec: terminal from the container's devpts", "[runtime][exec][tty]") {
    if (!needRoot()) return;
    rtest::Bundle b("exec");
    b.setArgs({"sh", "-c", "read x"});
    std::string out;
    int code = -1;
    rtest::runBundle(b, "go\n", nullptr, [&](pid_t pid) {
        int master = -1;
        struct winsize ws{30, 90, 0, 0};
        pid_t child = ::forkpty(&master, nullptr, nullptr, &ws);
        REQUIRE(child >= 0);
        if (child == 0) {
            std::vector<std::string> a{"hutch", "__runtime", "exec", "--pid", std::to_string(pid), "--tty", "--",
                                       "sh", "-c", "tty; stty size; test -t 0 && echo is-tty; read l; echo got:$l; exit 4"};
            std::vector<char*> argv;
            for (auto& s : a) argv.push_back(s.data());
            ::_exit(hutch::runtime::runtimeMain(static_cast<int>(argv.size()), argv.data()));
        }
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
                (void)!::write(master, "hi\r", 3);
                sent = true;
            }
            if (out.find("got:hi") != std::string::npos) break;
        }
        int st = 0;
        ::waitpid(child, &st, 0);
        ::close(master);
        code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    });
    INFO(out);
    CHECK(code == 4);
    CHECK(out.find("/dev/pts/0") != std::string::npos);  // the container's devpts: its first pty
    CHECK(out.find("30 90") != std::string::npos);
    CHECK(out.find("got:hi") != std::string::npos);
}

TEST_CASE("exec: rootless, from a second process outside the session", "[runtime][exec][rootless]") {
    if (!needRoot()) return;
    uid_t uid;
    gid_t gid;
    std::string name;
    if (!rtest::testUser(uid, gid, name)) {
        WARN("test user " << name << " is absent; skipped");
        return;
    }
    auto dropTo = [=] {
        ::setgroups(0, nullptr);
        if (::setresgid(gid, gid, gid) || ::setresuid(uid, uid, uid)) ::_exit(99);
        ::setenv("HOME", ("/home/" + name).c_str(), 1);
    };
    rtest::Bundle b("rootless-exec");
    b.chownAll(uid, gid);
    b.setArgs({"sh", "-c", "read x"});
    ExecResult r;
    long execHostUid = -1;
    auto run = rtest::runBundle(
        b, "go\n",
        [&] {
            dropTo();
            try {
                hutch::runtime::enterRootlessSession();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "session: %s\n", e.what());
                ::_exit(98);
            }
        },
        [&](pid_t pid) {
            r = runExec(pid, {"sh", "-c", "id -u; hostname; tr '\\0' ' ' < /proc/1/cmdline; echo; touch /tmp/owned && stat -c %u /tmp/owned"},
                        dropTo);
            (void)execHostUid;
        });
    INFO(run.err << " exec: " << r.err << r.status);
    CHECK(run.exitCode == 0);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "0\ntestbox\nsh -c read x \n0\n");
    struct stat st;
    REQUIRE(::stat((b.rootfs() + "/tmp/owned").c_str(), &st) == 0);
    CHECK(st.st_uid == uid);  // container root is the user on the host
}
