// e2e: the process's kernel settings and resources, checked from inside the container:
// --ulimit, --sysctl, --shm-size, --oom-score-adj, --pids-limit, --umask, --group-add,
// --device, --device-cgroup-rule, --ipc, --pid, --init, --preserve-fds. Expectations are
// podman 4.3's (docs/source/markdown/options/*.md, test/system/030-run.bats); the cases
// tagged [podman-ref] pass against podman too (tests/e2e/podman-shim.sh).
#include "harness.hpp"

#include <sys/resource.h>

#include <catch2/catch.hpp>

using namespace hutch::e2e;

namespace {

/// `run --rm FLAGS... busybox sh -c SCRIPT`.
Result runSh(const Sandbox& sb, std::vector<std::string> flags, const std::string& script) {
    std::vector<std::string> args{"run", "--rm"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"busybox", "sh", "-c", script});
    return sb.hutch(args);
}

/// REQUIREs exit 125 with `text` in stderr.
void expectRefused(const Result& r, const std::string& text) {
    CHECK_R(r, r.rc == 125);
    CHECK_R(r, contains(r.err, text));
}

}  // namespace

TEST_CASE("e2e: --ulimit sets the container's limits; bad values are refused naming the option",
          "[e2e][procflags][podman-ref]") {
    Sandbox sb;
    Result r = runSh(sb, {"--ulimit", "nofile=100:200", "--ulimit", "nproc=50:60", "--ulimit", "core=-1"},
                     "ulimit -n; ulimit -Hn; ulimit -u; ulimit -c");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "100\n200\n50\nunlimited\n");
    // Only a soft value: the hard limit is the same.
    r = runSh(sb, {"--ulimit", "nofile=1024"}, "ulimit -n; ulimit -Hn");
    CHECK_R(r, r.out == "1024\n1024\n");

    expectRefused(runSh(sb, {"--ulimit", "nofile=abc"}, "true"), "ulimit option \"nofile=abc\" requires name=SOFT:HARD");
    expectRefused(runSh(sb, {"--ulimit", "nofile=200:100"}, "true"),
                  "ulimit soft limit must be less than or equal to hard limit: 200 > 100");
    expectRefused(runSh(sb, {"--ulimit", "bogus=1"}, "true"), "invalid ulimit type: bogus");
}

TEST_CASE("e2e: --ulimit host gives the caller's limits; rootless cannot raise a hard limit", "[e2e][procflags]") {
    Sandbox sb;
    // The caller's limits: hutch inherits this process's.
    rlimit rl{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
    REQUIRE(rl.rlim_max != RLIM_INFINITY);
    auto str = [](rlim_t v) { return std::to_string(static_cast<unsigned long long>(v)); };
    Result r = runSh(sb, {"--ulimit", "host"}, "ulimit -n; ulimit -Hn");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == str(rl.rlim_cur) + "\n" + str(rl.rlim_max) + "\n");
    // Above the caller's hard limit: the kernel refuses it (podman: the OCI runtime's EPERM).
    unsigned long long hard = rl.rlim_max;
    Result up = runSh(sb, {"--ulimit", "nofile=100:" + std::to_string(hard * 4)}, "true");
    CHECK_R(up, up.rc == 126);
    CHECK_R(up, contains(up.err, "operation not permitted"));
}

TEST_CASE("e2e: --sysctl sets namespaced sysctls, refuses the others and net.* with the host network",
          "[e2e][procflags][podman-ref]") {
    Sandbox sb;
    Result r = runSh(sb, {"--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=12345"},
                     "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "1\n12345\n");
    expectRefused(runSh(sb, {"--sysctl", "kernel.hostname=x"}, "true"), "sysctl 'kernel.hostname' is not allowed");
    expectRefused(runSh(sb, {"--sysctl", "vm.swappiness=1"}, "true"), "sysctl 'vm.swappiness' is not allowed");
    expectRefused(runSh(sb, {"--sysctl", "net.ipv4.ip_forward=1", "--network", "host"}, "true"),
                  "can't be set since Network Namespace set to host");
    expectRefused(runSh(sb, {"--sysctl", "foo"}, "true"), "foo is invalid, sysctl values must be in the form of KEY=VALUE");
}

TEST_CASE("e2e: --shm-size, --oom-score-adj, --umask", "[e2e][procflags][podman-ref]") {
    Sandbox sb;
    Result r = runSh(sb, {"--shm-size", "10m", "--oom-score-adj", "100", "--umask", "0027"},
                     "df -k /dev/shm | tail -1 | awk '{print $2}'; cat /proc/self/oom_score_adj; umask");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "10240\n100\n0027\n");
    r = runSh(sb, {}, "umask");
    CHECK_R(r, r.out == "0022\n");
    expectRefused(runSh(sb, {"--shm-size", "10x"}, "true"), "invalid size: '10x'");
    expectRefused(runSh(sb, {"--umask", "9"}, "true"), "invalid umask string 9");
    expectRefused(runSh(sb, {"--oom-score-adj", "abc"}, "true"), "invalid argument \"abc\" for \"--oom-score-adj\" flag");
    expectRefused(runSh(sb, {"--pids-limit", "abc"}, "true"), "invalid argument \"abc\" for \"--pids-limit\" flag");
}

