#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "helpers.hpp"

using namespace testutil;
namespace fs = hutch::fsutil;

namespace {

std::string pythonSha256(const std::string& data) {
    TempDir t;
    writeFile(t / "layer.tar", data);
    std::string cmd = "python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],\"rb\").read()).hexdigest())' " +
                      (t / "layer.tar");
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    char buf[128] = {};
    REQUIRE(fgets(buf, sizeof buf, p));
    pclose(p);
    return hutch::str::trim(buf);
}

std::string sampleTar() {
    return TarBuilder().dir("etc").file("etc/passwd", "root:x:0:0::/root:/bin/sh\n").symlink("bin", "usr/bin").finish();
}

// Compresses exact bytes with libarchive's raw format writer.
std::string compress(const std::string& data, const std::string& filter) {
    std::string out;
    archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    if (filter == "gzip") archive_write_add_filter_gzip(a);
    if (filter == "zstd") archive_write_add_filter_zstd(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(
        a, &out, nullptr,
        [](archive*, void* ctx, const void* buf, size_t n) -> la_ssize_t {
            static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), n);
            return static_cast<la_ssize_t>(n);
        },
        nullptr);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "layer");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    REQUIRE(archive_write_data(a, data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
    archive_entry_free(e);
    REQUIRE(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
    return out;
}

}  // namespace

TEST_CASE("diffID is the sha256 of the uncompressed tar, for plain, gzip and zstd", "[applier]") {
    std::string plain = sampleTar();
    std::string expected = pythonSha256(plain);
    for (std::string f : {"", "gzip", "zstd"}) {
        INFO("filter " << f);
        std::string stream = f.empty() ? plain : compress(plain, f);
        if (!f.empty()) CHECK(stream != plain);
        TempDir t;
        auto r = applyString(t.path, stream);
        CHECK(r.diffId.str() == "sha256:" + expected);
        CHECK(r.uncompressedSize == plain.size());
        CHECK(fs::readFile(t / "etc/passwd") == "root:x:0:0::/root:/bin/sh\n");
    }
}

TEST_CASE("whiteouts and opaque directories in any order", "[applier]") {
    TempDir t;
    applyString(t.path, TarBuilder()
                            .dir("a")
                            .file("a/lower1", "1")
                            .dir("a/sub")
                            .file("a/sub/lower2", "2")
                            .file("gone", "x")
                            .dir("keepdir")
                            .file("keepdir/f", "f")
                            .finish());
    // opaque marker AFTER a same-layer entry, whiteout BEFORE the replacement entry
    applyString(t.path, TarBuilder()
                            .dir("a")
                            .file("a/new", "n")
                            .file("a/.wh..wh..opq", "")
                            .file(".wh.gone", "")
                            .file(".wh.keepdir", "")
                            .dir("keepdir")
                            .file("keepdir/g", "g")
                            .finish());
    CHECK(fs::readFile(t / "a/new") == "n");
    CHECK_FALSE(fs::exists(t / "a/lower1"));
    CHECK_FALSE(fs::exists(t / "a/sub"));
    CHECK_FALSE(fs::exists(t / "gone"));
    CHECK_FALSE(fs::exists(t / "keepdir/f"));
    CHECK(fs::readFile(t / "keepdir/g") == "g");
    CHECK_FALSE(fs::exists(t / "a/.wh..wh..opq"));
}

TEST_CASE("hardlinks share an inode; hardlink outside the root is refused", "[applier]") {
    TempDir t;
    applyString(t.path, TarBuilder().file("f", "data").hardlink("g", "f").hardlink("h", "/f").finish());
    CHECK(sameInode(t.path, "f", "g"));
    CHECK(sameInode(t.path, "f", "h"));
    TempDir u;
    try {
        applyString(u.path, TarBuilder().hardlink("pw", "../../../../etc/passwd").finish());
        FAIL("expected an error");
    } catch (const hutch::InvalidArgument& e) {
        CHECK(std::string(e.what()).find("\"pw\"") != std::string::npos);
    }
    CHECK_FALSE(fs::exists(u / "pw"));
}

TEST_CASE("path escapes: entries never land outside the root", "[applier]") {
    TempDir t;
    fs::mkdirAll(t / "root");
    CHECK_THROWS_AS(applyString(t / "root", TarBuilder().file("../evil", "x").finish()), hutch::InvalidArgument);
    CHECK_FALSE(fs::exists(t / "evil"));
    // a symlink to an absolute host path is stored as-is and writes through it stay inside
    applyString(t / "root", TarBuilder().symlink("tmpl", t.path).file("tmpl/escaped", "x").finish());
    CHECK(fs::exists(t / ("root" + t.path + "/escaped")));
    CHECK_FALSE(fs::exists(t / "escaped"));
    char buf[4096];
    ssize_t n = readlink((t / "root/tmpl").c_str(), buf, sizeof buf);
    CHECK(std::string(buf, static_cast<size_t>(n)) == t.path);
    // whiteout of ".." is malformed and names the entry
    try {
        applyString(t / "root", TarBuilder().file("x/.wh...", "").finish());
        FAIL("expected an error");
    } catch (const hutch::InvalidArgument& e) {
        CHECK(std::string(e.what()).find("x/.wh...") != std::string::npos);
    }
}

TEST_CASE("owners, setuid bits, security.capability and mtimes survive", "[applier]") {
    TempDir t;
    std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);  // cap_net_bind_service
    TarOpts suid;
    suid.mode = 04755;
    suid.uid = 1000;
    suid.gid = 1001;
    suid.mtime = 1234567890;
    TarOpts capo;
    capo.mode = 0755;
    capo.xattrs = {{"security.capability", cap}, {"user.note", "hi"}};
    TarOpts dir;
    dir.mode = 02775;
    dir.mtime = 1111111111;
    dir.gid = 50;
    applyString(t.path, TarBuilder()
                            .dir("d", dir)
                            .file("d/su", "x", suid)
                            .file("d/ping", "y", capo)
                            .finish());
    struct stat st;
    REQUIRE(lstat((t / "d/su").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 04755);
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
    CHECK(st.st_mtime == 1234567890);
    REQUIRE(lstat((t / "d").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 02775);
    CHECK(st.st_gid == 50);
    CHECK(st.st_mtime == 1111111111);  // restored after its content was written
    char buf[64];
    ssize_t n = getxattr((t / "d/ping").c_str(), "security.capability", buf, sizeof buf);
    REQUIRE(n == 20);
    CHECK(std::string(buf, 20) == cap);
    n = getxattr((t / "d/ping").c_str(), "user.note", buf, sizeof buf);
    if (n >= 0) CHECK(std::string(buf, static_cast<size_t>(n)) == "hi");
}

TEST_CASE("device nodes are created (root) and fifos work", "[applier]") {
    TempDir t;
    applyString(t.path, TarBuilder().chardev("null", 1, 3).finish());
    struct stat st;
    REQUIRE(lstat((t / "null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(major(st.st_rdev) == 1);
    CHECK(minor(st.st_rdev) == 3);
}

TEST_CASE("a failing reader's error propagates; garbage is an error", "[applier]") {
    TempDir t;
    hutch::storage::ReadFn bad = [](void*, size_t) -> size_t { throw hutch::DigestMismatch("blob digest mismatch"); };
    CHECK_THROWS_AS(hutch::storage::applyLayer(t.path, bad), hutch::DigestMismatch);
    CHECK_THROWS_AS(applyString(t.path, std::string(3000, 'z')), hutch::Error);
}

TEST_CASE("WhiteoutFormat::None extracts .wh. names as ordinary files and removes nothing", "[applier]") {
    TempDir t;
    applyString(t.path, TarBuilder().dir("a").file("a/keep", "k").file("gone", "g").finish());
    hutch::storage::ApplyOptions ao;
    ao.whiteouts = hutch::storage::WhiteoutFormat::None;
    hutch::storage::applyLayer(
        t.path, reader(TarBuilder().file(".wh.gone", "w").file("a/.wh..wh..opq", "o").finish()), ao);
    CHECK(fs::readFile(t / "gone") == "g");
    CHECK(fs::readFile(t / "a/keep") == "k");
    CHECK(fs::readFile(t / ".wh.gone") == "w");
    CHECK(fs::readFile(t / "a/.wh..wh..opq") == "o");
    // the path rules are the same: ".." above the root is still refused
    CHECK_THROWS_AS(hutch::storage::applyLayer(t.path, reader(TarBuilder().file("../evil", "x").finish()), ao),
                    hutch::InvalidArgument);
}
