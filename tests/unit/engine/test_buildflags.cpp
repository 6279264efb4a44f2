// podman build's flag rules (engine/build/build.hpp applyFlagRules: pull spellings, squash
// and layers, as podman 4.3's cmd/podman/images/build.go), --ulimit parsing
// (engine/spec/ulimit.hpp, docker/go-units ParseUlimit's rules) and the rlimits it gives.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "hutch/common/error.hpp"
#include "hutch/engine/build/build.hpp"
#include "hutch/engine/spec/specgen.hpp"
#include "hutch/engine/spec/ulimit.hpp"

using namespace hutch;
using namespace hutch::engine;
using build::BuildFlagsGiven;
using build::BuildOptions;
using nlohmann::json;

namespace {

std::string policy(const BuildFlagsGiven& g) {
    BuildOptions o;
    build::applyFlagRules(o, g);
    return o.pull;
}

BuildFlagsGiven pull(const std::string& v) {
    BuildFlagsGiven g;
    g.pull = true;
    g.pullValue = v;
    return g;
}

}  // namespace

TEST_CASE("build --pull spellings give podman 4.3's pull policies", "[unit][engine][buildflags]") {
    CHECK(policy({}) == "missing");         // no flag: missing, although podman prints "true" as the default
    CHECK(policy(pull("true")) == "always");  // a bare --pull
    CHECK(policy(pull("always")) == "always");
    CHECK(policy(pull("ALWAYS")) == "always");
    CHECK(policy(pull(" true ")) == "always");
    CHECK(policy(pull("false")) == "missing");
    CHECK(policy(pull("missing")) == "missing");
    CHECK(policy(pull("newer")) == "missing");  // 4.3's build has no "newer" of its own
    CHECK(policy(pull("never")) == "never");
    CHECK(policy(pull("Never")) == "never");
    CHECK(policy(pull("bogus")) == "missing");  // podman ignores it (hutch warns)
    BuildFlagsGiven always;
    always.pullAlways = true;
    CHECK(policy(always) == "always");
    BuildFlagsGiven never;
    never.pullNever = true;
    CHECK(policy(never) == "never");
}

TEST_CASE("build: two pull flags are an error", "[unit][engine][buildflags]") {
    BuildFlagsGiven g = pull("never");
    g.pullAlways = true;
    CHECK_THROWS_WITH(policy(g), "can only set one of 'pull' or 'pull-always' or 'pull-never'");
    BuildFlagsGiven h;
    h.pullAlways = h.pullNever = true;
    CHECK_THROWS_AS(policy(h), InvalidArgument);
    BuildFlagsGiven i = pull("true");
    i.pullNever = true;
    CHECK_THROWS_AS(policy(i), InvalidArgument);
}

TEST_CASE("build --squash and --squash-all turn the cache off; with --layers as podman", "[unit][engine][buildflags]") {
    const std::string conflict = "cannot specify --squash with --layers and --squash-all with --squash";
    BuildOptions o;
    o.squash = true;
    build::applyFlagRules(o, {});
    CHECK_FALSE(o.layers);

    BuildOptions all;
    all.squashAll = true;
    build::applyFlagRules(all, {});
    CHECK_FALSE(all.layers);

    BuildFlagsGiven layers;
    layers.layers = true;
    BuildOptions allLayers;
    allLayers.squashAll = true;
    build::applyFlagRules(allLayers, layers);
    CHECK(allLayers.layers);  // --squash-all --layers keeps the cache

    BuildOptions sqLayers;
    sqLayers.squash = true;
    CHECK_THROWS_WITH(build::applyFlagRules(sqLayers, layers), conflict);
    BuildOptions both;
    both.squash = both.squashAll = true;
    CHECK_THROWS_WITH(build::applyFlagRules(both, {}), conflict);

    BuildOptions plain;
    build::applyFlagRules(plain, layers);
    CHECK(plain.layers);
}

