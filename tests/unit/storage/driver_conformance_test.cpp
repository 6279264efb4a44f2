// One conformance suite over every storage driver (vfs, overlay): layers are applied through
// the Store, then the container's rootfs is read through the driver (mounted for overlay).
// Overlay needs root or a user namespace: the unit tests run as root (native overlay with
// trusted.* xattrs).
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "helpers.hpp"
#include "hutch/storage/overlay.hpp"
#include "hutch/storage/paths.hpp"
#include "hutch/storage/store.hpp"

using namespace testutil;
using namespace hutch::storage;
namespace fs = hutch::fsutil;

namespace {

const std::string kCap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);

Layer add(Store& s, const std::string& id, const std::string& parent, const std::string& tar) {
    return s.createLayer(id, parent, reader(tar), std::nullopt, hutch::Digest::sha256Of(id));
}

std::string xattr(const std::string& path, const std::string& name) {
    char buf[256];
    ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), buf, sizeof buf);
    return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

// Three layers like the e2e `layered` image, plus metadata cases.
void buildImage(Store& s) {
    TarOpts suid;
    suid.mode = 04755;
    TarOpts owned;
    owned.uid = 1000;
    owned.gid = 1001;
    owned.mode = 0640;
    TarOpts capx;
    capx.mode = 0755;
    capx.xattrs = {{"security.capability", kCap}, {"user.note", "hello"}};
    add(s, "l1", "",
        TarBuilder()
            .dir("data")
            .file("data/keep.txt", "keep\n")
            .file("data/deleteme.txt", "delete me\n")
            .dir("data/gone")
            .file("data/gone/inner.txt", "inner\n")
            .dir("opq")
            .file("opq/old1.txt", "old1\n")
            .dir("opq/sub")
            .file("opq/sub/old2.txt", "old2\n")
            .dir("again")
            .file("again/x.txt", "x\n")
            .dir("bin")
            .file("bin/su", "su", suid)
            .file("bin/ping", "ping", capx)
            .file("home.txt", "mine", owned)
            .file("h1", "old hard\n")
            .hardlink("h2", "h1")
            .symlink("link", "data/keep.txt")
            .finish());
    add(s, "l2", "l1",
        TarBuilder()
            .dir("data")
            .file("data/.wh.deleteme.txt", "")
            .file("data/.wh.gone", "")
            .dir("opq")
            .file("opq/.wh..wh..opq", "")
            .file("opq/new.txt", "new\n")
            .file(".wh.again", "")
            .file("h1", "new hard\n")  // replaces one name of a lower hardlink pair
            .finish());
    add(s, "l3", "l2",
        TarBuilder()
            .dir("again")
            .file("again/y.txt", "y\n")
            .dir("l3")
            .file("l3/a", "hard\n")
            .hardlink("l3/b", "l3/a")
            .symlink("l3/link", "../data/keep.txt")
            .finish());
    s.createImage(std::string(64, 'a'), {"localhost/layered:latest"}, "l3", "", {});
}

