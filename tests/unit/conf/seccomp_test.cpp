// The default seccomp profile (conf/seccomp.json) and its conversion to linux.seccomp; the
// end-to-end case runs a busybox container under it with `hutch __runtime run`.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../runtime/sc_helper.hpp"
#include "hutch/common/error.hpp"
#include "hutch/conf/seccomp.hpp"

using nlohmann::json;
using hutch::conf::seccompToOci;

namespace {

const std::vector<std::string> kPodmanCaps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
                                              "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID",
                                              "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"};

/// Action of the first rule naming `name` without args, or "" if none.
std::string actionFor(const json& oci, const std::string& name) {
    for (const auto& r : oci["syscalls"])
        for (const auto& n : r["names"])
            if (n == name && !r.contains("args")) return r["action"].get<std::string>() + (r.contains("errnoRet") ? ":" + std::to_string(r["errnoRet"].get<int>()) : "");
    return "";
}

}  // namespace

TEST_CASE("default seccomp profile converts by capability and arch", "[conf][seccomp]") {
    std::string text = hutch::conf::defaultSeccompProfile();
    std::ifstream f(std::string(HUTCH_SOURCE_DIR) + "/conf/seccomp.json");
    std::string onDisk((std::istreambuf_iterator<char>(f)), {});
    CHECK(text == onDisk);  // embedded at build time

    json oci = seccompToOci(text, kPodmanCaps, "amd64");
    CHECK(oci["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK(oci["defaultErrnoRet"] == 38);
    CHECK(oci["architectures"] == json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
    CHECK(actionFor(oci, "read") == "SCMP_ACT_ALLOW");
    CHECK(actionFor(oci, "arch_prctl") == "SCMP_ACT_ALLOW");
    CHECK(actionFor(oci, "chroot") == "SCMP_ACT_ALLOW");         // CAP_SYS_CHROOT held
    CHECK(actionFor(oci, "ptrace") == "SCMP_ACT_ERRNO:1");        // no CAP_SYS_PTRACE
    CHECK(actionFor(oci, "sethostname") == "SCMP_ACT_ERRNO:1");   // no CAP_SYS_ADMIN
    CHECK(actionFor(oci, "kexec_load") == "SCMP_ACT_ERRNO:1");
    CHECK(actionFor(oci, "cacheflush") == "");                    // arm only
    CHECK(actionFor(oci, "io_uring_setup") == "");                // unknown: default ENOSYS

    json admin = seccompToOci(text, {"sys_admin", "SYS_PTRACE"}, "x86_64");  // names without CAP_, any case
    CHECK(actionFor(admin, "sethostname") == "SCMP_ACT_ALLOW");
    CHECK(actionFor(admin, "ptrace") == "SCMP_ACT_ALLOW");
    CHECK(actionFor(admin, "chroot") == "SCMP_ACT_ERRNO:1");

    json arm = seccompToOci(text, kPodmanCaps, "arm64");
    CHECK(arm["architectures"] == json({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
    CHECK(actionFor(arm, "arch_prctl") == "");
    CHECK(actionFor(arm, "cacheflush") == "SCMP_ACT_ALLOW");
}

TEST_CASE("seccompToOci: includes need every cap, excludes any; name, minKernel, errors", "[conf][seccomp]") {
    json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"syscalls",
               {{{"name", "a"}, {"action", "SCMP_ACT_ERRNO"}, {"includes", {{"caps", {"CAP_X", "CAP_Y"}}}}},
                {{"names", {"b"}}, {"action", "SCMP_ACT_ERRNO"}, {"excludes", {{"caps", {"CAP_X", "CAP_Z"}}}}},
                {{"names", {"c"}}, {"action", "SCMP_ACT_ERRNO"}, {"includes", {{"minKernel", "2.6"}}}},
                {{"names", {"d"}}, {"action", "SCMP_ACT_ERRNO"}, {"includes", {{"minKernel", "99.0"}}}},
                {{"names", {"e"}}, {"action", "SCMP_ACT_ERRNO"}, {"excludes", {{"arches", {"amd64"}}}}}}}};
    json o = seccompToOci(p.dump(), {"CAP_X"}, "amd64");
    REQUIRE(o["syscalls"].size() == 1);
    CHECK(o["syscalls"][0]["names"] == json({"c"}));
    o = seccompToOci(p.dump(), {"CAP_X", "CAP_Y"}, "arm64");
    REQUIRE(o["syscalls"].size() == 3);
    CHECK(o["syscalls"][0]["names"] == json({"a"}));
    CHECK(o["syscalls"][2]["names"] == json({"e"}));
    CHECK_FALSE(o.contains("architectures"));

    CHECK_THROWS_AS(seccompToOci("{", {}, "amd64"), hutch::ConfigError);
    CHECK_THROWS_AS(seccompToOci("{\"syscalls\":[]}", {}, "amd64"), hutch::ConfigError);
    CHECK_THROWS_AS(seccompToOci(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]})",
                                 {}, "amd64"),
                    hutch::ConfigError);
}

namespace {

/// Runs `script` in a busybox container (hutch __runtime run) with `seccomp` (null = none).
std::string runInContainer(const json& seccomp, const std::string& script, int& exitCode) {
    namespace fs = std::filesystem;
    char tmpl[] = "/tmp/hutch-conf-sc-XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    std::string root = dir + "/rootfs";
    for (const char* d : {"/bin", "/proc", "/dev", "/tmp"}) fs::create_directories(root + d);
    fs::copy_file("/bin/busybox", root + "/bin/busybox");
    ::symlink("busybox", (root + "/bin/sh").c_str());
    fs::copy_file(rtest::syscallHelper(), root + "/bin/sc");
    json caps = kPodmanCaps;
    json cfg = {{"ociVersion", "1.0.2"},
                {"root", {{"path", "rootfs"}}},
                {"process",
                 {{"args", {"/bin/sh", "-c", script}},
                  {"env", {"PATH=/bin"}},
                  {"cwd", "/"},
                  {"noNewPrivileges", true},
                  {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}}}},
                {"mounts", {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}}},
                {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}}}}}}};
    if (!seccomp.is_null()) cfg["linux"]["seccomp"] = seccomp;
    std::ofstream(dir + "/config.json") << cfg.dump();
    std::string cmd = std::string(HUTCH_BINARY) + " __runtime run --bundle " + dir + " sc-test 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[512];
    while (p && std::fgets(buf, sizeof buf, p)) out += buf;
    int st = p ? ::pclose(p) : -1;
    exitCode = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    fs::remove_all(dir);
    return out;
}

}  // namespace

