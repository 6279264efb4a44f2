// e2e: `hutch pull` and `hutch run` as the unprivileged test user against the seeded registry.
// Expected outputs and exit codes are podman's (podman 4.3 with --runtime runc on this host).
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace hutch::e2e;

TEST_CASE("e2e: pull by short name prints the image id", "[e2e]") {
    Sandbox sb;
    Result r = sb.hutch({"pull", "busybox"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, isHexId(lastLine(r.out)));

    SECTION("a second pull of the same image succeeds with the same id") {
        Result again = sb.hutch({"pull", "busybox"});
        REQUIRE_RC(again, 0);
        CHECK_R(again, lastLine(again.out) == lastLine(r.out));
    }
}

TEST_CASE("e2e: run --rm -h sets the hostname and runs as root in the container", "[e2e]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "-h", "x250.home", "busybox", "sh", "-c", "hostname; id"});
    REQUIRE_RC(r, 0);
    auto ls = lines(r.out);
    // run pulls the image when missing; podman prints pull progress on stderr, the container
    // output is the whole of stdout.
    {
        INFO(r.describe());
        REQUIRE(ls.size() == 2);
        CHECK(ls[0] == "x250.home");
        CHECK(ls[1].rfind("uid=0(root) gid=0(root)", 0) == 0);
    }
}

TEST_CASE("e2e: the container process belongs to the test user on the host", "[e2e]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    const std::vector<std::string> argv{"sleep", "3141"};
    Child c = sb.spawn({"run", "--rm", "busybox", "sleep", "3141"});
    std::vector<pid_t> pids;
    for (int i = 0; i < 200 && pids.empty(); ++i) {  // up to 20 s
        pids = findProcesses(argv);
        if (pids.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pids.empty()) {
        c.killGroup(SIGKILL);
        Result r = c.wait(std::chrono::seconds(10));
        INFO(r.describe());
        FAIL("no 'sleep 3141' process appeared on the host within 20 s");
    }
    REQUIRE(pids.size() == 1);
    CHECK(hostUidOf(pids[0]) == static_cast<long>(sb.uid()));
    // Its parent is the lean runtime executable built beside hutch, not a re-exec of the CLI.
    {
        std::ifstream status("/proc/" + std::to_string(pids[0]) + "/status");
        std::string line;
        long ppid = 0;
        while (std::getline(status, line))
            if (line.rfind("PPid:", 0) == 0) ppid = std::stol(line.substr(5));
        std::error_code ec;
        auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(ppid) + "/exe", ec);
        INFO("parent " << ppid << " is " << exe);
        CHECK(exe.filename() == "hutch-runtime");
    }

    // The container's sleep is pid 1 of its pid namespace and ignores SIGTERM; SIGKILL it
    // from the host: hutch reports the container's death by signal as 128+9 (podman: 137).
    ::kill(pids[0], SIGKILL);
    Result r = c.wait(std::chrono::seconds(30));
    INFO(r.describe());
    CHECK_FALSE(r.timedOut);
    CHECK(r.rc == 137);
    for (pid_t p : findProcesses(argv)) ::kill(p, SIGKILL);  // never leak it
}

TEST_CASE("e2e: exit codes are the container's and 126/127 as podman gives them", "[e2e]") {
    Sandbox sb;
    pullOk(sb, "busybox");

    SECTION("exit 3 propagates") {
        Result r = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "exit 3"});
        REQUIRE_RC(r, 3);
    }
    SECTION("command not found -> 127") {
        Result r = sb.hutch({"run", "--rm", "busybox", "nonexistent-cmd"});
        REQUIRE_RC(r, 127);
        CHECK_R(r, r.err.find("nonexistent-cmd") != std::string::npos);
    }
    SECTION("not executable -> 126") {
        Result r = sb.hutch({"run", "--rm", "busybox", "/etc/passwd"});
        REQUIRE_RC(r, 126);
        CHECK_R(r, r.err.find("/etc/passwd") != std::string::npos);
    }
}

