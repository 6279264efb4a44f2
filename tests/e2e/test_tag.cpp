// e2e: local image names (tag, untag) and history, compared with podman 4.3's behaviour.
#include "harness.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

std::vector<std::string> imageNames(const Sandbox& sb) {
    Result r = sb.hutch({"images", "--format", "{{.Repository}}:{{.Tag}}"});
    REQUIRE_RC(r, 0);
    return lines(r.out);
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("e2e: tag adds names and untag removes them as podman does", "[e2e][tag]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string id = pullOk(sb, reg + "/busybox");

    Result t = sb.hutch({"tag", reg + "/busybox", "foo", "bar:1", "quay.io/x/y:2", "docker.io/bb"});
    REQUIRE_RC(t, 0);
    auto names = imageNames(sb);
    CHECK(has(names, "localhost/foo:latest"));
    CHECK(has(names, "localhost/bar:1"));
    CHECK(has(names, "quay.io/x/y:2"));
    CHECK(has(names, "docker.io/library/bb:latest"));
    // The new names find the image.
    Result byName = sb.hutch({"inspect", "--format", "{{.Id}}", "foo"});
    REQUIRE_RC(byName, 0);
    CHECK(lastLine(byName.out) == id);

    SECTION("errors") {
        Result missing = sb.hutch({"tag", "nosuch", "x"});
        REQUIRE_RC(missing, 125);
        CHECK_R(missing, contains(missing.err, "nosuch: image not known"));
        Result upper = sb.hutch({"tag", "foo", "BAD:x"});
        REQUIRE_RC(upper, 125);
        CHECK_R(upper, contains(upper.err, "normalizing name \"BAD:x\""));
        CHECK_R(upper, contains(upper.err, "repository name must be lowercase"));
        Result digest = sb.hutch({"tag", "foo", "x@sha256:" + id});
        REQUIRE_RC(digest, 125);
        CHECK_R(digest, contains(digest.err, "tag by digest not supported"));
        Result oneArg = sb.hutch({"tag", "foo"});
        REQUIRE_RC(oneArg, 125);
        CHECK_R(oneArg, contains(oneArg.err, "requires at least 2 arg(s), only received 1"));
        Result notTagged = sb.hutch({"untag", "foo", "bar:2"});
        REQUIRE_RC(notTagged, 125);
        CHECK_R(notTagged, contains(notTagged.err, "localhost/bar:2: tag not known"));
        CHECK(has(imageNames(sb), "localhost/bar:1"));   // nothing removed
    }
    SECTION("untag with names removes those names only") {
        Result u = sb.hutch({"untag", "foo", "bar:1", "quay.io/x/y:2"});
        REQUIRE_RC(u, 0);
        names = imageNames(sb);
        CHECK_FALSE(has(names, "localhost/bar:1"));
        CHECK_FALSE(has(names, "quay.io/x/y:2"));
        CHECK(has(names, "localhost/foo:latest"));
    }
    SECTION("untag without names removes every name, the image stays") {
        Result u = sb.hutch({"untag", id.substr(0, 12)});
        REQUIRE_RC(u, 0);
        names = imageNames(sb);
        REQUIRE(names.size() == 1);
        CHECK(names[0] == "<none>:<none>");
        Result q = sb.hutch({"images", "-q", "--no-trunc"});
        CHECK_R(q, contains(q.out, id));
    }
}

TEST_CASE("e2e: history lists the config history newest first", "[e2e][tag]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string base = pullOk(sb, reg + "/busybox");
    const std::string id = pullOk(sb, reg + "/layered");

    Result h = sb.hutch({"history", reg + "/layered"});
    REQUIRE_RC(h, 0);
    auto ls = lines(h.out);
    REQUIRE(ls.size() == 5);
    CHECK_R(h, ls[0].rfind("ID", 0) == 0);
    for (const char* col : {"CREATED", "CREATED BY", "SIZE", "COMMENT"}) CHECK_R(h, contains(ls[0], col));
    CHECK_R(h, ls[1].rfind(id.substr(0, 12) + " ", 0) == 0);
    CHECK_R(h, contains(ls[1], "make-images.py layer 3"));
    CHECK_R(h, ls[2].rfind("<missing>", 0) == 0);
    // The base layer is busybox's top layer: that image's id is shown.
    CHECK_R(h, ls[4].rfind(base.substr(0, 12), 0) == 0);
    CHECK_R(h, contains(ls[4], "make-images.py layer 0"));

    Result q = sb.hutch({"history", "-q", "--no-trunc", reg + "/layered"});
    REQUIRE_RC(q, 0);
    auto ql = lines(q.out);
    REQUIRE(ql.size() == 4);
    CHECK(ql[0] == id);
    CHECK(ql[1] == "<missing>");

    Result f = sb.hutch({"history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Comment}}", reg + "/layered"});
    REQUIRE_RC(f, 0);
    CHECK(lines(f.out).at(0) == id.substr(0, 12) + "|make-images.py layer 3|");

    Result t = sb.hutch({"history", "--format", "table {{.ID}} {{.Size}}", reg + "/layered"});
    REQUIRE_RC(t, 0);
    CHECK_R(t, lines(t.out).at(0).rfind("ID", 0) == 0);
    CHECK_R(t, contains(lines(t.out).at(0), "SIZE"));

    Result j = sb.hutch({"history", "--format", "json", reg + "/layered"});
    REQUIRE_RC(j, 0);
    json arr = json::parse(j.out);
    REQUIRE(arr.size() == 4);
    CHECK(arr[0]["id"] == id);
    CHECK(arr[0]["CreatedBy"] == "make-images.py layer 3");
    CHECK(arr[0]["size"].get<uint64_t>() > 0);

    Result bad = sb.hutch({"history", "nosuch"});
    REQUIRE_RC(bad, 125);
    CHECK_R(bad, contains(bad.err, "nosuch: image not known"));
}

// Issue 13 (found by a tester): `rmi n1:a` deleted the image with all its names, because the
// short name was matched as docker.io/library/n1:a and never as the stored localhost/n1:a.
TEST_CASE("e2e: rmi of one short name of several untags only that name, also when a container uses the image",
          "[e2e][tag]") {
    Sandbox sb;
    std::string id = pullOk(sb, "busybox");
    Result tag = sb.hutch({"tag", "busybox", "n1:a", "n2:b", "n3:c"});
    REQUIRE_RC(tag, 0);
    Result r = sb.hutch({"rmi", "n1:a"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "Untagged: localhost/n1:a\n");
    Result c = sb.hutch({"run", "--name", "user", "busybox", "true"});
    REQUIRE_RC(c, 0);
    Result r2 = sb.hutch({"rmi", "n2:b"});
    CHECK_R(r2, r2.rc == 0);
    CHECK_R(r2, r2.out == "Untagged: localhost/n2:b\n");
    Result names = sb.hutch({"image", "inspect", "--format", "{{range .RepoTags}}{{.}} {{end}}", id});
    REQUIRE_RC(names, 0);
    CHECK_R(names, contains(names.out, "localhost/n3:c"));
    CHECK_R(names, contains(names.out, "/busybox:latest"));
    CHECK_R(names, !contains(names.out, "n1:a"));
    CHECK_R(names, !contains(names.out, "n2:b"));
}
