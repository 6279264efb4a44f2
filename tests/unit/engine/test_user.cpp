// user: resolveUser against a temporary rootfs (runc/podman user lookup semantics) and
// readFileInRoot's confinement to the rootfs (openat2 RESOLVE_IN_ROOT).
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/spec/user.hpp"

using namespace hutch;
using namespace hutch::engine;

namespace {

struct TempRoot {
    std::string path;
    TempRoot() {
        char tmpl[] = "/tmp/hutch-engine-user-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempRoot() { fsutil::removeAll(path); }
    void write(const std::string& rel, const std::string& data) {
        auto full = path + "/" + rel;
        fsutil::mkdirAll(full.substr(0, full.rfind('/')));
        fsutil::writeFileAtomic(full, data, 0644, fsutil::Sync::Volatile);
    }
    void symlink(const std::string& target, const std::string& rel) {
        auto full = path + "/" + rel;
        fsutil::mkdirAll(full.substr(0, full.rfind('/')));
        REQUIRE(::symlink(target.c_str(), full.c_str()) == 0);
    }
};

const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment line\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
    "bob:x:1001:100::/home/bob:/bin/sh\n"
    "nohome:x:1002:1002:::/bin/sh\n"
    "broken line without fields\n";
const char* kGroup =
    "root:x:0:\n"
    "wheel:x:10:alice,bob\n"
    "audio:x:29:alice\n"
    "users:x:100:\n"
    "alice:x:1000:\n"
    "staff:x:50:bob\n";

void writeDb(TempRoot& r) {
    r.write("etc/passwd", kPasswd);
    r.write("etc/group", kGroup);
}

}  // namespace

TEST_CASE("resolveUser: names, numbers and groups", "[engine][user]") {
    TempRoot r;
    writeDb(r);

    SECTION("\"\" is root with root's home") {
        auto u = resolveUser(r.path, "");
        CHECK(u.uid == 0);
        CHECK(u.gid == 0);
        CHECK(u.home == "/root");
        CHECK(u.additionalGids.empty());
    }
    SECTION("a name takes uid, gid and home from passwd and groups from /etc/group") {
        auto u = resolveUser(r.path, "alice");
        CHECK(u.uid == 1000);
        CHECK(u.gid == 1000);
        CHECK(u.home == "/home/alice");
        std::vector<uint32_t> gids = u.additionalGids;
        std::sort(gids.begin(), gids.end());
        CHECK(gids == std::vector<uint32_t>{10, 29});
    }
    SECTION("a name whose primary group lists it is not repeated as supplementary") {
        auto u = resolveUser(r.path, "bob");
        CHECK(u.uid == 1001);
        CHECK(u.gid == 100);
        std::vector<uint32_t> gids = u.additionalGids;
        std::sort(gids.begin(), gids.end());
        CHECK(gids == std::vector<uint32_t>{10, 50});
    }
    SECTION("a uid with a passwd entry takes that entry's gid and home") {
        auto u = resolveUser(r.path, "1000");
        CHECK(u.uid == 1000);
        CHECK(u.gid == 1000);
        CHECK(u.home == "/home/alice");
    }
    SECTION("a uid without an entry gets gid 0 and home /") {
        auto u = resolveUser(r.path, "4242");
        CHECK(u.uid == 4242);
        CHECK(u.gid == 0);
        CHECK(u.home == "/");
        CHECK(u.additionalGids.empty());
    }
    SECTION("uid:gid needs no entries") {
        auto u = resolveUser(r.path, "4242:4343");
        CHECK(u.uid == 4242);
        CHECK(u.gid == 4343);
    }
    SECTION("name:groupname; an explicit group drops supplementary groups (runc)") {
        auto u = resolveUser(r.path, "alice:audio");
        CHECK(u.uid == 1000);
        CHECK(u.gid == 29);
        CHECK(u.home == "/home/alice");
        CHECK(u.additionalGids.empty());
    }
    SECTION("name:gid") {
        auto u = resolveUser(r.path, "alice:7");
        CHECK(u.uid == 1000);
        CHECK(u.gid == 7);
    }
    SECTION("an entry with an empty home gets /") {
        CHECK(resolveUser(r.path, "nohome").home == "/");
    }
    SECTION("an unknown user name is InvalidArgument naming it") {
        CHECK_THROWS_AS(resolveUser(r.path, "mallory"), InvalidArgument);
        CHECK_THROWS_WITH(resolveUser(r.path, "mallory"), Catch::Contains("mallory"));
    }
    SECTION("an unknown group name is InvalidArgument naming it") {
        CHECK_THROWS_AS(resolveUser(r.path, "alice:nogroup"), InvalidArgument);
        CHECK_THROWS_WITH(resolveUser(r.path, "alice:nogroup"), Catch::Contains("nogroup"));
    }
    SECTION("a comment line is not a user") {
        CHECK_THROWS_AS(resolveUser(r.path, "# a comment line"), InvalidArgument);
    }
}

TEST_CASE("resolveUser without /etc/passwd or /etc/group", "[engine][user]") {
    TempRoot r;
    SECTION("numbers still work") {
        auto u = resolveUser(r.path, "123:456");
        CHECK(u.uid == 123);
        CHECK(u.gid == 456);
        CHECK(u.home == "/");
        auto root = resolveUser(r.path, "");
        CHECK(root.uid == 0);
        CHECK(root.gid == 0);
        CHECK(root.home == "/");
    }
    SECTION("names fail") { CHECK_THROWS_AS(resolveUser(r.path, "alice"), InvalidArgument); }
}

TEST_CASE("readFileInRoot stays inside the root", "[engine][user]") {
    TempRoot r;
    r.write("etc/os-release", "inside-os-release\n");
    r.write("etc/marker", "inside-marker\n");

    SECTION("a plain file") { CHECK(readFileInRoot(r.path, "/etc/marker") == std::optional<std::string>("inside-marker\n")); }
    SECTION("a missing file is nullopt") {
        CHECK_FALSE(readFileInRoot(r.path, "/etc/nope").has_value());
        CHECK_FALSE(readFileInRoot(r.path, "/no/such/dir/file").has_value());
    }
    SECTION("an absolute symlink resolves inside the root, not on the host") {
        // /etc/os-release exists on the host too, with other content.
        r.symlink("/etc/os-release", "etc/passwd");
        CHECK(readFileInRoot(r.path, "/etc/passwd") == std::optional<std::string>("inside-os-release\n"));
    }
    SECTION("an absolute symlink to a file only the host has is nullopt, not the host file") {
        REQUIRE(fsutil::exists("/etc/group"));  // the host has it; the temp root does not
        r.symlink("/etc/group", "etc/passwd");
        CHECK_FALSE(readFileInRoot(r.path, "/etc/passwd").has_value());
    }
    SECTION("../ in the path is clamped at the root") {
        CHECK(readFileInRoot(r.path, "../../etc/marker") == std::optional<std::string>("inside-marker\n"));
        CHECK(readFileInRoot(r.path, "/../../../etc/os-release") == std::optional<std::string>("inside-os-release\n"));
    }
    SECTION("a relative symlink climbing out is clamped at the root") {
        r.symlink("../../../../../../etc/marker", "etc/passwd");
        CHECK(readFileInRoot(r.path, "/etc/passwd") == std::optional<std::string>("inside-marker\n"));
    }
    SECTION("a symlinked directory component resolves inside the root") {
        r.symlink("/etc", "lib/etc-link");
        CHECK(readFileInRoot(r.path, "/lib/etc-link/marker") == std::optional<std::string>("inside-marker\n"));
    }
    SECTION("resolveUser reads passwd through an absolute symlink inside the root") {
        r.write("real/passwd", "carol:x:3000:3000::/home/carol:/bin/sh\n");
        r.symlink("/real/passwd", "etc/passwd");
        auto u = resolveUser(r.path, "carol");
        CHECK(u.uid == 3000);
        // the host's root entry must not be visible
        CHECK_THROWS_AS(resolveUser(r.path, "root"), InvalidArgument);
    }
    SECTION("a missing rootfs throws SysError") {
        CHECK_THROWS_AS(readFileInRoot(r.path + "/does-not-exist", "/etc/passwd"), SysError);
    }
}
