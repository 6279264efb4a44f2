// The layer tar writer (storage/layer_tar.hpp): entry order, whiteouts, opaque markers,
// hardlinks, xattr filtering, determinism and the apply -> write round trip.
#include <clocale>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "hutch/storage/layer_tar.hpp"

using namespace testutil;
using namespace hutch::storage;
namespace fs = hutch::fsutil;

namespace {

struct Entry {
    std::string name, hardlink, symlink;
    unsigned type = 0, perm = 0;
    int64_t size = 0;
    bool hasUname = false, hasAtime = false;
    long mtimeNsec = 0;
    std::vector<std::string> xattrs;
};

std::vector<Entry> entries(const std::string& tar) {
    std::vector<Entry> out;
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    REQUIRE(archive_read_open_memory(a, tar.data(), tar.size()) == ARCHIVE_OK);
    archive_entry* e;
    int rc;
    // ARCHIVE_WARN: a name that does not convert to the C locale (non-ASCII); its bytes are kept
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
        Entry x;
        x.name = archive_entry_pathname(e);
        if (auto h = archive_entry_hardlink(e)) x.hardlink = h;
        if (auto l = archive_entry_symlink(e)) x.symlink = l;
        x.type = archive_entry_filetype(e);
        x.perm = archive_entry_perm(e);
        x.size = archive_entry_size(e);
        x.hasUname = archive_entry_uname(e) && *archive_entry_uname(e);
        x.hasAtime = archive_entry_atime_is_set(e);
        x.mtimeNsec = archive_entry_mtime_nsec(e);
        archive_entry_xattr_reset(e);
        const char* n;
        const void* v;
        size_t sz;
        while (archive_entry_xattr_next(e, &n, &v, &sz) == ARCHIVE_OK) x.xattrs.push_back(n);
        out.push_back(x);
    }
    archive_read_free(a);
    return out;
}

std::vector<std::string> names(const std::vector<Entry>& v) {
    std::vector<std::string> out;
    for (auto& e : v) out.push_back(e.name);
    return out;
}

std::string writeOverlay(const std::string& dir, LayerTarResult* res = nullptr) {
    std::string out;
    auto r = writeOverlayDiff(dir, [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); });
    CHECK(r.diffId == hutch::Digest::sha256Of(out));
    CHECK(r.uncompressedSize == out.size());
    if (res) *res = r;
    return out;
}

std::string writeTree(const std::string& parent, const std::string& dir) {
    std::string out;
    writeTreeDiff(parent, dir, [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); });
    return out;
}

}  // namespace

