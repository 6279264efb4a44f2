// e2e: issue 15's acceptance test — the Debian server suite (nginx, mariadb, slapd, postfix,
// redis, openssh, fail2ban) boots under systemd in a rootless container with no unit failing.
//
// Step 1 builds the image with `hutch build` as the test user, the way a user would: the
// Containerfile tests/fixtures/debian-suite/Containerfile on HUTCH_TEST_SYSTEMD_IMAGE
// (seeded by scripts/test.sh), apt-get from Debian's archive over the host network. The
// build is part of the test (it exercises `build` with a real apt install), so a failing
// build fails this test with the build's output.
// Step 2 runs it detached (systemd mode: its command is /sbin/init), waits for
// `systemctl is-system-running --wait` to say `running`, checks that every service is active
// and probes a few of them, then that the units' sandboxing (ProtectSystem, PrivateTmp) was
// really applied, not skipped as systemd does without the privilege. On failure it prints the
// failed units with their status and journal lines.
//
// Environment (besides the harness's):
//   HUTCH_TEST_SYSTEMD_IMAGE   the base image; unset => the test WARNs and is not run, as the
//                              other systemd tests (HUTCH_TEST_NO_SYSTEMD=1)
//   HUTCH_TEST_SUITE_IMAGE     optional: an already built suite image to pull instead of
//                              building (e.g. 127.0.0.1:5000/debian-suite:bookworm)
//   HUTCH_SUITE_RUN_FLAGS      optional: extra `hutch run` flags, split on blanks, e.g.
//                              "--uidmap 0:1:65536 --gidmap 0:1:65536"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace hutch::e2e;

