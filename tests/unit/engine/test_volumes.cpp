// engine/volumes: the volume store under a temporary graph root (create, list, inspect,
// remove, prune, leftovers of a killed command, nothing half-made after a failure).
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <string>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/volume/volumes.hpp"

using namespace hutch;
using namespace hutch::engine;

namespace {

struct TempStore {
    std::string dir;
    GlobalOptions opts;
    TempStore() {
        char tmpl[] = "/tmp/hutch-volumes-test-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        opts.root = dir + "/root";
        opts.runroot = dir + "/run";
    }
    ~TempStore() { fsutil::removeAll(dir); }
};

std::vector<std::string> names(Context& ctx) {
    std::vector<std::string> out;
    for (const auto& v : listVolumes(ctx)) out.push_back(v.name);
    return out;
}

}  // namespace

TEST_CASE("volumes: create, find, list, inspect, remove", "[engine][volumes]") {
    TempStore t;
    Context ctx(t.opts);
    VolumeCreateOptions o;
    o.name = "web";
    o.labels = {{"app", "web"}};
    o.options = {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1M,uid=5"}};
    Volume v = createVolume(ctx, o);
    CHECK(v.mountpoint == t.opts.root + "/volumes/web/_data");
    struct stat st {};
    REQUIRE(::stat(v.mountpoint.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0755);
    CHECK(v.isTmpfs());
    CHECK_FALSE(v.isDevice());

    Volume gen = createVolume(ctx, {});
    CHECK(gen.name.size() == 64);
    CHECK(names(ctx) == std::vector<std::string>{std::min(gen.name, std::string("web")), std::max(gen.name, std::string("web"))});

    auto j = inspectVolume(loadVolume(ctx, "web"));
    CHECK(j["Name"] == "web");
    CHECK(j["Labels"]["app"] == "web");
    CHECK(j["Options"]["UID"] == "5");
    CHECK(j["UID"] == 5);
    CHECK(j["NeedsCopyUp"] == true);
    CHECK_FALSE(j.contains("NeedsChown"));  // podman leaves it out when o= sets the owner

    CHECK_THROWS_AS(createVolume(ctx, o), AlreadyExists);
    CHECK_THROWS_AS(loadVolume(ctx, "nope"), NotFound);
    CHECK_FALSE(findVolume(ctx, "../root").has_value());

    removeVolume(ctx, "web", false);
    CHECK_FALSE(fsutil::exists(t.opts.root + "/volumes/web"));
    CHECK_THROWS_AS(removeVolume(ctx, "web", false), NotFound);
    CHECK(pruneVolumes(ctx) == std::vector<std::string>{gen.name});
    CHECK(names(ctx).empty());
}

TEST_CASE("volumes: bad input leaves nothing, leftovers of a killed command are cleaned", "[engine][volumes]") {
    TempStore t;
    Context ctx(t.opts);
    VolumeCreateOptions bad;
    bad.name = "x";
    bad.options = {{"foo", "bar"}};
    CHECK_THROWS_AS(createVolume(ctx, bad), InvalidArgument);
    bad.options = {{"type", "tmpfs"}, {"o", "size=1M,bogus"}};
    CHECK_THROWS_AS(createVolume(ctx, bad), InvalidArgument);
    VolumeCreateOptions slash;
    slash.name = "a/b";
    CHECK_THROWS_AS(createVolume(ctx, slash), InvalidArgument);
    VolumeCreateOptions driver;
    driver.driver = "nfs";
    CHECK_THROWS_AS(createVolume(ctx, driver), InvalidArgument);
    CHECK(names(ctx).empty());

    // A create killed before its rename, a remove killed before its delete.
    std::string vols = t.opts.root + "/volumes";
    fsutil::mkdirAll(vols + "/.tmp-dead/_data");
    fsutil::mkdirAll(vols + "/.rm-dead/_data");
    CHECK(names(ctx).empty());  // readers never see them
    VolumeCreateOptions ok;
    ok.name = "ok";
    createVolume(ctx, ok);
    CHECK_FALSE(fsutil::exists(vols + "/.tmp-dead"));
    CHECK_FALSE(fsutil::exists(vols + "/.rm-dead"));
    CHECK(names(ctx) == std::vector<std::string>{"ok"});

    // nocopy at create: no copy-up later
    VolumeCreateOptions nc;
    nc.name = "nc";
    nc.options = {{"nocopy", ""}};
    CHECK_FALSE(createVolume(ctx, nc).needsCopyUp);
}