TEST_CASE("a container under the default profile: normal shell, EPERM for blocked, ENOSYS for unknown",
          "[conf][seccomp][run]") {
    struct stat st;
    if (::geteuid() != 0 || ::stat(HUTCH_BINARY, &st) != 0 || rtest::syscallHelper().empty()) {
        WARN("needs root, " HUTCH_BINARY " and gcc -static; skipped");
        return;
    }
    // vmsplice(-1, 0, 0, 0): EBADF normally, EPERM (blocked) under the profile.
    // io_uring_setup(0, 0): EFAULT/EINVAL normally, not in the profile: ENOSYS.
    const std::string script = "echo hello; cd /tmp && echo x > f && cat f; sc 278 -1; sc 425 0 0; sc 1000";
    int rc = -1;
    std::string out = runInContainer(json(), script, rc);
    CHECK(rc == 0);
    CHECK(out.rfind("hello\nx\nerrno=9\n", 0) == 0);
    CHECK(out.find("errno=38\nerrno=38") == std::string::npos);

    json oci = seccompToOci(hutch::conf::defaultSeccompProfile(), kPodmanCaps, hutch::conf::nativeArch());
    out = runInContainer(oci, script, rc);
    CHECK(rc == 0);
    CHECK(out == "hello\nx\nerrno=1\nerrno=38\nerrno=38\n");
}