namespace {

const char* const kServices[] = {"nginx", "mariadb", "slapd", "postfix", "redis-server", "ssh", "fail2ban"};

std::string envOr(const char* name, const std::string& dflt = "") {
    const char* v = std::getenv(name);
    return v && *v ? v : dflt;
}

std::vector<std::string> splitBlanks(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

/// A shell snippet for `exec suite sh -c`: for each unit named in $UNITS, its status and its
/// journal of this boot.
const char* const kUnitReport =
    "for u in $UNITS; do echo \"===== $u\"; systemctl status --no-pager -l -n 0 \"$u\"; "
    "echo \"----- journalctl -u $u\"; journalctl -b -u \"$u\" --no-pager -o short-precise -n 60; done";

/// Everything worth reading when the system is not `running`: failed units, pending jobs,
/// and each failed unit's status and journal.
std::string failureReport(const Sandbox& sb, const std::string& name) {
    const auto t = RunOptions::withTimeout(std::chrono::seconds(60));
    Result failed = sb.hutch({"exec", name, "systemctl", "--failed", "--no-legend", "--plain"}, t);
    Result jobs = sb.hutch({"exec", name, "systemctl", "list-jobs", "--no-legend", "--plain"}, t);
    Result units = sb.hutch({"exec", name, "sh", "-c",
                             "UNITS=$(systemctl --failed --no-legend --plain | awk '{print $1}'); " +
                                 std::string(kUnitReport)},
                            t);
    return "systemctl --failed:\n" + failed.out + failed.err + "systemctl list-jobs:\n" + jobs.out + jobs.err +
           "failed units:\n" + units.out + units.err;
}

}  // namespace

TEST_CASE("e2e: the Debian server suite boots under systemd, rootless, with no unit failing", "[e2e][systemd][suite]") {
    const std::string base = systemdImage();
    if (base.empty()) return;
    Sandbox sb;

    // ---- step 1: the image
    std::string image = envOr("HUTCH_TEST_SUITE_IMAGE");
    if (!image.empty()) {
        Result pull = sb.hutch({"pull", "-q", image}, RunOptions::withTimeout(std::chrono::seconds(600)));
        INFO("step 1: pulling the prebuilt suite image HUTCH_TEST_SUITE_IMAGE=" << image << " failed");
        REQUIRE_RC(pull, 0);
    } else {
        const fs::path src = fs::path(HUTCH_SOURCE_DIR) / "tests" / "fixtures" / "debian-suite" / "Containerfile";
        const std::string containerfile = readFile(src);
        REQUIRE_FALSE(containerfile.empty());
        const fs::path ctx = sb.dir() / "suite";
        sb.writeFile(ctx / "Containerfile", containerfile);
        image = "debian-suite:bookworm";
        auto t0 = std::chrono::steady_clock::now();
        Result b = sb.hutch({"build", "--build-arg", "BASE=" + testEnv().registry + "/" + base, "-t", image, ctx.string()},
                            RunOptions::withTimeout(std::chrono::seconds(900)));
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
        INFO("step 1: `hutch build` of " << src.string() << " (apt-get install from Debian's archive) failed after "
                                         << secs << " s");
        REQUIRE_RC(b, 0);
        WARN("debian-suite image built in " << secs << " s");
    }

    // ---- step 2: boot
    std::vector<std::string> run = {"run", "-d", "--name", "suite"};
    const std::string flags = envOr("HUTCH_SUITE_RUN_FLAGS");
    for (auto& f : splitBlanks(flags)) run.push_back(f);
    run.push_back(image);
    INFO("HUTCH_SUITE_RUN_FLAGS=" << flags);
    Result started = sb.hutch(run, RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(started, 0);
    CHECK_R(started, !contains(started.err, "READY"));  // no sd_notify timeout warning

    Result state = sb.hutch({"exec", "suite", "systemctl", "is-system-running", "--wait"},
                            RunOptions::withTimeout(std::chrono::seconds(300)));
    const std::string st = lastLine(state.out);
    if (st != "running") {
        std::string report = failureReport(sb, "suite");
        INFO(state.describe());
        INFO(report);
        FAIL_CHECK("systemctl is-system-running says '" << st << "', not 'running'");
    }

    // ---- step 3: every service active
    std::vector<std::string> isActive = {"exec", "suite", "systemctl", "is-active"};
    std::string names;
    for (const char* s : kServices) {
        isActive.push_back(s);
        names += std::string(s) + " ";
    }
    Result active = sb.hutch(isActive);
    auto states = lines(active.out);
    std::string inactive;
    for (size_t i = 0; i < std::size(kServices); ++i)
        if (i >= states.size() || states[i] != "active") inactive += std::string(kServices[i]) + " ";
    if (!inactive.empty()) {
        Result why = sb.hutch({"exec", "-e", "UNITS=" + inactive, "suite", "sh", "-c", kUnitReport},
                              RunOptions::withTimeout(std::chrono::seconds(60)));
        INFO(active.describe());
        INFO(why.out + why.err);
        FAIL_CHECK("not active: " << inactive << "(of " << names << ")");
    }

    // ---- step 4: functional probes
    const auto probeT = RunOptions::withTimeout(std::chrono::seconds(60));
    Result redis = sb.hutch({"exec", "suite", "redis-cli", "ping"}, probeT);
    CHECK_R(redis, lastLine(redis.out) == "PONG");
    Result maria = sb.hutch({"exec", "suite", "mariadb", "-N", "-B", "-e", "select 1+1"}, probeT);
    CHECK_R(maria, lastLine(maria.out) == "2");
    Result ldap = sb.hutch({"exec", "suite", "ldapsearch", "-x", "-LLL", "-H", "ldapi:///", "-b", "", "-s", "base",
                            "namingContexts"},
                           probeT);
    CHECK_R(ldap, ldap.rc == 0);
    CHECK_R(ldap, contains(ldap.out, "namingContexts: dc="));
    // nginx, postfix and sshd answer on their TCP ports (bash's /dev/tcp: no client needed).
    Result http = sb.hutch({"exec", "suite", "bash", "-c",
                            "exec 3<>/dev/tcp/127.0.0.1/80 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3"},
                           probeT);
    CHECK_R(http, contains(http.out, "HTTP/1.1 200 OK"));
    Result smtp = sb.hutch({"exec", "suite", "bash", "-c",
                            "exec 3<>/dev/tcp/127.0.0.1/25 && head -n1 <&3 && printf 'QUIT\\r\\n' >&3"},
                           probeT);
    CHECK_R(smtp, smtp.out.rfind("220 ", 0) == 0);
    Result ssh = sb.hutch({"exec", "suite", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/22 && head -n1 <&3"}, probeT);
    CHECK_R(ssh, ssh.out.rfind("SSH-2.0-OpenSSH", 0) == 0);
    Result f2b = sb.hutch({"exec", "suite", "fail2ban-client", "status", "sshd"}, probeT);
    CHECK_R(f2b, f2b.rc == 0);
    CHECK_R(f2b, contains(f2b.out, "Currently failed"));

    // ---- step 5: the units' sandboxing is applied, not skipped. Without the privilege to
    // set up a unit's mount namespace, systemd logs "Failed to set up namespace, assuming
    // containerized execution and ignoring" (at debug level) and runs the unit unprotected, so
    // "no unit failed" alone proves nothing. Debian's mariadb.service has ProtectSystem=full
    // (/usr and /etc read-only); redis-server.service has PrivateTmp=yes and
    // ProtectSystem=strict (/ read-only), but also PrivateUsers=yes, with which systemd makes
    // the unit a user namespace of its own and so manages without CAP_SYS_ADMIN. Read from
    // the services' mountinfo (readable without ptrace rights over them); a mount point's last
    // line is the mount on top. Field 4 is the mount's root, 5 its mount point, 6 its options.
    Result sandboxed = sb.hutch(
        {"exec", "suite", "sh", "-c",
         "r=$(systemctl show -p MainPID --value redis-server); m=$(systemctl show -p MainPID --value mariadb); "
         "awk '{ split($6, o, \",\"); opt[$5] = o[1]; root[$5] = $4 } "
         "END { print \"redis-root-\" opt[\"/\"]; print \"redis-tmp-\" (root[\"/tmp\"] ~ /systemd-private-/ ? \"private\" : \"shared\") }' "
         "/proc/$r/mountinfo; "
         "awk '{ split($6, o, \",\"); opt[$5] = o[1] } "
         "END { print \"mariadb-usr-\" opt[\"/usr\"]; print \"mariadb-etc-\" opt[\"/etc\"] }' /proc/$m/mountinfo"},
        probeT);
    CHECK_R(sandboxed, sandboxed.out == "redis-root-ro\nredis-tmp-private\nmariadb-usr-ro\nmariadb-etc-ro\n");

    Result failed = sb.hutch({"exec", "suite", "systemctl", "--failed", "--no-legend", "--plain"});
    CHECK_R(failed, failed.out.empty());

    Result rm = sb.hutch({"rm", "-f", "suite"}, RunOptions::withTimeout(std::chrono::seconds(60)));
    CHECK_R(rm, rm.rc == 0);
}
