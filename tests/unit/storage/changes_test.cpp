// `diff`'s change list (storage/changes.hpp): an overlay layer against the layers below it
// (whiteouts, opaque directories, unchanged copied-up directories, whiteouts and opaque
// directories in the lower layers), and a vfs tree against its parent's, in podman's order.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "hutch/storage/changes.hpp"

using namespace testutil;
using namespace hutch::storage;
namespace fs = hutch::fsutil;

namespace {

std::vector<std::string> render(const std::vector<Change>& v) {
    std::vector<std::string> out;
    for (const auto& c : v) out.push_back(std::string(1, changeLetter(c.kind)) + " " + c.path);
    return out;
}

void whiteout(const std::string& p) { REQUIRE(::mknod(p.c_str(), S_IFCHR | 0, makedev(0, 0)) == 0); }

// Gives `b` the mtime of `a` (a directory copied up unchanged keeps it).
void sameMtime(const std::string& a, const std::string& b) {
    struct stat st {};
    REQUIRE(::lstat(a.c_str(), &st) == 0);
    timespec ts[2] = {st.st_atim, st.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, b.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

}  // namespace

TEST_CASE("changes of an overlay layer: A/C/D, whiteouts, opaque dirs, podman's order", "[changes]") {
    TempDir t;
    std::string low = t / "low", mid = t / "mid", up = t / "up";
    // The base layer.
    fs::mkdirAll(low + "/etc");
    writeFile(low + "/etc/group", "g");
    writeFile(low + "/etc/passwd", "p");
    fs::mkdirAll(low + "/home/tester");
    writeFile(low + "/home/tester/.profile", "x");
    fs::mkdirAll(low + "/usr/bin");
    writeFile(low + "/usr/bin/tool", "1");
    writeFile(low + "/old", "o");
    fs::mkdirAll(low + "/opq");
    writeFile(low + "/opq/x", "x");
    // A middle layer: removes /old, makes /opq opaque (empty).
    fs::mkdirAll(mid);
    whiteout(mid + "/old");
    fs::mkdirAll(mid + "/opq");
    REQUIRE(::setxattr((mid + "/opq").c_str(), "user.overlay.opaque", "y", 1, 0) == 0);
    // The container's upper dir.
    fs::mkdirAll(up + "/etc");
    whiteout(up + "/etc/group");
    writeFile(up + "/etc/passwd", "p2");
    fs::mkdirAll(up + "/home");
    REQUIRE(::setxattr((up + "/home").c_str(), "user.overlay.opaque", "y", 1, 0) == 0);
    writeFile(up + "/home/z", "z");
    fs::mkdirAll(up + "/home/tester");  // under the opaque dir: new, not a change
    fs::mkdirAll(up + "/usr/bin");
    writeFile(up + "/usr/bin/tool", "2");
    writeFile(up + "/old", "again");  // removed by the middle layer: new here
    fs::mkdirAll(up + "/opq");
    writeFile(up + "/opq/x", "x");  // hidden by the middle layer's opaque dir: new here
    fs::mkdirAll(up + "/nd/sub");
    writeFile(up + "/nd/sub/f", "f");
    writeFile(up + "/aaa", "a");
    for (const char* d : {"/usr/bin", "/usr", "/etc", "/opq"}) sameMtime(low + d, up + d);
    sameMtime(mid + "/opq", up + "/opq");

    auto changes = classifyChanges(overlayChangeset(up), overlayLowerView({mid, low}));
    CHECK(render(changes) == std::vector<std::string>{
                                 "A /aaa",
                                 "C /etc",
                                 "D /etc/group",
                                 "C /etc/passwd",
                                 "D /home",
                                 "A /home/tester",
                                 "A /home/z",
                                 "A /nd",
                                 "A /nd/sub",
                                 "A /nd/sub/f",
                                 "A /old",
                                 "C /opq",
                                 "A /opq/x",
                                 "C /usr/bin/tool",
                             });
}

TEST_CASE("changes of a vfs tree against its parent's", "[changes]") {
    TempDir t;
    std::string parent = t / "parent", layer = t / "layer";
    for (const std::string& root : {parent, layer}) {
        fs::mkdirAll(root + "/etc");
        writeFile(root + "/etc/passwd", "p");
        fs::mkdirAll(root + "/usr/bin");
        writeFile(root + "/usr/bin/tool", "1");
        writeFile(root + "/zz", "z");
    }
    writeFile(parent + "/etc/group", "g");
    writeFile(layer + "/usr/bin/tool", "22");
    ::unlink((layer + "/zz").c_str());
    fs::mkdirAll(layer + "/nd");
    writeFile(layer + "/nd/f", "f");
    sameMtime(parent + "/etc/passwd", layer + "/etc/passwd");
    for (const char* d : {"/usr/bin", "/usr", "/etc"}) sameMtime(parent + d, layer + d);
    // /etc lost a file: its size differs on some filesystems, so only the deletion is checked
    auto changes = render(classifyChanges(treeChangeset(parent, layer), treeLowerView(parent)));
    CHECK(changes == std::vector<std::string>{"C /etc", "D /etc/group", "A /nd", "A /nd/f", "C /usr/bin/tool",
                                              "D /zz"});

    // No parent: everything is added.
    auto base = render(classifyChanges(treeChangeset("", parent), treeLowerView("")));
    CHECK(base == std::vector<std::string>{"A /etc", "A /etc/group", "A /etc/passwd", "A /usr", "A /usr/bin",
                                           "A /usr/bin/tool", "A /zz"});
}
