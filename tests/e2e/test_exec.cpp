// e2e: exec into a detached container, capabilities and seccomp, as the unprivileged test
// user. Expectations are podman 4.3's (issue 3 asks 125 for exec into a stopped container).
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace hutch::e2e;

namespace {

void startSleeper(const Sandbox& sb, const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "-d", "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"busybox", "sleep", "600"});
    Result r = sb.hutch(args);
    REQUIRE_RC(r, 0);
}

}  // namespace

TEST_CASE("e2e: exec runs in the container's namespaces with its config", "[e2e]") {
    Sandbox sb;
    startSleeper(sb, "ex", {"-h", "x250.home", "-e", "FROM_RUN=1"});

    Result id = sb.hutch({"exec", "ex", "id"});
    REQUIRE_RC(id, 0);
    CHECK_R(id, id.out.rfind("uid=0(root) gid=0(root)", 0) == 0);

    Result ns = sb.hutch({"exec", "ex", "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $FROM_RUN"});
    REQUIRE_RC(ns, 0);
    CHECK_R(ns, ns.out == "x250.home\nsleep 600 \n1\n");

    Result flags = sb.hutch({"exec", "-u", "tester", "-w", "/tmp", "-e", "A=b", "ex", "sh", "-c", "id -un; pwd; echo $A"});
    REQUIRE_RC(flags, 0);
    CHECK_R(flags, flags.out == "tester\n/tmp\nb\n");

    Result code = sb.hutch({"exec", "ex", "sh", "-c", "exit 5"});
    CHECK_R(code, code.rc == 5);
    Result missing = sb.hutch({"exec", "ex", "nosuchcmd"});
    CHECK_R(missing, missing.rc == 127);
    Result noexec = sb.hutch({"exec", "ex", "/etc/passwd"});
    CHECK_R(noexec, noexec.rc == 126);
    Result empty = sb.hutch({"exec", "ex"});
    CHECK_R(empty, empty.rc == 125);

    Result seccomp = sb.hutch({"exec", "ex", "grep", "Seccomp:", "/proc/self/status"});
    CHECK_R(seccomp, seccomp.out.find("2") != std::string::npos);  // filter mode, like the container

    Result stop = sb.hutch({"stop", "-t", "1", "ex"});
    REQUIRE_RC(stop, 0);
    Result stopped = sb.hutch({"exec", "ex", "true"});
    CHECK_R(stopped, stopped.rc == 125);
    CHECK_R(stopped, stopped.err.find("can only create exec sessions on running containers") != std::string::npos);
    Result gone = sb.hutch({"exec", "nosuchctr", "true"});
    CHECK_R(gone, gone.rc == 125);
    sb.hutch({"rm", "-f", "ex"});
}

TEST_CASE("e2e: capabilities: default set, --cap-add, --cap-drop, unknown names", "[e2e]") {
    Sandbox sb;
    // podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP
    // SETGID SETPCAP SETUID SYS_CHROOT = 0x800405fb.
    Result def = sb.hutch({"run", "--rm", "busybox", "grep", "CapEff", "/proc/self/status"});
    REQUIRE_RC(def, 0);
    CHECK_R(def, def.out.find("00000000800405fb") != std::string::npos);

    SECTION("NET_ADMIN changes the container's own network namespace only") {
        Result add = sb.hutch({"run", "--rm", "--net=none", "--cap-add=net_admin", "busybox", "ip", "link", "add",
                               "br0", "type", "bridge"});
        CHECK_R(add, add.rc == 0);
        Result refused = sb.hutch({"run", "--rm", "--net=none", "busybox", "ip", "link", "add", "br0", "type", "bridge"});
        CHECK_R(refused, refused.rc != 0);
        CHECK_R(refused, refused.err.find("Operation not permitted") != std::string::npos);
    }
    SECTION("--cap-drop=ALL leaves none; CAP_ prefix and case do not matter") {
        Result drop = sb.hutch({"run", "--rm", "--cap-drop=ALL", "--cap-add", "CAP_kill", "busybox", "grep", "CapEff",
                                "/proc/self/status"});
        REQUIRE_RC(drop, 0);
        CHECK_R(drop, drop.out.find("0000000000000020") != std::string::npos);
    }
    SECTION("an unknown capability is 125 naming it") {
        Result bad = sb.hutch({"run", "--rm", "--cap-add=foo", "busybox", "true"});
        CHECK_R(bad, bad.rc == 125);
        CHECK_R(bad, bad.err.find("\"CAP_FOO\": unknown capability") != std::string::npos);
    }
}

TEST_CASE("e2e: seccomp and security options", "[e2e]") {
    Sandbox sb;
    Result def = sb.hutch({"run", "--rm", "busybox", "grep", "Seccomp:", "/proc/self/status"});
    REQUIRE_RC(def, 0);
    CHECK_R(def, def.out.find("2") != std::string::npos);
    Result unconf = sb.hutch({"run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "grep", "Seccomp:",
                              "/proc/self/status"});
    REQUIRE_RC(unconf, 0);
    CHECK_R(unconf, unconf.out.find("0") != std::string::npos);
    Result nnp = sb.hutch({"run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs",
                           "/proc/self/status"});
    REQUIRE_RC(nnp, 0);
    CHECK_R(nnp, nnp.out.find("1") != std::string::npos);
    Result ro = sb.hutch({"run", "--rm", "--read-only", "busybox", "sh", "-c", "touch /x 2>/dev/null || echo ro; touch /tmp/y && echo tmp-rw"});
    REQUIRE_RC(ro, 0);
    CHECK_R(ro, ro.out == "ro\ntmp-rw\n");
    Result bad = sb.hutch({"run", "--rm", "--security-opt", "bogus=1", "busybox", "true"});
    CHECK_R(bad, bad.rc == 125);
}

TEST_CASE("e2e: --privileged gives the host devices the user may open, and no seccomp", "[e2e]") {
    Sandbox sb;
    // scripts/setup-host.sh makes /dev/net/tun 0666; /dev/loop-control is root:disk 0660 at most.
    Result priv = sb.hutch({"run", "--rm", "--privileged", "busybox", "sh", "-c",
                            "test -c /dev/net/tun && echo tun; test -e /dev/loop-control || echo no-loopctl; "
                            "grep Seccomp: /proc/self/status"});
    REQUIRE_RC(priv, 0);
    CHECK_R(priv, priv.out.find("tun\nno-loopctl\n") == 0);
    CHECK_R(priv, priv.out.find("Seccomp:\t0") != std::string::npos);
    Result plain = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "test -e /dev/net/tun && echo tun || echo none"});
    REQUIRE_RC(plain, 0);
    CHECK_R(plain, plain.out == "none\n");
}
