// Tree walks of any depth (issue 13: an image with ~1,100 nested directories made rmi fail
// with "Too many open files" and bricked the store): removal, copy and walk of trees 1,100,
// 5,000 (paths far beyond PATH_MAX) and 100,000 levels deep, in a child limited to 64 fds
// and a 1 MiB stack; removal of what the owner made unreadable or unwritable.
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "deep_tree.hpp"
#include "hutch/common/fscopy.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/fswalk.hpp"

using namespace hutch;

namespace {

struct Scratch {
    std::string path;
    Scratch() {
        // tmpfs when there is one: 100,000 mkdir/rmdir are disk-bound minutes on a VM's disk.
        char t[] = "/dev/shm/hutch-fswalk-XXXXXX";
        char u[] = "/tmp/hutch-fswalk-XXXXXX";
        char* made = ::mkdtemp(t);
        if (!made) made = ::mkdtemp(u);
        REQUIRE(made != nullptr);
        path = made;
    }
    ~Scratch() {
        try {
            fsutil::removeAll(path);
        } catch (...) {
        }
    }
    std::string operator/(const std::string& p) const { return path + "/" + p; }
};

bool exists(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("removeAll, copyTree and walk of deep trees with 64 fds", "[common][fswalk]") {
    // 1,100 levels (the issue), and 5,000 levels of 10-char names: 55,000-byte paths.
    auto [levels, name] = GENERATE(std::make_pair(size_t(1100), std::string("d")),
                                   std::make_pair(size_t(5000), std::string("0123456789")));
    CAPTURE(levels, name);
    Scratch s;
    REQUIRE(::mkdir((s / "outside").c_str(), 0755) == 0);
    {
        int f = ::open((s / "outside/keep").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        REQUIRE(f >= 0);
        ::close(f);
    }
    REQUIRE(::mkdir((s / "src").c_str(), 0755) == 0);
    REQUIRE(deeptree::make(s / "src", levels, name, s / "outside"));
    REQUIRE(::mkdir((s / "copy").c_str(), 0755) == 0);

    CHECK(deeptree::inLimitedChild([&] { fsutil::copyTree(s / "src", s / "copy"); }) == "");
    auto found = deeptree::inspect(s / "copy", name);
    CHECK(found.levels == levels);
    CHECK(found.leaf == "bottom");
    CHECK(found.hardlinked);
    CHECK(found.sym == s / "outside");

    size_t entries = 0, dirsAfter = 0, maxDepth = 0;
    CHECK(deeptree::inLimitedChild([&] {
              fsutil::DirCursor root(s / "copy");
              fsutil::walk(root.fd(), s / "copy",
                           fsutil::WalkVisitor{[&](const fsutil::WalkEntry& e) {
                                                   ++entries;
                                                   maxDepth = std::max(maxDepth, e.depth);
                                                   return true;
                                               },
                                               [&](const fsutil::WalkEntry&) { ++dirsAfter; }});
              if (entries != levels + 3 || dirsAfter != levels || maxDepth != levels + 1)
                  throw std::runtime_error("walk saw " + std::to_string(entries) + " entries, " +
                                           std::to_string(dirsAfter) + " directories, depth " + std::to_string(maxDepth));
          }) == "");

    CHECK(deeptree::inLimitedChild([&] {
              fsutil::removeAll(s / "src");
              fsutil::removeAll(s / "copy");
          }) == "");
    CHECK(!exists(s / "src"));
    CHECK(!exists(s / "copy"));
    CHECK(exists(s / "outside/keep"));  // the symlink to it was removed, not followed
}

TEST_CASE("removeAll and walk at 100,000 levels neither recurse nor hold fds per level", "[common][fswalk]") {
    Scratch s;
    REQUIRE(deeptree::make(s.path, 100000, "d"));
    size_t dirs = 0;
    CHECK(deeptree::inLimitedChild([&] {
              fsutil::DirCursor root(s.path);
              fsutil::walk(root.fd(), s.path, fsutil::WalkVisitor{nullptr, [&](const fsutil::WalkEntry&) { ++dirs; }});
              if (dirs != 100000) throw std::runtime_error("walked " + std::to_string(dirs) + " directories");
              fsutil::removeAll(s / "d");
          }) == "");
    CHECK(!exists(s / "d"));
}

TEST_CASE("removeAll empties directories the owner made unreadable or unwritable", "[common][fswalk]") {
    Scratch s;
    // Run as an unprivileged user: root would pass the permission checks anyway.
    const uid_t nobody = 65534;
    if (::geteuid() == 0) REQUIRE(::chown(s.path.c_str(), nobody, nobody) == 0);
    std::string err = deeptree::inLimitedChild([&] {
        if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setresgid(nobody, nobody, nobody) != 0 ||
                                 ::setresuid(nobody, nobody, nobody) != 0))
            throw std::runtime_error("cannot become nobody");
        std::string t = s / "tree";
        auto mk = [](const std::string& p, mode_t m) {
            if (::mkdir(p.c_str(), 0755) != 0) throw std::runtime_error("mkdir " + p);
            int f = ::open((p + "/file").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
            if (f < 0) throw std::runtime_error("create in " + p);
            ::close(f);
            if (::chmod(p.c_str(), m) != 0) throw std::runtime_error("chmod " + p);
        };
        mk(t, 0755);
        mk(t + "/ro", 0755);
        mk(t + "/ro/deeper", 0755);
        mk(t + "/ro/deeper/none", 0000);  // no permission at all
        ::chmod((t + "/ro/deeper").c_str(), 0555);
        ::chmod((t + "/ro").c_str(), 0500);
        mk(t + "/noexec", 0600);           // readable, not searchable
        mk(t + "/noread", 0300);           // searchable, not readable
        fsutil::removeAll(t);
        if (::access(t.c_str(), F_OK) == 0) throw std::runtime_error(t + " is still there");
    });
    CHECK(err == "");
}

TEST_CASE("openDirBeneath opens paths longer than PATH_MAX and never follows symlinks", "[common][fswalk]") {
    Scratch s;
    REQUIRE(deeptree::make(s.path, 500, "0123456789"));  // 5,500 bytes
    UniqueFd root(::open(s.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::string rel;
    for (int i = 0; i < 500; ++i) rel += (i ? "/" : "") + std::string("0123456789");
    int fd = fsutil::openDirBeneath(root.get(), rel);
    REQUIRE(fd >= 0);
    struct stat st {};
    CHECK(::fstatat(fd, "leaf", &st, 0) == 0);
    ::close(fd);
    CHECK(fsutil::openDirBeneath(root.get(), rel + "/sym") < 0);  // a symlink to /etc
    CHECK(fsutil::openDirBeneath(root.get(), "0123456789/../0123456789") == -EINVAL);
}