void checkRootfs(const std::string& r) {
    CHECK(fs::readFile(r + "/data/keep.txt") == "keep\n");
    CHECK_FALSE(fs::exists(r + "/data/deleteme.txt"));
    CHECK_FALSE(fs::exists(r + "/data/gone"));
    CHECK(fs::readFile(r + "/opq/new.txt") == "new\n");
    CHECK_FALSE(fs::exists(r + "/opq/old1.txt"));
    CHECK_FALSE(fs::exists(r + "/opq/sub"));
    CHECK(fs::readFile(r + "/again/y.txt") == "y\n");
    CHECK_FALSE(fs::exists(r + "/again/x.txt"));
    CHECK(fs::readFile(r + "/h1") == "new hard\n");
    CHECK(fs::readFile(r + "/h2") == "old hard\n");
    CHECK(fs::readFile(r + "/l3/b") == "hard\n");
    CHECK(sameInode(r, "l3/a", "l3/b"));
    struct stat st;
    REQUIRE(::lstat((r + "/l3/link").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK(fs::readFile(r + "/l3/link") == "keep\n");
    REQUIRE(::lstat((r + "/bin/su").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 04755);
    REQUIRE(::lstat((r + "/home.txt").c_str(), &st) == 0);
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(xattr(r + "/bin/ping", "security.capability") == kCap);
    CHECK(xattr(r + "/bin/ping", "user.note") == "hello");
    // no whiteout devices or overlay xattrs are visible through the driver
    CHECK_FALSE(fs::exists(r + "/.wh.again"));
    CHECK(xattr(r + "/opq", "trusted.overlay.opaque") == "<none>");
}

}  // namespace

TEST_CASE("driver conformance: layers read back through the container rootfs", "[driver][overlay]") {
    for (std::string driver : {"vfs", "overlay"}) {
        SECTION(driver) {
            TempDir t;
            auto s = Store::open({t / "graph", t / "run", driver});
            REQUIRE(s->driverName() == driver);
            CHECK(s->parallelLayerApply() == (driver == "overlay"));
            buildImage(*s);
            s->createContainer("c1", {"one"}, "localhost/layered:latest", "{}");
            std::string root = s->mountContainer("c1");
            CHECK(root == s->containerRootfs("c1"));
            CHECK(s->mountContainer("c1") == root);  // idempotent
            checkRootfs(root);
            // writes go to the container, never to the image's layers
            testutil::writeFile(root + "/data/keep.txt", "changed\n");
            REQUIRE(::unlink((root + "/link").c_str()) == 0);
            s->createContainer("c2", {"two"}, "localhost/layered:latest", "{}");
            std::string root2 = s->mountContainer("c2");
            CHECK(fs::readFile(root2 + "/data/keep.txt") == "keep\n");
            CHECK(fs::exists(root2 + "/link"));
            CHECK(fs::readFile(root + "/data/keep.txt") == "changed\n");
            s->unmountContainer("c1");
            s->unmountContainer("c1");  // not mounted: fine
            CHECK(fs::readFile(s->mountContainer("c1") + "/data/keep.txt") == "changed\n");  // kept across mounts
            s->removeContainer("c1");
            s->removeContainer("c2");  // still mounted: removal unmounts
            CHECK(s->containers().empty());
            s->removeImage(std::string(64, 'a'));
            CHECK_FALSE(s->layer("l1"));
            if (driver == "overlay") {
                CHECK(fs::exists(paths::overlayLinkDir(t / "graph")));
                CHECK_FALSE(fs::exists(paths::overlayLayerDir(t / "graph", "l1")));
                // every short link was removed with its layer
                CHECK(::rmdir(paths::overlayLinkDir(t / "graph").c_str()) == 0);
            }
        }
    }
}

TEST_CASE("overlay layers keep whiteouts and opaque dirs in overlay format", "[overlay]") {
    TempDir t;
    auto s = Store::open({t / "graph", t / "run", "overlay"});
    buildImage(*s);
    std::string d2 = paths::overlayLayerDir(t / "graph", "l2");
    std::string diff = d2 + "/diff";
    struct stat st;
    REQUIRE(::lstat((diff + "/data/deleteme.txt").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == 0);
    REQUIRE(::lstat((diff + "/again").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(xattr(diff + "/opq", "trusted.overlay.opaque") == "y");
    CHECK(xattr(diff + "/data", "trusted.overlay.opaque") == "<none>");
    CHECK_FALSE(fs::exists(diff + "/opq/.wh..wh..opq"));
    CHECK_FALSE(fs::exists(diff + "/data/keep.txt"));  // only the layer's own files
    // lower: nearest parent first, as short links that resolve to the parents' diffs
    OverlayDriver drv(t / "graph");
    auto low = drv.lowers("l3");
    REQUIRE(low.size() == 2);
    CHECK(fs::readFile(paths::overlayDir(t / "graph") + "/" + low[0] + "/opq/new.txt") == "new\n");
    CHECK(fs::readFile(paths::overlayDir(t / "graph") + "/" + low[1] + "/data/keep.txt") == "keep\n");
    CHECK(drv.lowers("l1").empty());
}

TEST_CASE("overlay applier drops overlay xattrs from the tar", "[overlay][applier]") {
    TempDir t;
    TarOpts o;
    o.xattrs = {{"trusted.overlay.opaque", "y"}, {"user.overlay.redirect", "/x"}, {"user.keep", "1"}};
    ApplyOptions ao;
    ao.whiteouts = WhiteoutFormat::Overlay;
    applyLayer(t.path, reader(TarBuilder().dir("d", o).file("d/.wh.gone", "").finish()), ao);
    CHECK(xattr(t / "d", "trusted.overlay.opaque") == "<none>");
    CHECK(xattr(t / "d", "user.overlay.redirect") == "<none>");
    CHECK(xattr(t / "d", "user.keep") == "1");
    struct stat st;
    REQUIRE(::lstat((t / "d/gone").c_str(), &st) == 0);
    CHECK((S_ISCHR(st.st_mode) && st.st_rdev == 0));
}

TEST_CASE("overlay mounts an image deeper than the one-page option limit", "[overlay]") {
    TempDir t;
    auto s = Store::open({t / "graph", t / "run", "overlay"});
    const int n = 140;  // 140 absolute short-link paths are well over 4096 bytes
    std::string parent;
    for (int i = 0; i < n; ++i) {
        std::string id = "layer" + std::to_string(i);
        add(*s, id, parent, TarBuilder().file("f" + std::to_string(i), std::to_string(i)).finish());
        parent = id;
    }
    s->createImage(std::string(64, 'b'), {"deep"}, parent, "", {});
    s->createContainer("c", {"c"}, "deep", "{}");
    std::string root = s->mountContainer("c");
    CHECK(fs::readFile(root + "/f0") == "0");
    CHECK(fs::readFile(root + "/f139") == "139");
    s->removeContainer("c");
}

TEST_CASE("overlay mount data beyond one page is a clear error", "[overlay]") {
    std::vector<std::string> lowers(200, "l/ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    try {
        overlayMountData(lowers, "u", "w", OverlayFlags{true, false});
        FAIL("no error");
    } catch (const hutch::InvalidArgument& e) {
        CHECK(std::string(e.what()).find("too many layers (200)") != std::string::npos);
    }
    CHECK(overlayMountData({"l/A", "l/B"}, "x/diff", "x/work", OverlayFlags{true, true}) ==
          "lowerdir=l/A:l/B,upperdir=x/diff,workdir=x/work,userxattr,volatile");
}

TEST_CASE("the store keeps its driver: default probe, recorded choice, mismatch error", "[driver][store]") {
    TempDir t;
    {
        auto s = Store::open({t / "new", t / "run", ""});
        CHECK(s->driverName() == "overlay");  // root on ext4 here: native overlay works
    }
    CHECK(Store::recordedDriver(t / "new") == std::optional<std::string>("overlay"));
    CHECK(Store::open({t / "new", t / "run", ""})->driverName() == "overlay");
    {
        auto s = Store::open({t / "old", t / "run", "vfs"});
        CHECK(s->driverName() == "vfs");
    }
    CHECK(Store::open({t / "old", t / "run", ""})->driverName() == "vfs");  // an existing vfs store stays vfs
    try {
        Store::open({t / "old", t / "run", "overlay"});
        FAIL("no error");
    } catch (const hutch::InvalidArgument& e) {
        std::string m = e.what();
        CHECK(m.find(t / "old") != std::string::npos);
        CHECK(m.find("\"vfs\"") != std::string::npos);
        CHECK(m.find("\"overlay\"") != std::string::npos);
    }
    CHECK_THROWS_AS(Store::open({t / "x", t / "run", "zfs"}), hutch::InvalidArgument);
    // the probe leaves nothing behind
    std::vector<std::string> left;
    for (auto& e : std::filesystem::directory_iterator(t / "new")) left.push_back(e.path().filename());
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{"driver.lock", "overlay", "overlay-containers", "overlay-images",
                                           "overlay-layers"});
    CHECK(Store::open({t / "new", t / "run", "overlay2"})->driverName() == "overlay");  // containers/storage's alias
}

TEST_CASE("a disposable (volatile) overlay mount can be made again after unmounting", "[overlay]") {
    TempDir t;
    auto s = Store::open({t / "graph", t / "run", "overlay"});
    add(*s, "base", "", TarBuilder().file("f", "base").finish());
    s->createImage(std::string(64, 'c'), {"img"}, "base", "", {});
    s->createContainer("c", {"c"}, "img", "{}");
    for (int i = 0; i < 2; ++i) {
        std::string root = s->mountContainer("c", true);
        CHECK(fs::readFile(root + "/f") == "base");
        testutil::writeFile(root + "/w" + std::to_string(i), "x");
        s->unmountContainer("c");
    }
    CHECK(fs::exists(s->mountContainer("c") + "/w1"));
    s->removeContainer("c");
}

TEST_CASE("the classic overlay mount (kernels without lowerdir+) uses relative short links", "[overlay]") {
    TempDir t;
    auto s = Store::open({t / "graph", t / "run", "overlay"});
    std::string parent;
    for (int i = 0; i < 60; ++i) {  // 60 absolute lower paths would not fit one page; relative ones do
        std::string id = "layer" + std::to_string(i);
        add(*s, id, parent, TarBuilder().file("f" + std::to_string(i), std::to_string(i)).finish());
        parent = id;
    }
    std::string g = t / "graph";
    OverlayDriver drv(g);
    drv.create("ctr", parent);
    auto low = drv.lowers("ctr");
    REQUIRE(low.size() == 60);
    std::string layer = paths::overlayLayerDir(g, "ctr");
    fs::mkdirAll(layer + "/work");
    fs::mkdirAll(layer + "/merged");
    OverlayFlags f;
    f.classicOnly = true;
    mountOverlay(low, "ctr/diff", "ctr/work", layer + "/merged", f, paths::overlayDir(g));
    CHECK(fs::readFile(layer + "/merged/f0") == "0");
    CHECK(fs::readFile(layer + "/merged/f59") == "59");
    drv.unmount("ctr");
    CHECK_FALSE(fs::exists(layer + "/merged/f0"));
    std::vector<std::string> tooMany(200, low[0]);
    CHECK_THROWS_AS(mountOverlay(tooMany, "ctr/diff", "ctr/work", layer + "/merged", f, paths::overlayDir(g)),
                    hutch::InvalidArgument);
    drv.remove("ctr");
}

TEST_CASE("the store says why it uses its driver", "[driver][store]") {
    TempDir t;
    std::string why;
    fs::mkdirAll(t / "g");
    CHECK(Store::chooseDriver(t / "g", "", &why) == "overlay");
    CHECK(why == "native overlay works here (probed for a new store)");
    CHECK(Store::open({t / "g", t / "run", "vfs"})->driverReason() == "requested for a new store");
    CHECK(Store::open({t / "g", t / "run", ""})->driverReason() == "recorded in the store (vfs-layers)");
}

TEST_CASE("overlay: a layer re-made after a killed pull keeps its short link, children stay mountable", "[overlay]") {
    TempDir t;
    std::string g = t / "graph";
    OverlayDriver drv(g);
    drv.create("parent", "");
    drv.create("child", "parent");  // parallel pull: child written while parent is incomplete
    auto before = drv.lowers("child");
    REQUIRE(before.size() == 1);
    drv.remove("parent");  // the next Store::open removes the incomplete parent
    ::symlink("../parent/diff", (paths::overlayDir(g) + "/" + before[0]).c_str());  // a stale link left by a kill
    drv.create("parent", "");  // and the next pull makes it again
    CHECK(drv.lowers("child") == before);
    CHECK(fs::exists(paths::overlayDir(g) + "/" + before[0] + "/"));  // resolves to the new parent's diff
}

TEST_CASE("overlay: a chain created by parallel workers in any order names every parent", "[overlay]") {
    // The pull's race: a child created while its parent had `link` but not yet `parent`
    // wrote a `lower` without the base layer, and the image ran without /bin/sh.
    for (int round = 0; round < 60; ++round) {
        TempDir t;
        OverlayDriver drv(t / "graph");
        constexpr int n = 6;
        std::vector<std::thread> workers;
        for (int i = n - 1; i >= 0; --i)
            workers.emplace_back([&, i] { drv.create("l" + std::to_string(i), i ? "l" + std::to_string(i - 1) : ""); });
        for (auto& w : workers) w.join();
        drv.create("ctr", "l5");
        REQUIRE(drv.lowers("ctr").size() == n);
        REQUIRE(drv.lowers("l5").size() == n - 1);
    }
}

TEST_CASE("overlay: a `lower` file that stops short of the base layer is repaired", "[overlay]") {
    TempDir t;
    std::string g = t / "graph";
    OverlayDriver drv(g);
    drv.create("base", "");
    drv.create("mid", "base");
    drv.create("top", "mid");
    auto full = drv.lowers("top");
    REQUIRE(full.size() == 2);
    fs::writeFileAtomic(paths::overlayDir(g) + "/top/lower", full[0], 0644);  // what the race left
    CHECK(drv.lowers("top") == full);
    CHECK(fs::readFile(paths::overlayDir(g) + "/top/lower") == full[0] + ":" + full[1]);
    // a cycle of parent files (a damaged store) is an error, not a crash
    fs::writeFileAtomic(paths::overlayDir(g) + "/base/parent", "top", 0644);
    CHECK_THROWS_WITH(drv.lowers("top"), Catch::Contains("a cycle?"));
}

TEST_CASE("a podman (containers/storage) graph root is refused, never opened", "[driver][store]") {
    TempDir t;
    fs::mkdirAll(t / "podman/libpod");
    fs::mkdirAll(t / "podman/overlay-images");
    try {
        Store::open({t / "podman", t / "run", ""});
        FAIL("no error");
    } catch (const hutch::InvalidArgument& e) {
        CHECK(std::string(e.what()).find("is a podman (containers/storage) store") != std::string::npos);
    }
    CHECK_FALSE(fs::exists(t / "podman/overlay-layers"));
}

namespace {

// Every entry under `root` (not the root itself) with what a commit must keep: type, mode,
// owner, size, mtime seconds, content, symlink target, xattrs (overlay ones never show).
std::map<std::string, std::string> snapshot(const std::string& root, const std::string& rel = "") {
    std::map<std::string, std::string> out;
    std::string dir = rel.empty() ? root : root + "/" + rel;
    for (auto& e : std::filesystem::directory_iterator(dir)) {
        std::string name = e.path().filename();
        std::string r = rel.empty() ? name : rel + "/" + name;
        std::string p = root + "/" + r;
        struct stat st;
        REQUIRE(::lstat(p.c_str(), &st) == 0);
        std::string d = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) +
                        " t" + std::to_string(st.st_mtim.tv_sec);
        char names[1024];
        ssize_t n = ::llistxattr(p.c_str(), names, sizeof names);
        std::vector<std::string> xs;
        for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(strlen(names + i)) + 1) xs.emplace_back(names + i);
        std::sort(xs.begin(), xs.end());
        for (auto& x : xs) d += " " + x + "=" + xattr(p, x);
        if (S_ISREG(st.st_mode)) d += " n" + std::to_string(st.st_nlink) + " [" + fs::readFile(p) + "]";
        if (S_ISLNK(st.st_mode)) {
            char buf[512];
            ssize_t k = ::readlink(p.c_str(), buf, sizeof buf);
            d += " -> " + std::string(buf, static_cast<size_t>(std::max<ssize_t>(k, 0)));
        }
        out[r] = d;
        if (S_ISDIR(st.st_mode)) out.merge(snapshot(root, r));
    }
    return out;
}

std::string show(const std::map<std::string, std::string>& m) {
    std::string out;
    for (auto& [k, v] : m) out += k + ": " + v + "\n";
    return out;
}

void buildCommitBase(Store& s) {
    TarOpts ro;
    ro.mode = 0644;
    add(s, "base", "",
        TarBuilder()
            .file("keep.txt", "keep\n")
            .file("mod.txt", "old\n")
            .file("chmod.txt", "chmod\n")
            .file("chown.txt", "chown\n")
            .file("del.txt", "delete me\n")
            .file("xa.txt", "xattr\n")
            .dir("deldir")
            .file("deldir/a", "a\n")
            .dir("deldir/b")
            .file("deldir/b/c", "c\n")
            .dir("repl")
            .file("repl/x", "x\n")
            .dir("opq")
            .file("opq/old1", "old1\n")
            .dir("opq/sub")
            .file("opq/sub/old2", "old2\n")
            .dir("bin")
            .finish());
    s.createImage(std::string(64, 'd'), {"base"}, "base", "", {});
}

void changeTree(const std::string& r) {
    fs::mkdirAll(r + "/new");
    testutil::writeFile(r + "/new/added.txt", "added\n");
    testutil::writeFile(r + "/mod.txt", "new content\n");
    REQUIRE(::chmod((r + "/chmod.txt").c_str(), 0600) == 0);
    REQUIRE(::chown((r + "/chown.txt").c_str(), 1234, 5678) == 0);
    REQUIRE(::unlink((r + "/del.txt").c_str()) == 0);
    fs::removeAll(r + "/deldir");
    fs::removeAll(r + "/repl");
    testutil::writeFile(r + "/repl", "now a file\n");
    fs::removeAll(r + "/opq");
    fs::mkdirAll(r + "/opq");
    testutil::writeFile(r + "/opq/new.txt", "recreated\n");
    fs::mkdirAll(r + "/hl");
    testutil::writeFile(r + "/hl/a", "linked\n");
    REQUIRE(::link((r + "/hl/a").c_str(), (r + "/hl/b").c_str()) == 0);
    REQUIRE(::symlink("keep.txt", (r + "/sym").c_str()) == 0);
    REQUIRE(::lsetxattr((r + "/xa.txt").c_str(), "user.test", "v1", 2, 0) == 0);
    testutil::writeFile(r + "/bin/tool", "tool\n");
    REQUIRE(::chmod((r + "/bin/tool").c_str(), 04755) == 0);
}

}  // namespace

TEST_CASE("driver conformance: commit a container's changes as a layer", "[driver][overlay][commit]") {
    for (std::string driver : {"vfs", "overlay"}) {
        SECTION(driver) {
            TempDir t;
            auto s = Store::open({t / "graph", t / "run", driver});
            buildCommitBase(*s);
            s->createContainer("c", {"c"}, "base", "{}");
            std::string r = s->mountContainer("c");
            changeTree(r);
            auto want = snapshot(r);
            s->unmountContainer("c");
            auto l = s->commitContainer("c");
            REQUIRE(l);
            CHECK(l->parent == "base");
            CHECK(l->id == hutch::Digest::sha256Of("sha256:base " + l->diffId.str()).encoded);
            CHECK(l->compressedDigest.empty());
            CHECK(l->size > 0);
            CHECK(s->commitContainer("c")->id == l->id);  // the same changes give the same layer
            s->createImage(std::string(64, 'e'), {"committed"}, l->id, "", {});
            s->createContainer("c2", {"c2"}, "committed", "{}");
            std::string r2 = s->mountContainer("c2");
            CHECK(show(snapshot(r2)) == show(want));
            CHECK(sameInode(r2, "hl/a", "hl/b"));
            CHECK_FALSE(fs::exists(r2 + "/opq/old1"));
            CHECK(fs::readFile(r2 + "/repl") == "now a file\n");
            s->unmountContainer("c2");
            // round trip: the new layer written again gives the commit's bytes
            std::string bytes;
            auto rt = s->layerDiff(l->id, [&](const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); });
            CHECK(rt.diffId == l->diffId);
            CHECK(rt.uncompressedSize == l->size);
            CHECK(hutch::Digest::sha256Of(bytes) == l->diffId);
            // a container that changed nothing (mounted and read only) commits to nothing
            CHECK_FALSE(s->commitContainer("c2"));
            CHECK_THROWS_AS(s->commitContainer("nope"), hutch::NotFound);
            s->removeContainer("c");
            s->removeContainer("c2");
        }
    }
}