TEST_CASE("layer tar from an overlay diff: order, whiteouts, opaque, hardlinks, xattrs", "[layertar]") {
    TempDir t;
    std::string d = t / "diff";
    fs::mkdirAll(d + "/d/sub");
    writeFile(d + "/d/f", "f");
    writeFile(d + "/a", "hard");
    REQUIRE(::link((d + "/a").c_str(), (d + "/b").c_str()) == 0);
    REQUIRE(::mknod((d + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
    REQUIRE(::setxattr((d + "/d").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
    REQUIRE(::setxattr((d + "/d/f").c_str(), "trusted.overlay.origin", "zz", 2, 0) == 0);
    REQUIRE(::setxattr((d + "/d/f").c_str(), "user.keep", "1", 1, 0) == 0);
    REQUIRE(::setxattr((d + "/d/sub").c_str(), "user.overlay.opaque", "y", 1, 0) == 0);
    REQUIRE(::symlink("a", (d + "/s").c_str()) == 0);
    REQUIRE(::chmod((d + "/a").c_str(), 04711) == 0);
    LayerTarResult res;
    std::string tar = writeOverlay(d, &res);
    CHECK(res.entries == 9);
    auto v = entries(tar);
    CHECK(names(v) == std::vector<std::string>{".wh.gone", "a", "b", "d/", "d/.wh..wh..opq", "d/f", "d/sub/",
                                               "d/sub/.wh..wh..opq", "s"});
    REQUIRE(v.size() == 9);
    CHECK(v[0].type == AE_IFREG);
    CHECK(v[0].size == 0);
    CHECK(v[1].perm == 04711);
    CHECK(v[1].size == 4);
    CHECK(v[2].hardlink == "a");
    CHECK(v[2].size == 0);
    CHECK(v[5].xattrs == std::vector<std::string>{"user.keep"});
    CHECK(v[3].xattrs.empty());
    CHECK(v[8].symlink == "a");
    for (auto& e : v) {
        CHECK_FALSE(e.hasUname);
        CHECK_FALSE(e.hasAtime);
        CHECK(e.mtimeNsec == 0);
    }
    CHECK(tar.size() % 512 == 0);
    CHECK(tar == writeOverlay(d));  // deterministic
    // round trip: applied in overlay format and written again, the same bytes
    std::string back = t / "back";
    fs::mkdirAll(back);
    ApplyOptions ao;
    ao.whiteouts = WhiteoutFormat::Overlay;
    applyLayer(back, reader(tar), ao);
    CHECK(writeOverlay(back) == tar);
}

TEST_CASE("layer tar from a tree diff: changes, topmost whiteouts, parents of changes", "[layertar]") {
    TempDir t;
    std::string p = t / "parent", c = t / "child";
    fs::mkdirAll(p);
    applyString(p, TarBuilder()
                       .dir("etc")
                       .file("etc/a", "a")
                       .file("etc/b", "b")
                       .dir("gone")
                       .dir("gone/deep")
                       .file("gone/deep/x", "x")
                       .dir("same")
                       .file("same/y", "y")
                       .finish());
    fs::mkdirAll(c);
    fs::copyTree(p, c);
    CHECK(entries(writeTree(p, c)).empty());  // a copy has no changes
    writeFile(c + "/etc/b", "changed");
    fs::removeAll(c + "/gone");
    writeFile(c + "/new", "n");
    std::string tar = writeTree(p, c);
    CHECK(names(entries(tar)) == std::vector<std::string>{".wh.gone", "etc/", "etc/b", "new"});
    // round trip: applied on a copy of the parent and written again, the same bytes
    std::string back = t / "back";
    fs::mkdirAll(back);
    fs::copyTree(p, back);
    applyLayer(back, reader(tar));
    CHECK(writeTree(p, back) == tar);
    // no parent: everything is added
    CHECK(names(entries(writeTree("", p))).size() == 8);
}

TEST_CASE("layer tar: an error of the output is passed through", "[layertar]") {
    TempDir t;
    writeFile(t / "f", "x");
    CHECK_THROWS_WITH(writeOverlayDiff(t.path, [](const void*, size_t) { throw hutch::Error("disk full"); }),
                      "disk full");
}

// Debian's ca-certificates creates /usr/share/ca-certificates/mozilla/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt;
// a name is any byte string, UTF-8 or not, and the tar's bytes must not depend on the locale.
TEST_CASE("layer tar: non-ASCII and non-UTF-8 names, link targets and hard links", "[layertar]") {
    TempDir t;
    std::string d = t / "d";
    const std::string utf8 = "F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem";  // Főtanúsítvány.pem
    const std::string latin1 = "caf\xe9";                                               // not UTF-8
    fs::mkdirAll(d + "/" + latin1);
    writeFile(d + "/" + utf8, "cert");
    writeFile(d + "/" + latin1 + "/\xff\xfe", "x");
    REQUIRE(::symlink(utf8.c_str(), (d + "/link-" + latin1).c_str()) == 0);
    REQUIRE(::link((d + "/" + utf8).c_str(), (d + "/hard-" + latin1).c_str()) == 0);

    std::string tar = writeTree("", d);
    auto v = entries(tar);
    REQUIRE(names(v) == std::vector<std::string>{utf8, latin1 + "/", latin1 + "/\xff\xfe", "hard-" + latin1,
                                                 "link-" + latin1});
    CHECK(v[3].hardlink == utf8);
    CHECK(v[4].symlink == utf8);

    // the same bytes under a UTF-8 locale (libarchive converts names through the locale)
    const char* was = ::setlocale(LC_ALL, nullptr);
    std::string saved = was ? was : "C";
    if (::setlocale(LC_ALL, "C.UTF-8")) {
        std::string again = writeTree("", d);
        ::setlocale(LC_ALL, saved.c_str());
        CHECK(again == tar);
    } else {
        FAIL("the C.UTF-8 locale is missing (glibc ships it on Debian)");
    }

    // applied and written again: the same names and bytes
    std::string back = t / "back";
    fs::mkdirAll(back);
    applyLayer(back, reader(tar));
    CHECK(readIn(back, utf8) == "cert");
    CHECK(readIn(back, latin1 + "/\xff\xfe") == "x");
    CHECK(writeTree("", back) == tar);
}
