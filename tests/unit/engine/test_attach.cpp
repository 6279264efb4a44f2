// attach: detach keys (podman's --detach-keys syntax) and the detach sequence matcher.
#include <catch2/catch.hpp>

#include "hutch/common/error.hpp"
#include "hutch/engine/container/attach.hpp"

using hutch::engine::DetachMatcher;
using hutch::engine::parseDetachKeys;

TEST_CASE("parseDetachKeys: podman's syntax", "[engine][attach]") {
    CHECK(parseDetachKeys("ctrl-p,ctrl-q") == "\x10\x11");
    CHECK(parseDetachKeys("ctrl-a") == "\x01");
    CHECK(parseDetachKeys("ctrl-Z") == "\x1a");
    CHECK(parseDetachKeys("ctrl-@") == std::string(1, '\0'));
    CHECK(parseDetachKeys("ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_") == "\x1b\x1c\x1d\x1e\x1f");
    CHECK(parseDetachKeys("x,ctrl-x") == "x\x18");
    CHECK(parseDetachKeys("").empty());
    CHECK_THROWS_AS(parseDetachKeys("ctrl-1"), hutch::InvalidArgument);
    CHECK_THROWS_AS(parseDetachKeys("ctrl-pq"), hutch::InvalidArgument);
    CHECK_THROWS_WITH(parseDetachKeys("ctrl-p,alt-q"), Catch::Contains("--detach-keys") && Catch::Contains("alt-q"));
}

TEST_CASE("DetachMatcher: holds a partial sequence back and passes it on when it fails", "[engine][attach]") {
    SECTION("the sequence in one read") {
        DetachMatcher m("\x10\x11");
        CHECK(m.feed("ab\x10\x11zz") == "ab");
        CHECK(m.detached());
    }
    SECTION("the sequence split across reads") {
        DetachMatcher m("\x10\x11");
        CHECK(m.feed("a\x10") == "a");
        CHECK_FALSE(m.detached());
        CHECK(m.feed("\x11") == "");
        CHECK(m.detached());
    }
    SECTION("a failed prefix is passed on, and a new start is recognised") {
        DetachMatcher m("\x10\x11");
        CHECK(m.feed("\x10x") == "\x10x");
        CHECK(m.feed("\x10\x10") == "\x10");
        CHECK_FALSE(m.detached());
        CHECK(m.feed("\x11") == "");
        CHECK(m.detached());
    }
    SECTION("no keys: everything passes, never detaches") {
        DetachMatcher m("");
        CHECK(m.feed("\x10\x11") == "\x10\x11");
        CHECK_FALSE(m.detached());
    }
}