TEST_CASE("e2e: rootless --oom-score-adj cannot lower the score", "[e2e][procflags]") {
    Sandbox sb;
    Result r = runSh(sb, {"--oom-score-adj", "-100"}, "cat /proc/self/oom_score_adj");
    CHECK_R(r, r.rc != 0);
    CHECK_R(r, !contains(r.out, "-100"));
}

TEST_CASE("e2e: --pids-limit without a pids controller is ignored with podman's warning", "[e2e][procflags]") {
    Sandbox sb;
    bool pidsDelegated = contains(hostCommand("cat /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null || "
                                              "cat /sys/fs/cgroup/cgroup.subtree_control"),
                                  "pids");
    Result r = runSh(sb, {"--pids-limit", "100"}, "cat /sys/fs/cgroup/pids.max 2>/dev/null || echo none");
    REQUIRE_RC(r, 0);
    if (pidsDelegated)
        CHECK_R(r, r.out == "100\n");
    else
        CHECK_R(r, contains(r.err, "Resource limits are not supported and ignored on cgroups V1 rootless systems"));
}

TEST_CASE("e2e: --group-add adds gids and group names; keep-groups stands alone", "[e2e][procflags][podman-ref]") {
    Sandbox sb;
    // busybox's /etc/group has root, tester (1000) and nogroup.
    Result r = runSh(sb, {"--group-add", "10", "--group-add", "tester"}, "id -G");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "0 10 1000\n");
    Result k = runSh(sb, {"--group-add", "keep-groups"}, "id -g");
    CHECK_R(k, k.rc == 0);
    CHECK_R(k, k.out == "0\n");
    expectRefused(runSh(sb, {"--group-add", "keep-groups", "--group-add", "10"}, "true"),
                  "the '--group-add keep-groups' option is not allowed with any other --group-add options");
    Result bad = runSh(sb, {"--group-add", "nosuchgroup"}, "true");
    CHECK_R(bad, bad.rc == 126);
    CHECK_R(bad, contains(bad.err, "Unable to find group nosuchgroup"));
}

TEST_CASE("e2e: --device binds the host's node; missing ones and bad modes are refused", "[e2e][procflags][podman-ref]") {
    Sandbox sb;
    Result r = runSh(sb, {"--device", "/dev/null:/dev/mynull", "--device", "/dev/zero:/dev/z:rw",
                          "--device-cgroup-rule", "c 1:3 rwm"},
                     "ls -l /dev/mynull | awk '{print $1, $5, $6}'; echo hi > /dev/mynull && head -c 3 /dev/z | wc -c");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "crw-rw-rw- 1, 3\n3\n");
    expectRefused(runSh(sb, {"--device", "/dev/nosuch"}, "true"), "stat /dev/nosuch: no such file or directory");
    expectRefused(runSh(sb, {"--device", "/dev/null:/dev/x:rx"}, "true"), "invalid device mode: rx");
    expectRefused(runSh(sb, {"--device-cgroup-rule", "bogus"}, "true"),
                  "invalid device cgroup rule requires type, major:Minor, and access rules: \"bogus\"");
}

