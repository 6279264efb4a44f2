// resolveUserns: --userns, --uidmap, --gidmap against a rootless session of 65537 ids
// (0 = the user, 1..65536 = the subordinate range), and the spec they give.
#include <catch2/catch.hpp>

#include <algorithm>

#include "hutch/common/error.hpp"
#include "hutch/engine/spec/specgen.hpp"
#include "hutch/engine/spec/userns.hpp"

using namespace hutch;
using namespace hutch::engine;

namespace {

UsernsHost session() {
    UsernsHost h;
    h.uidCount = h.gidCount = 65537;
    h.userUid = 1001;
    h.userGid = 1002;
    return h;
}

UsernsPlan resolve(std::string mode, std::vector<std::string> uidmap = {}, std::vector<std::string> gidmap = {}) {
    return resolveUserns(UsernsFlags{std::move(mode), std::move(uidmap), std::move(gidmap), {}, {}}, session());
}

std::string errorOf(std::string mode, std::vector<std::string> uidmap = {}, std::vector<std::string> gidmap = {}) {
    try {
        resolve(std::move(mode), std::move(uidmap), std::move(gidmap));
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("userns: no flag is the session itself", "[userns]") {
    auto p = resolve("");
    CHECK(p.uids.empty());
    CHECK(p.gids.empty());
    CHECK(p.mode == "host");
    CHECK(resolve("host").uids.empty());
}

TEST_CASE("userns: --uidmap, and --gidmap copying it when absent", "[userns]") {
    auto p = resolve("", {"0:1:65536"});
    REQUIRE(p.uids == std::vector<IdMapping>{{0, 1, 65536}});
    CHECK(p.gids == p.uids);
    CHECK(p.mode == "private");
    auto q = resolve("", {"0:1:1000", "1000:0:1"}, {"0:2:500"});
    CHECK(q.uids == std::vector<IdMapping>{{0, 1, 1000}, {1000, 0, 1}});
    CHECK(q.gids == std::vector<IdMapping>{{0, 2, 500}});
}

TEST_CASE("userns: keep-id maps the user's uid to itself and root to the first subuid", "[userns]") {
    auto p = resolve("keep-id");
    CHECK(p.uids == std::vector<IdMapping>{{0, 1, 1001}, {1001, 0, 1}, {1002, 1002, 64535}});
    CHECK(p.gids == std::vector<IdMapping>{{0, 1, 1002}, {1002, 0, 1}, {1003, 1003, 64534}});
    CHECK(p.defaultUser == "1001:1002");
    // podman's example: keep-id:uid=11
    auto q = resolve("keep-id:uid=11,gid=0");
    CHECK(q.uids == std::vector<IdMapping>{{0, 1, 11}, {11, 0, 1}, {12, 12, 65525}});
    CHECK(q.gids == std::vector<IdMapping>{{0, 0, 1}, {1, 1, 65536}});
    CHECK(q.defaultUser == "11:0");
}

TEST_CASE("userns: nomap leaves the user out", "[userns]") {
    auto p = resolve("nomap");
    CHECK(p.uids == std::vector<IdMapping>{{0, 1, 65536}});
    CHECK(p.gids == std::vector<IdMapping>{{0, 1, 65536}});
}

TEST_CASE("userns: bad maps name the flag, the range and the fix", "[userns]") {
    std::string e = errorOf("", {"0:70000:10"});
    CHECK(e.find("--uidmap 0:70000:10") != std::string::npos);
    CHECK(e.find("70000-70009") != std::string::npos);
    CHECK(e.find("/etc/subuid") != std::string::npos);
    e = errorOf("", {"0:1:65537"});
    CHECK(e.find("1-65537") != std::string::npos);
    e = errorOf("", {"0:1:100", "50:500:10"});
    CHECK(e.find("overlap") != std::string::npos);
    CHECK(e.find("container ids 50-59") != std::string::npos);
    e = errorOf("", {"0:1:100", "200:50:10"});
    CHECK(e.find("intermediate ids 50-59 overlap") != std::string::npos);
    e = errorOf("", {"0:1:100"}, {"0:65530:100"});
    CHECK(e.find("--gidmap 0:65530:100") != std::string::npos);
    CHECK(e.find("/etc/subgid") != std::string::npos);
    CHECK(errorOf("", {"0:1"}).find("CONTAINER:INTERMEDIATE:SIZE") != std::string::npos);
    CHECK(errorOf("", {"0:1:x"}).find("not a number") != std::string::npos);
    CHECK(errorOf("", {"0:1:0"}).find("at least 1") != std::string::npos);
    CHECK(errorOf("", {"0:1:99999999999"}).find("too large") != std::string::npos);
    CHECK(errorOf("", {"-1:1:5"}).find("not a number") != std::string::npos);
    CHECK(errorOf("keep-id", {"0:1:10"}).find("cannot be used with --uidmap") != std::string::npos);
    CHECK(errorOf("keep-id:uid=70000").find("not below the 65537 ids") != std::string::npos);
    CHECK(errorOf("keep-id:foo=1").find("unknown keep-id option") != std::string::npos);
    CHECK(errorOf("bogus").find("unknown mode") != std::string::npos);
    CHECK(errorOf("ns:/proc/1/ns/user").find("not supported yet") != std::string::npos);
}

TEST_CASE("userns: the spec gets a user namespace with the mappings", "[userns]") {
    SpecInputs in;
    in.containerId = "abc";
    in.rootfs = "/r";
    in.config.command = {"true"};
    in.config.network = "none";
    in.config.uidMappings = {{0, 1, 65536}};
    in.config.gidMappings = {{0, 2, 100}};
    auto spec = buildSpec(in);
    bool user = false;
    for (const auto& n : spec["linux"]["namespaces"]) user = user || n["type"] == "user";
    CHECK(user);
    CHECK(spec["linux"]["uidMappings"] == nlohmann::json::parse(R"([{"containerID":0,"hostID":1,"size":65536}])"));
    CHECK(spec["linux"]["gidMappings"] == nlohmann::json::parse(R"([{"containerID":0,"hostID":2,"size":100}])"));
    in.config.uidMappings.clear();
    auto plain = buildSpec(in);
    for (const auto& n : plain["linux"]["namespaces"]) CHECK(n["type"] != "user");
    CHECK(!plain["linux"].contains("uidMappings"));
}

TEST_CASE("userns: systemd in its own user namespace gets the capabilities LXC gives", "[userns]") {
    ImageDefaults img;
    img.cmd = {"/sbin/init"};
    ContainerConfig c;
    auto has = [](const std::vector<std::string>& v, const std::string& cap) {
        return std::find(v.begin(), v.end(), cap) != v.end();
    };
    auto plain = containerCapabilities(img, c);
    CHECK_FALSE(has(plain, "CAP_SYS_ADMIN"));  // podman's default set without a namespace of its own
    c.uidMappings = c.gidMappings = {{0, 1, 65536}};
    auto own = containerCapabilities(img, c);
    CHECK(has(own, "CAP_SYS_ADMIN"));
    CHECK(has(own, "CAP_NET_ADMIN"));
    for (const char* hostOnly : {"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE",
                                 "CAP_SYS_BOOT"})
        CHECK_FALSE(has(own, hostOnly));
    c.capAdd = {"sys_rawio,net_raw"};
    c.capDrop = {"CAP_NET_ADMIN"};
    auto tuned = containerCapabilities(img, c);
    CHECK(has(tuned, "CAP_SYS_RAWIO"));
    CHECK_FALSE(has(tuned, "CAP_NET_ADMIN"));
    // Not systemd: the default set, namespace or not.
    ImageDefaults shell;
    shell.cmd = {"sh"};
    c.capAdd.clear();
    c.capDrop.clear();
    CHECK_FALSE(has(containerCapabilities(shell, c), "CAP_SYS_ADMIN"));
}

TEST_CASE("userns: auto takes the lowest free slice of the image's size, at least 1024", "[userns]") {
    UsernsHost h = session();
    h.imageSpan = 1001;
    auto p = resolveUserns(UsernsFlags{"auto", {}, {}, {}, {}}, h);
    CHECK(p.mode == "auto");
    CHECK(p.uids == std::vector<IdMapping>{{0, 1, 1024}});
    CHECK(p.gids == p.uids);
    h.used = {{1, 1025}, {2049, 3049}};  // two containers' slices; a gap of 1024 between them
    CHECK(resolveUserns(UsernsFlags{"auto", {}, {}, {}, {}}, h).uids == std::vector<IdMapping>{{0, 1025, 1024}});
    CHECK(resolveUserns(UsernsFlags{"auto:size=2000", {}, {}, {}, {}}, h).uids == std::vector<IdMapping>{{0, 3049, 2000}});
    h.imageSpan = 65535;  // an image with a file owned by nogroup (65534)
    h.used.clear();
    CHECK(resolveUserns(UsernsFlags{"auto", {}, {}, {}, {}}, h).uids == std::vector<IdMapping>{{0, 1, 65535}});
    h.used = {{1, 3}};  // two ids taken: 65534 are left
    try {
        resolveUserns(UsernsFlags{"auto", {}, {}, {}, {}}, h);
        FAIL("no error");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("no free range of 65535 ids") != std::string::npos);
    }
    CHECK(errorOf("auto:size=0").find("at least 1") != std::string::npos);
    CHECK(errorOf("auto:bogus=1").find("unknown auto option") != std::string::npos);
    CHECK(isAutoUserns("auto"));
    CHECK(isAutoUserns("auto:size=10"));
    CHECK_FALSE(isAutoUserns("automatic"));
}

TEST_CASE("userns: private maps every id of the namespace onto itself", "[userns]") {
    auto p = resolve("private");
    CHECK(p.mode == "private");
    CHECK(p.uids == std::vector<IdMapping>{{0, 0, 65537}});
    CHECK(p.gids == std::vector<IdMapping>{{0, 0, 65537}});
    CHECK(isIdentityMapping(p.uids));
    CHECK(!isIdentityMapping({{0, 1, 65536}}));
    CHECK(!isIdentityMapping({{0, 0, 1}, {1, 2, 10}}));
    CHECK(errorOf("private:size=3").find("private takes no options") != std::string::npos);
    CHECK(errorOf("private:").find("private takes no options") != std::string::npos);
    CHECK(errorOf("host:").find("host takes no options") != std::string::npos);
    CHECK(errorOf("keep-id:uid=abc").find("\"abc\" is not a number") != std::string::npos);
    CHECK(errorOf("keep-id:uid=abc").find("CONTAINER:INTERMEDIATE:SIZE") == std::string::npos);
    CHECK(errorOf("", {}, {"0:1:70000"}).find("--gidmap 0:1:70000") == 0);
    // --userns=private with --uidmap is podman's spelling of the same thing.
    CHECK(resolve("private", {"0:1:10"}).uids == std::vector<IdMapping>{{0, 1, 10}});
}

TEST_CASE("userns: --subuidname maps container 0.. onto the named ranges, in the namespace's ids", "[userns]") {
    UsernsHost h = session();
    h.ownUids = {{0, 1001, 1}, {1, 100000, 65536}};
    h.ownGids = {{0, 1002, 1}, {1, 200000, 65536}};
    h.subuidRanges = {{100000, 65536}};
    h.subgidRanges = {{210000, 1000}, {200000, 5}};
    UsernsFlags f;
    f.subuidname = "me";
    auto p = resolveUserns(f, h);
    CHECK(p.mode == "private");
    CHECK(p.uids == std::vector<IdMapping>{{0, 1, 65536}});
    CHECK(p.gids == std::vector<IdMapping>{{0, 10001, 1000}, {1000, 1, 5}});
    auto err = [&](UsernsFlags fl, UsernsHost host) {
        try {
            resolveUserns(fl, host);
        } catch (const InvalidArgument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    UsernsHost other = h;
    other.subuidRanges = {{300000, 10}};  // someone else's ids
    CHECK(err(f, other).find("--subuidname me: its range 300000-300009 in /etc/subuid is not in your user namespace "
                             "(host ids 1001-1001, 100000-165535)") != std::string::npos);
    UsernsHost none = h;
    none.subuidRanges.clear();
    CHECK(err(f, none).find("/etc/subuid grants no range to \"me\"") != std::string::npos);
    UsernsFlags both = f;
    both.uidmap = {"0:1:10"};
    CHECK(err(both, h).find("cannot be used with --uidmap") != std::string::npos);
    UsernsFlags keep = f;
    keep.mode = "keep-id";
    CHECK(err(keep, h).find("--userns=keep-id cannot be used with --subuidname") != std::string::npos);
}
