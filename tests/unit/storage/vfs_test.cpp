#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "hutch/storage/vfs.hpp"

using namespace testutil;
namespace fs = hutch::fsutil;

TEST_CASE("vfs layer is a faithful copy of its parent plus its diff", "[vfs]") {
    TempDir g;
    hutch::storage::VfsDriver d(g.path);
    d.create("base", "");
    TarOpts o;
    o.mode = 04750;
    o.uid = 7;
    o.gid = 8;
    o.mtime = 1500000000;
    o.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20)}};
    TarOpts dirO;
    dirO.mtime = 1400000000;
    d.applyDiff("base", reader(TarBuilder()
                                   .dir("usr", dirO)
                                   .file("usr/tool", "tool", o)
                                   .hardlink("usr/tool2", "usr/tool")
                                   .symlink("link", "/usr/tool")
                                   .chardev("null", 1, 3)
                                   .finish()));
    // a sparse file
    {
        int fd = ::open((d.path("base") + "/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(pwrite(fd, "end", 3, 64 << 20) == 3);
        ::close(fd);
    }
    d.create("child", "base");
    d.applyDiff("child", reader(TarBuilder().file(".wh.link", "").file("new", "n").finish()));
    std::string b = d.path("base"), c = d.path("child");
    struct stat sb, sc;
    REQUIRE(lstat((c + "/usr/tool").c_str(), &sc) == 0);
    REQUIRE(lstat((b + "/usr/tool").c_str(), &sb) == 0);
    CHECK(sc.st_ino != sb.st_ino);
    CHECK((sc.st_mode & 07777) == 04750);
    CHECK(sc.st_uid == 7);
    CHECK(sc.st_gid == 8);
    CHECK(sc.st_mtime == 1500000000);
    CHECK(sc.st_nlink == 2);
    CHECK(sameInode(c, "usr/tool", "usr/tool2"));
    char buf[64];
    CHECK(getxattr((c + "/usr/tool").c_str(), "security.capability", buf, sizeof buf) == 20);
    REQUIRE(lstat((c + "/usr").c_str(), &sc) == 0);
    CHECK(sc.st_mtime == 1400000000);
    REQUIRE(lstat((c + "/null").c_str(), &sc) == 0);
    CHECK(S_ISCHR(sc.st_mode));
    REQUIRE(lstat((c + "/sparse").c_str(), &sc) == 0);
    CHECK(sc.st_size == (64 << 20) + 3);
    CHECK(sc.st_blocks * 512 < (1 << 20));  // still sparse
    CHECK_FALSE(fs::exists(c + "/link"));
    CHECK(fs::exists(b + "/link"));  // parent untouched
    CHECK(fs::readFile(c + "/new") == "n");
    CHECK_FALSE(fs::exists(b + "/new"));
    d.remove("child");
    CHECK_FALSE(d.exists("child"));
    CHECK_THROWS_AS(d.create("base", ""), hutch::AlreadyExists);
}