TEST_CASE("e2e: run flags -e --env-file -w -u --entrypoint", "[e2e]") {
    Sandbox sb;
    pullOk(sb, "busybox");

    SECTION("-e sets a variable, the image's PATH stays") {
        Result r = sb.hutch({"run", "--rm", "-e", "FOO=bar baz", "busybox", "sh", "-c",
                             "echo \"$FOO\"; echo \"$PATH\""});
        REQUIRE_RC(r, 0);
        CHECK_R(r, lines(r.out) == std::vector<std::string>{
                                      "bar baz",
                                      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
    }
    SECTION("--env-file reads NAME=value lines and skips comments") {
        sb.writeFile(sb.home() / "env.list", "# a comment\nA=1\n\nB=two words\n");
        Result r = sb.hutch({"run", "--rm", "--env-file", (sb.home() / "env.list").string(),
                             "busybox", "sh", "-c", "echo \"$A|$B\""});
        REQUIRE_RC(r, 0);
        CHECK_R(r, lastLine(r.out) == "1|two words");
    }
    SECTION("-w sets the working directory") {
        Result r = sb.hutch({"run", "--rm", "-w", "/tmp", "busybox", "pwd"});
        REQUIRE_RC(r, 0);
        CHECK_R(r, lastLine(r.out) == "/tmp");
    }
    SECTION("a missing working directory is created, owned by the container's user (as podman)") {
        Result r = sb.hutch({"run", "--rm", "-u", "1000:1001", "-w", "/made/by/run", "busybox", "sh", "-c",
                             "pwd; stat -c %u:%g /made/by/run /made"});
        REQUIRE_RC(r, 0);
        CHECK_R(r, lines(r.out) == std::vector<std::string>{"/made/by/run", "1000:1001", "1000:1001"});
        // an image whose WorkingDir does not exist (issue 13: run failed)
        Result c = sb.hutch({"run", "--name", "wd", "busybox", "true"});
        REQUIRE_RC(c, 0);
        Result img = sb.hutch({"commit", "-q", "-c", "WORKDIR /srv/app", "wd", "wdimg"});
        REQUIRE_RC(img, 0);
        Result w = sb.hutch({"run", "--rm", "wdimg", "pwd"});
        REQUIRE_RC(w, 0);
        CHECK_R(w, lastLine(w.out) == "/srv/app");
        // through a link to a missing directory (inside the container, never the host's)
        Result l = sb.hutch({"run", "--name", "links", "busybox", "ln", "-s", "../../tmp/target", "/link"});
        REQUIRE_RC(l, 0);
        Result li = sb.hutch({"commit", "-q", "links", "linkimg"});
        REQUIRE_RC(li, 0);
        Result lw = sb.hutch({"run", "--rm", "-w", "/link/sub", "linkimg", "pwd"});
        REQUIRE_RC(lw, 0);
        CHECK_R(lw, lastLine(lw.out) == "/tmp/target/sub");
    }
    SECTION("-u NAME resolves in the container's /etc/passwd") {
        Result r = sb.hutch({"run", "--rm", "-u", "tester", "busybox", "id"});
        REQUIRE_RC(r, 0);
        CHECK_R(r, lastLine(r.out).rfind("uid=1000(tester) gid=1000(tester)", 0) == 0);
    }
    SECTION("-u UID:GID needs no passwd entry") {
        Result r = sb.hutch({"run", "--rm", "-u", "1000:1000", "busybox", "id", "-u"});
        REQUIRE_RC(r, 0);
        CHECK_R(r, lastLine(r.out) == "1000");
        Result g = sb.hutch({"run", "--rm", "-u", "4321:4321", "busybox", "sh", "-c",
                             "id -u; id -g"});
        REQUIRE_RC(g, 0);
        CHECK_R(g, lines(g.out) == std::vector<std::string>{"4321", "4321"});
    }
    SECTION("-u with an unknown user name -> 126 naming it (as podman)") {
        Result r = sb.hutch({"run", "--rm", "-u", "nosuchuser", "busybox", "id"});
        CHECK_R(r, r.rc == 126);
        CHECK_R(r, r.err.find("nosuchuser") != std::string::npos);
    }
    SECTION("--entrypoint replaces the image's entrypoint, args follow") {
        Result r = sb.hutch({"run", "--rm", "--entrypoint", "/bin/echo", "busybox", "hi", "there"});
        REQUIRE_RC(r, 0);
        CHECK_R(r, lastLine(r.out) == "hi there");
    }
}

TEST_CASE("e2e: --pull=never with a missing image fails with 125", "[e2e]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "--pull=never", "busybox", "true"});
    REQUIRE_RC(r, 125);
    CHECK_R(r, r.err.find("busybox") != std::string::npos);
}

TEST_CASE("e2e: --pull=never runs a pulled image without the registry", "[e2e]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    // Point the search list at a dead registry: nothing may be fetched.
    sb.writeRegistriesConf(registriesConfFor("127.0.0.1:1"));
    Result r = sb.hutch({"run", "--rm", "--pull=never", testEnv().registry + "/busybox",
                         "echo", "offline"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, lastLine(r.out) == "offline");
}
