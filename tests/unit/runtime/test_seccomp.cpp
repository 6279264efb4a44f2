// linux.seccomp: parsing, compilation (libseccomp) and enforcement in a busybox container.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "bundle.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/runtime/seccomp.hpp"
#include "hutch/runtime/spec.hpp"
#include "sc_helper.hpp"

using nlohmann::json;
using namespace hutch::runtime;

namespace {

json customProfile() {
    return json{
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
        {"syscalls",
         {{{"names", {"mkdir", "mkdirat", "no_such_syscall_xyz"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}},
          {{"names", {"getpgid"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"errnoRet", 42},
           {"args", {{{"index", 0}, {"value", 1234}, {"valueTwo", 0}, {"op", "SCMP_CMP_EQ"}}}}},
          {{"names", {"sysinfo"}}, {"action", "SCMP_ACT_KILL_PROCESS"}},
          {{"names", {"getpid"}}, {"action", "SCMP_ACT_ALLOW"}}}},  // = default: skipped
    };
}

}  // namespace

TEST_CASE("parseSeccomp reads linux.seccomp and rejects bad input", "[runtime][seccomp]") {
    Seccomp s = parseSeccomp(customProfile(), "config.json");
    CHECK(s.defaultAction == "SCMP_ACT_ALLOW");
    REQUIRE(s.syscalls.size() == 4);
    CHECK(s.syscalls[0].errnoRet == 13u);
    REQUIRE(s.syscalls[1].args.size() == 1);
    CHECK(s.syscalls[1].args[0].value == 1234);
    CHECK(s.syscalls[1].args[0].op == "SCMP_CMP_EQ");
    CHECK_THROWS_AS(parseSeccomp(json{{"syscalls", json::array()}}, "c"), hutch::ConfigError);
    CHECK_THROWS_AS(parseSeccomp(json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {{{"action", "SCMP_ACT_ALLOW"}}}}}, "c"),
                    hutch::ConfigError);
    CHECK_THROWS_AS(parseSeccomp(json{{"defaultAction", 3}}, "c"), hutch::ConfigError);

    // Through parseSpec.
    json cfg = rtest::defaultConfig();
    cfg["linux"]["seccomp"] = customProfile();
    Spec spec = parseSpec(cfg.dump(), "/b");
    REQUIRE(spec.seccomp);
    CHECK(spec.seccomp->syscalls.size() == 4);
}

TEST_CASE("compileSeccomp: actions, args, unknown names, errors", "[runtime][seccomp]") {
    Seccomp s = parseSeccomp(customProfile(), "config.json");
    std::string pfc = seccompPfc(s);
    INFO(pfc);
    CHECK(pfc.find("ERRNO(13)") != std::string::npos);
    CHECK(pfc.find("ERRNO(42)") != std::string::npos);
    CHECK(pfc.find("KILL_PROCESS") != std::string::npos);
    CHECK(pfc.find("getpid") == std::string::npos);
    SeccompProgram p = compileSeccomp(s);
    CHECK(p.bpf.size() > 8 * 8);
    CHECK(p.bpf.size() % 8 == 0);

    Seccomp deny;
    deny.defaultAction = "SCMP_ACT_ERRNO";
    deny.defaultErrnoRet = 38;
    deny.syscalls.push_back({{"read", "write"}, "SCMP_ACT_ALLOW", std::nullopt, {}});
    CHECK(seccompPfc(deny).find("ERRNO(38)") != std::string::npos);

    auto bad = [](auto mutate) {
        Seccomp b = parseSeccomp(customProfile(), "c");
        mutate(b);
        return b;
    };
    CHECK_THROWS_AS(compileSeccomp(bad([](Seccomp& b) { b.defaultAction = "SCMP_ACT_BOGUS"; })), hutch::InvalidArgument);
    CHECK_THROWS_AS(compileSeccomp(bad([](Seccomp& b) { b.syscalls[0].action = "SCMP_ACT_NOTIFY"; })), hutch::InvalidArgument);
    CHECK_THROWS_AS(compileSeccomp(bad([](Seccomp& b) { b.syscalls[1].args[0].op = "SCMP_CMP_FOO"; })), hutch::InvalidArgument);
    CHECK_THROWS_AS(compileSeccomp(bad([](Seccomp& b) { b.architectures.push_back("SCMP_ARCH_VAX"); })), hutch::InvalidArgument);
    CHECK_THROWS_AS(compileSeccomp(bad([](Seccomp& b) { b.flags.push_back("SECCOMP_FILTER_FLAG_NEW_LISTENER"); })),
                    hutch::InvalidArgument);
    // Two conditions on one argument become two rules instead of a libseccomp error.
    CHECK_NOTHROW(compileSeccomp(bad([](Seccomp& b) {
        b.syscalls[1].args.push_back({0, 99, 0, "SCMP_CMP_EQ"});
    })));
}