TEST_CASE("e2e: --ipc and --pid container:NAME join the other container's namespaces", "[e2e][procflags][podman-ref]") {
    Sandbox sb;
    runDetached(sb, {"--name", "holder", "busybox", "sleep", "60"});
    Result theirs = sb.hutch({"exec", "holder", "readlink", "/proc/self/ns/ipc"});
    REQUIRE_RC(theirs, 0);
    Result r = runSh(sb, {"--ipc", "container:holder", "--pid", "container:holder"},
                     "readlink /proc/self/ns/ipc; ps -o args | grep -c '^sleep 60'");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == theirs.out + "1\n");
    expectRefused(runSh(sb, {"--pid", "container:nosuch"}, "true"), "no container with name or ID \"nosuch\" found");
    expectRefused(runSh(sb, {"--ipc", "bogus"}, "true"), "unrecognized namespace mode bogus passed");
    expectRefused(runSh(sb, {"--pid", "bogus"}, "true"), "unrecognized namespace mode bogus passed");
    sb.hutch({"rm", "-f", "-t", "0", "holder"});
}

TEST_CASE("e2e: --ipc host, --pid host and distrobox's flags together", "[e2e][procflags]") {
    Sandbox sb;
    std::string ipc = hostCommand("readlink /proc/self/ns/ipc");
    std::string pid = hostCommand("readlink /proc/self/ns/pid");
    Result r = runSh(sb, {"--ipc", "host", "--pid", "host"}, "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid");
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == ipc + pid);
    Result none = runSh(sb, {"--ipc", "none"}, "test -e /dev/shm && echo shm || echo no-shm");
    CHECK_R(none, none.out == "no-shm\n");
    // What distrobox create passes (its container then runs its own init script).
    Result c = sb.hutch({"create", "--name", "dbx", "--ipc", "host", "--pid", "host", "--network", "host", "--privileged",
                         "--userns", "keep-id", "busybox", "sleep", "60"});
    REQUIRE_RC(c, 0);
    Result s = sb.hutch({"start", "dbx"});
    REQUIRE_RC(s, 0);
    Result e = sb.hutch({"exec", "dbx", "sh", "-c", "readlink /proc/self/ns/pid; id -u"});
    CHECK_R(e, e.out == pid + std::to_string(sb.uid()) + "\n");
    sb.hutch({"rm", "-f", "-t", "0", "dbx"});
}

TEST_CASE("e2e: --init runs the command under an init that forwards signals and returns its code", "[e2e][procflags]") {
    Sandbox sb;
    Result r = runSh(sb, {"--init"}, "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$; exit 7");
    CHECK_R(r, r.rc == 7);
    auto l = lines(r.out);
    REQUIRE(l.size() == 2);
    CHECK_R(r, contains(l[0], "/run/podman-init -- sh -c"));
    CHECK_R(r, l[1] != "1");  // the command is not PID 1
    // A signal to the container reaches the command through the init: stop is quick.
    std::string id = runDetached(sb, {"--init", "busybox", "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done"});
    auto t0 = std::chrono::steady_clock::now();
    Result st = sb.hutch({"stop", "-t", "20", id});
    CHECK_R(st, st.rc == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    Result code = sb.hutch({"inspect", "--format", "{{.State.ExitCode}}", id});
    CHECK_R(code, lastLine(code.out) == "3");
    expectRefused(runSh(sb, {"--init", "--init-path", "/nonexistent/init"}, "true"), "container-init binary not found");
    sb.hutch({"rm", "-f", id});
}

TEST_CASE("e2e: --preserve-fds passes the caller's fds 3.. to the container", "[e2e][procflags][podman-ref]") {
    Sandbox sb;
    sb.writeFile(sb.dir() / "three.txt", "from-fd-3\n");
    sb.writeFile(sb.dir() / "four.txt", "from-fd-4\n");
    REQUIRE_RC(runSh(sb, {}, "true"), 0);  // the image is pulled into the sandbox's store
    // The harness gives hutch only 0-2: a shell of the user's opens 3 and 4 for it.
    std::string env = "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=" + sb.home().string() +
                      " XDG_RUNTIME_DIR=" + (sb.dir() / "run").string() + " XDG_CONFIG_HOME=" + sb.configHome().string() +
                      " XDG_DATA_HOME=" + (sb.home() / ".local" / "share").string();
    std::string hutch = hutchBinary() + " --root " + sb.storageRoot().string() + " --runroot " + sb.runRoot().string();
    std::string out = hostCommand("cd " + sb.home().string() + " && runuser -u " + sb.user() + " -- " + env + " " + hutch +
                                  " run --rm --preserve-fds 2 busybox sh -c 'cat <&3; cat <&4; test -e /proc/self/fd/5 || echo no-5' 3<" +
                                  (sb.dir() / "three.txt").string() + " 4<" + (sb.dir() / "four.txt").string() + " 5</dev/null");
    CHECK(out == "from-fd-3\nfrom-fd-4\nno-5\n");
}
