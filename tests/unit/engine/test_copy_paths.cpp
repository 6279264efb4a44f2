// engine/container/copy_paths: `cp`'s argument split and podman-cp(1)'s path rules.
#include <catch2/catch.hpp>

#include "hutch/common/error.hpp"
#include "hutch/engine/container/copy_paths.hpp"

using namespace hutch::engine;
using hutch::InvalidArgument;

namespace {

CopyStat dir(const std::string& p) { return {true, true, false, p}; }
CopyStat file(const std::string& p) { return {true, false, true, p}; }
CopyStat missing(const std::string& p) { return {false, false, false, p}; }

}  // namespace

TEST_CASE("cp arguments: container:path, host paths with colons, the stream", "[cp]") {
    auto c = parseCopyLocation("web:/etc/hosts");
    CHECK(c.container == "web");
    CHECK(c.path == "/etc/hosts");
    CHECK(parseCopyLocation("web:rel/p").path == "rel/p");
    CHECK(parseCopyLocation("web:").path.empty());
    CHECK(parseCopyLocation("web:a:b").path == "a:b");  // split at the first colon
    auto h = parseCopyLocation("/x/file:name.txt");     // leading '/' or '.': always the host
    CHECK_FALSE(h.isContainer());
    CHECK(h.path == "/x/file:name.txt");
    CHECK_FALSE(parseCopyLocation("./a:b").isContainer());
    CHECK_FALSE(parseCopyLocation("plain").isContainer());
    CHECK(parseCopyLocation("-").isStream());
    CHECK_FALSE(parseCopyLocation("c:-").isStream());
}

TEST_CASE("cp paths: relative to the working directory, trailing / and /. kept", "[cp]") {
    CHECK(absoluteCopyPath("/srv", "sub") == "/srv/sub");
    CHECK(absoluteCopyPath("/srv", "./") == "/srv/./");
    CHECK(absoluteCopyPath("/srv/", ".") == "/srv/.");
    CHECK(absoluteCopyPath("/srv", "/tmp/") == "/tmp/");
    CHECK(absoluteCopyPath("/", "") == "/");
    CHECK(copyParentPath("/a/b/") == "/a");
    CHECK(copyParentPath("/a") == "/");
    CHECK(copyParentPath("/") == "/");
    CHECK(copyBaseName("/a/b/") == "b");
    CHECK(copyBaseName("/a/.") == ".");
    CHECK(copyBaseName("/") == "");
}

TEST_CASE("cp rules: onto an existing directory the source goes in, DIR/. its content", "[cp]") {
    auto p = planCopy("/h/file", file("/h/file"), "/tmp", dir("/tmp"), {}, "container c");
    CHECK(p.destDir == "/tmp");
    CHECK(p.topName == "file");
    p = planCopy("/h/dir", dir("/h/dir"), "/tmp/", dir("/tmp"), {}, "container c");
    CHECK(p.topName == "dir");
    p = planCopy("/h/dir/", dir("/h/dir"), "/tmp", dir("/tmp"), {}, "container c");
    CHECK(p.topName == "dir");
    p = planCopy("/h/dir/.", dir("/h/dir"), "/usr/", dir("/usr"), {}, "container c");
    CHECK(p.destDir == "/usr");
    CHECK(p.topName.empty());
    // A symlinked source keeps its target's name (podman uses the resolved path).
    p = planCopy("/tmp/link", dir("/tmp/real"), "/d", dir("/d"), {}, "the host");
    CHECK(p.topName == "real");
    // "dotfile." is a name, not the "/." suffix.
    p = planCopy("/h/dir.", dir("/h/dir."), "/", dir("/"), {}, "container c");
    CHECK(p.destDir == "/");
    CHECK(p.topName == "dir.");
}

TEST_CASE("cp rules: a file replaces a file (its resolved name); a directory onto a file fails", "[cp]") {
    auto p = planCopy("/h/f", file("/h/f"), "/etc/link", file("/etc/real"), {}, "container c");
    CHECK(p.destDir == "/etc");
    CHECK(p.topName == "real");
    CHECK_THROWS_MATCHES(planCopy("/h/d", dir("/h/d"), "/etc/os-release", file("/etc/os-release"), {}, "container c"),
                         InvalidArgument,
                         Catch::Matchers::Message("destination must be a directory when copying a directory"));
}

TEST_CASE("cp rules: a missing destination is created in its existing parent", "[cp]") {
    auto p = planCopy("/h/f", file("/h/f"), "/tmp/new.txt", missing("/tmp/new.txt"), dir("/tmp"), "container c");
    CHECK(p.destDir == "/tmp");
    CHECK(p.topName == "new.txt");
    // DIR/. onto a missing destination: the new directory gets the content.
    p = planCopy("/h/dir/.", dir("/h/dir"), "/newdir3", missing("/newdir3"), dir("/"), "container c");
    CHECK(p.destDir == "/");
    CHECK(p.topName == "newdir3");
    // The parent as resolved (a symlinked parent directory).
    p = planCopy("/h/f", file("/h/f"), "/escape/tmp/x", missing("/tmp/x"), dir("/tmp"), "container c");
    CHECK(p.destDir == "/tmp");
    CHECK(p.topName == "x");
}

TEST_CASE("cp rules: a missing destination ending in / or without a parent is not found", "[cp]") {
    CHECK_THROWS_MATCHES(planCopy("/h/f", file("/h/f"), "/IdoNotExist/", missing("/IdoNotExist"), dir("/"), "container c1"),
                         InvalidArgument,
                         Catch::Matchers::Message("\"/IdoNotExist/\" could not be found on container c1: no such file or directory"));
    CHECK_THROWS_MATCHES(planCopy("/h/f", file("/h/f"), "/no/x", missing("/no/x"), missing("/no"), "the host"),
                         InvalidArgument,
                         Catch::Matchers::Message("\"/no/x\" could not be found on the host: no such file or directory"));
    CHECK_THROWS_AS(planCopy("/h/f", file("/h/f"), "/etc/os-release/x", missing("/etc/os-release/x"),
                             file("/etc/os-release"), "container c"),
                    InvalidArgument);
}

TEST_CASE("cp to a tar stream: the source's name, or its content for DIR/.", "[cp]") {
    CHECK(streamTopName("/tmp", dir("/tmp")) == "tmp");
    CHECK(streamTopName("/tmp/.", dir("/tmp")) == "");
    CHECK(streamTopName("/tmp/file.txt", file("/tmp/file.txt")) == "file.txt");
    CHECK(streamTopName("/", dir("/")) == "");
}
