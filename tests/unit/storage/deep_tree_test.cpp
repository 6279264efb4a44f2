// Layer tars of deep trees (issue 13): 1,100 levels, and 2,000 levels of 10-char names
// (22,000-byte paths, far beyond PATH_MAX; test_common's walker tests go to 100,000 levels), written, applied back and diffed against a
// parent in a child limited to 64 fds and a 1 MiB stack.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <stdexcept>

#include "../common/deep_tree.hpp"
#include "helpers.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/storage/layer_tar.hpp"
#include "hutch/storage/paths.hpp"
#include "hutch/storage/store.hpp"

using namespace testutil;
using namespace hutch::storage;
namespace fs = hutch::fsutil;

namespace {

/// A temp dir on tmpfs when there is one (deep mkdir/rmdir are disk-bound minutes on a VM's
/// disk), else testutil's under /tmp.
struct ShmDir {
    std::string path;
    ShmDir() {
        char t[] = "/dev/shm/hutch-storage-deep-XXXXXX";
        char u[] = "/tmp/hutch-storage-deep-XXXXXX";
        char* made = ::mkdtemp(t);
        if (!made) made = ::mkdtemp(u);
        if (!made) throw hutch::SysError(errno, "mkdtemp");
        path = made;
    }
    ~ShmDir() {
        try {
            fs::removeAll(path);
        } catch (...) {
        }
    }
    std::string operator/(const std::string& p) const { return fs::join(path, p); }
};

std::string layerTarOf(const std::string& tag) { return TarBuilder().dir("etc").file("etc/" + tag, tag).finish(); }

void expect(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

void checkTree(const std::string& root, const std::string& name, size_t levels, const std::string& what) {
    auto f = deeptree::inspect(root, name);
    expect(f.levels == levels, what + ": " + std::to_string(f.levels) + " levels");
    expect(f.leaf == "bottom", what + ": leaf is \"" + f.leaf + "\"");
    expect(f.hardlinked, what + ": leaf2 is not a hardlink of leaf");
    expect(f.sym == "/etc", what + ": sym points to \"" + f.sym + "\"");
}

}  // namespace

TEST_CASE("layer tars of deep trees are written and applied with 64 fds", "[storage][layer_tar][deep]") {
    auto [levels, name] = GENERATE(std::make_pair(size_t(1100), std::string("d")),
                                   std::make_pair(size_t(2000), std::string("0123456789")));
    CAPTURE(levels, name);
    ShmDir t;
    for (auto* d : {"src", "applied", "layer"}) REQUIRE(::mkdir((t / d).c_str(), 0755) == 0);
    REQUIRE(deeptree::make(t / "src", levels, name));

    std::string err = deeptree::inLimitedChild([&] {
        std::string tar;
        auto res = writeTreeDiff("", t / "src", [&](const void* p, size_t n) { tar.append(static_cast<const char*>(p), n); });
        expect(res.entries == levels + 3, "writeTreeDiff wrote " + std::to_string(res.entries) + " entries");

        applyString(t / "applied", tar);
        checkTree(t / "applied", name, levels, "applied");

        // Applying and writing again gives the same bytes, from either walker.
        std::string again;
        writeOverlayDiff(t / "applied", [&](const void* p, size_t n) { again.append(static_cast<const char*>(p), n); });
        expect(again == tar, "writeOverlayDiff of the applied tree differs from the tar applied");

        // The vfs diff of a copy with one more file at the bottom: that file and the
        // directories above it.
        fs::copyTree(t / "applied", t / "layer");
        checkTree(t / "layer", name, levels, "copy");
        {
            fs::DirCursor c(t / "layer");
            for (size_t i = 0; i < levels; ++i) c.down(name);
            int f = ::openat(c.fd(), "new", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            expect(f >= 0, "create new");
            ::close(f);
        }
        auto diff = writeTreeDiff(t / "applied", t / "layer", [](const void*, size_t) {});
        expect(diff.entries == levels + 1, "the vfs diff has " + std::to_string(diff.entries) + " entries");

        for (auto* d : {"src", "applied", "layer"}) fs::removeAll(t / d);
    });
    CHECK(err == "");
    struct stat st {};
    CHECK(::lstat((t / "src").c_str(), &st) != 0);
}

namespace {

// A layer tar of `levels` nested directories "d" with a file at the bottom.
std::string deepTar(size_t levels) {
    TarBuilder b;
    std::string p;
    for (size_t i = 0; i < levels; ++i) b.dir(p += (p.empty() ? "d" : "/d"));
    b.file(p + "/bottom", "bottom");
    return b.finish();
}

}  // namespace

TEST_CASE("a store with a 1,100-level image: the image is removed with 64 fds, the store stays usable",
          "[storage][store][deep]") {
    ShmDir t;
    auto open = [&t] { return Store::open({t / "graph", t / "run", "vfs"}); };
    const std::string tar = deepTar(1100);
    std::string err = deeptree::inLimitedChild([&] {
        auto s = open();
        Layer l = s->createLayer("deep", "", reader(tar), hutch::Digest::sha256Of(tar), hutch::Digest::sha256Of("deep"));
        s->createImage("img", {"deep:1"}, l.id, "", {});
        s->createContainer("ctr", {"c"}, "img", "");  // a full copy of the tree (vfs)
        s->removeContainer("ctr");
        s->removeImage("img");
    });
    CHECK(err == "");
    auto s = open();
    CHECK(s->images().empty());
    CHECK_FALSE(s->layer("deep"));
    CHECK_FALSE(fs::exists(t / "graph/vfs/dir/deep"));
    CHECK_FALSE(fs::exists(t / "graph/vfs/dir/ctr"));
}

TEST_CASE("a store whose incomplete layer cannot be removed still opens", "[storage][store]") {
    if (::geteuid() != 0) {
        WARN("needs root (a mount inside the layer makes its removal fail): not run");
        return;
    }
    ShmDir t;
    auto open = [&t] { return Store::open({t / "graph", t / "run", "vfs"}); };
    {
        auto s = open();
        auto tar = layerTarOf("x");
        s->createLayer("stuck", "", reader(tar), hutch::Digest::sha256Of(tar), hutch::Digest::sha256Of("x"));
    }
    // Its record marked incomplete, as a creator killed mid-way leaves it.
    const std::string records = paths::layersJson({t / "graph", "vfs"});
    std::string json = fs::readFile(records);
    auto at = json.find("\"id\"");
    REQUIRE(at != std::string::npos);
    json.insert(at, "\"incomplete\":true,");
    fs::writeFileAtomic(records, json);

    std::string err = deeptree::inLimitedChild(
        [&] {
            // A mount inside the layer (in a private mount namespace): never removed through.
            if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                ::mount("tmpfs", (t / "graph/vfs/dir/stuck/etc").c_str(), "tmpfs", 0, nullptr) != 0)
                throw std::runtime_error(std::string("mount setup: ") + std::strerror(errno));
            writeFile(t / "graph/vfs/dir/stuck/etc/on-the-mount", "kept");
            {
                auto s = open();  // the old code threw here: every command failed
                auto l = s->layer("stuck");
                expect(l && l->incomplete, "the stuck layer's record is gone");
                expect(fs::readFile(t / "graph/vfs/dir/stuck/etc/on-the-mount") == "kept", "removed through the mount");
            }
            expect(::umount2((t / "graph/vfs/dir/stuck/etc").c_str(), MNT_DETACH) == 0, "umount");
            auto s = open();  // now the recovery removes it
            expect(!s->layer("stuck"), "the layer is still recorded");
            expect(!fs::exists(t / "graph/vfs/dir/stuck"), "the layer's directory is still there");
        },
        1024);
    CHECK(err == "");
}