TEST_CASE("compileSeccompCached: same program as compileSeccomp, stored once, recompiled when bad", "[runtime][seccomp]") {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("hutch-sc-cache-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    Seccomp s = parseSeccomp(customProfile(), "config.json");
    SeccompProgram fresh = compileSeccomp(s);

    SeccompProgram first = compileSeccompCached(s, (dir / "sub").string());  // creates the directory
    CHECK(first.bpf == fresh.bpf);
    CHECK(first.flags == fresh.flags);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / "sub")) files.push_back(e.path());
    REQUIRE(files.size() == 1);
    CHECK(files[0].extension() == ".bpf");
    CHECK(fs::file_size(files[0]) == fresh.bpf.size());

    // A second call reads the file: a (well-formed) program put there is what comes back.
    std::string marker(16, 'x');
    hutch::fsutil::writeFileAtomic(files[0].string(), marker);
    CHECK(compileSeccompCached(s, (dir / "sub").string()).bpf == marker);
    // A malformed file (not a whole number of instructions) is recompiled and replaced.
    hutch::fsutil::writeFileAtomic(files[0].string(), "abc");
    CHECK(compileSeccompCached(s, (dir / "sub").string()).bpf == fresh.bpf);
    CHECK(fs::file_size(files[0]) == fresh.bpf.size());

    // A different filter gets a different file; no cache dir means no file at all.
    Seccomp other = s;
    other.syscalls[0].errnoRet = 14;
    CHECK(compileSeccompCached(other, (dir / "sub").string()).bpf != fresh.bpf);
    CHECK(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator{}) == 2);
    CHECK(compileSeccompCached(s, "").bpf == fresh.bpf);
    fs::remove_all(dir);
}

TEST_CASE("runtime: linux.seccomp is enforced in the container", "[runtime][run][seccomp]") {
    if (::geteuid() != 0) {
        WARN("needs root; skipped");
        return;
    }
    std::string sc = rtest::syscallHelper();
    if (sc.empty()) {
        WARN("gcc -static unavailable; skipped");
        return;
    }
    for (bool nnp : {true, false}) {
        DYNAMIC_SECTION("noNewPrivileges=" << nnp) {
            rtest::Bundle b("seccomp");
            std::filesystem::copy_file(sc, b.rootfs() + "/bin/sc");
            b.config["linux"]["seccomp"] = customProfile();
            b.config["process"]["noNewPrivileges"] = nnp;
            b.setArgs({"sh", "-c",
                       "mkdir /tmp/d 2>&1; echo mk=$?; sc 121 1234; sc 121 0; sc 99; echo rc=$?; "
                       "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\\t '"});
            auto r = rtest::runBundle(b);
            INFO(r.err << r.status);
            CHECK(r.exitCode == 0);
            CHECK(r.out == std::string("mkdir: can't create directory '/tmp/d': Permission denied\nmk=1\nerrno=42\nok\nrc=159\n") +
                               "NoNewPrivs:" + (nnp ? "1" : "0") + "\nSeccomp:2\n");
        }
    }
}
