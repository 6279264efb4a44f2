// common/idmap: cutting a uid_map line where the writer's own extents end (the kernel takes
// a line only when its parent ids lie in one extent).
#include <catch2/catch.hpp>

#include "hutch/common/idmap.hpp"

using namespace hutch;

TEST_CASE("idmap: splitAlongExtents cuts mappings at the parent's extent boundaries", "[idmap]") {
    const std::vector<IdMapping> session{{0, 1001, 1}, {1, 100000, 65536}};
    // The session's ids onto themselves: one line per extent.
    CHECK(splitAlongExtents({{0, 0, 65537}}, session) == std::vector<IdMapping>{{0, 0, 1}, {1, 1, 65536}});
    // Inside one extent: unchanged.
    CHECK(splitAlongExtents({{0, 1, 65536}}, session) == std::vector<IdMapping>{{0, 1, 65536}});
    CHECK(splitAlongExtents({{5, 0, 1}}, session) == std::vector<IdMapping>{{5, 0, 1}});
    // keep-id's three lines stay three.
    std::vector<IdMapping> keep{{0, 1, 1001}, {1001, 0, 1}, {1002, 1002, 64535}};
    CHECK(splitAlongExtents(keep, session) == keep);
    // Parent extents out of order, with a gap: cut at each boundary, the gap kept as it is.
    const std::vector<IdMapping> gappy{{100, 5000, 50}, {0, 7000, 10}};
    CHECK(splitAlongExtents({{0, 0, 200}}, gappy) ==
          std::vector<IdMapping>{{0, 0, 10}, {10, 10, 90}, {100, 100, 50}, {150, 150, 50}});
    // No parent map (not readable): unchanged.
    CHECK(splitAlongExtents({{0, 0, 65537}}, {}) == std::vector<IdMapping>{{0, 0, 65537}});
    // Past the parent's last extent: one piece, which the kernel refuses.
    CHECK(splitAlongExtents({{0, 65537, 3}}, session) == std::vector<IdMapping>{{0, 65537, 3}});
}