TEST_CASE("build ulimit TYPE=SOFT:HARD parses as podman does", "[unit][engine][buildflags]") {
    Ulimit u = parseUlimit("nofile=1024:2048");
    CHECK(u.type == "RLIMIT_NOFILE");
    CHECK(u.soft == 1024);
    CHECK(u.hard == 2048);
    u = parseUlimit("nproc=100");
    CHECK(u.type == "RLIMIT_NPROC");
    CHECK(u.soft == 100);
    CHECK(u.hard == 100);  // HARD defaults to SOFT
    u = parseUlimit("core=0");
    CHECK(u.type == "RLIMIT_CORE");
    CHECK(u.hard == 0);
    u = parseUlimit("stack=-1");
    CHECK(u.soft == std::numeric_limits<uint64_t>::max());
    u = parseUlimit("memlock=64:-1");
    CHECK(u.soft == 64);
    CHECK(u.hard == std::numeric_limits<uint64_t>::max());
    for (const char* t : {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc",
                          "rss", "rtprio", "rttime", "sigpending", "stack"})
        CHECK_NOTHROW(parseUlimit(std::string(t) + "=1"));

    // podman's (run's) wording, the same parser as run/create --ulimit (procflags).
    CHECK_THROWS_WITH(parseUlimit("bogus=1"), Catch::Contains("invalid ulimit type: bogus"));
    CHECK_THROWS_WITH(parseUlimit("NOFILE=1"), Catch::Contains("invalid ulimit type"));
    CHECK_THROWS_WITH(parseUlimit("nofile"), Catch::Contains("requires name=SOFT:HARD"));
    CHECK_THROWS_WITH(parseUlimit("nofile=abc"), Catch::Contains("parsing \"abc\": invalid syntax"));
    CHECK_THROWS_WITH(parseUlimit("nofile="), Catch::Contains("invalid syntax"));
    CHECK_THROWS_WITH(parseUlimit("nofile=1:"), Catch::Contains("invalid syntax"));
    CHECK_THROWS_WITH(parseUlimit("nofile=unlimited"), Catch::Contains("invalid syntax"));
    CHECK_THROWS_WITH(parseUlimit("nofile=10:5"), Catch::Contains("soft limit must be less than or equal to hard limit"));
    CHECK_THROWS_WITH(parseUlimit("nofile=-1:5"), Catch::Contains("soft limit must be less than or equal to hard limit"));
    CHECK_THROWS_WITH(parseUlimit("nofile=-2"), Catch::Contains("-1 (unlimited) or non-negative"));
    CHECK_THROWS_WITH(parseUlimit("nofile=99999999999999999999"), Catch::Contains("nofile=99999999999999999999"));
    // The flag is checked when the build starts, before any step.
    BuildOptions o;
    o.ulimits = {"nofile=10", "bogus=1"};
    CHECK_THROWS_WITH(build::applyFlagRules(o, {}), Catch::Contains("ulimit option \"bogus=1\""));
}

TEST_CASE("build ulimit entries become process.rlimits and replace the default RLIMIT_NOFILE", "[unit][engine][buildflags]") {
    SpecInputs in;
    in.containerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    in.rootfs = "/r";
    in.image.cmd = {"sh"};
    in.user.home = "/root";
    in.nofileLimit = 4096;
    auto limits = [&]() {
        json s = buildSpec(in);
        std::map<std::string, std::pair<uint64_t, uint64_t>> m;
        for (const auto& r : s["process"]["rlimits"]) {
            REQUIRE(m.count(r["type"]) == 0);
            m[r["type"]] = {r["soft"].get<uint64_t>(), r["hard"].get<uint64_t>()};
        }
        return m;
    };
    auto m = limits();
    REQUIRE(m.size() == 1);
    CHECK(m["RLIMIT_NOFILE"] == std::make_pair(uint64_t{4096}, uint64_t{4096}));
    in.config.proc.ulimits = {"nofile=1024:2048", "nproc=100", "nproc=200:300"};
    m = limits();
    REQUIRE(m.size() == 2);
    CHECK(m["RLIMIT_NOFILE"] == std::make_pair(uint64_t{1024}, uint64_t{2048}));
    CHECK(m["RLIMIT_NPROC"] == std::make_pair(uint64_t{200}, uint64_t{300}));  // the later one wins
    in.config.proc.ulimits = {"nofile=x"};
    CHECK_THROWS_AS(buildSpec(in), InvalidArgument);
}
