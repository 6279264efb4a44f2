// e2e: `hutch commit` (podman commit): a container's changes as a new image that runs, with
// its history and diffIDs in `image inspect`; a running container; a missing container.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

// `hutch inspect --type image` (hutch has no `image inspect` verb yet).
json inspectImage(const Sandbox& sb, const std::string& name) {
    Result r = sb.hutch({"inspect", "--type", "image", name});
    REQUIRE_RC(r, 0);
    json j;
    INFO(r.describe());
    REQUIRE_NOTHROW(j = json::parse(r.out));
    REQUIRE(j.is_array());
    REQUIRE(j.size() == 1);
    return j[0];
}

}  // namespace

TEST_CASE("e2e: commit a stopped container, run the new image, inspect its history", "[e2e][commit]") {
    Sandbox sb;
    Result pull = sb.hutch({"pull", "-q", "busybox"});
    REQUIRE_RC(pull, 0);
    json base = inspectImage(sb, "busybox");
    Result run = sb.hutch({"run", "--name", "w", "busybox", "sh", "-c",
                           "echo hello from commit > /hello && rm -rf /etc/group && mkdir -p /d && echo x > /d/x"});
    REQUIRE_RC(run, 0);
    Result c = sb.hutch({"commit", "-c", "CMD [\"cat\",\"/hello\"]", "-c", "ENV FOO=bar", "-a", "tester", "w", "committed"});
    REQUIRE_RC(c, 0);
    std::string id = lastLine(c.out);
    CHECK_R(c, isHexId(id));
    CHECK_R(c, c.err.find("Writing manifest to image destination") != std::string::npos);

    Result r2 = sb.hutch({"run", "--rm", "committed"});
    REQUIRE_RC(r2, 0);
    CHECK_R(r2, r2.out == "hello from commit\n");
    Result r3 = sb.hutch({"run", "--rm", "localhost/committed:latest", "sh", "-c",
                          "test ! -e /etc/group && cat /d/x && echo $FOO"});
    REQUIRE_RC(r3, 0);
    CHECK_R(r3, r3.out == "x\nbar\n");

    json img = inspectImage(sb, "committed");
    CHECK(img.value("Id", "") == id);
    CHECK(img["RepoTags"] == json({"localhost/committed:latest"}));
    auto baseLayers = base["RootFS"]["Layers"];
    auto layers = img["RootFS"]["Layers"];
    REQUIRE(layers.size() == baseLayers.size() + 1);
    for (size_t i = 0; i < baseLayers.size(); ++i) CHECK(layers[i] == baseLayers[i]);
    REQUIRE(img["History"].size() == base["History"].size() + 1);
    json last = img["History"].back();
    CHECK(last.value("author", "") == "tester");
    CHECK(last.value("comment", "").find("FROM ") == 0);
    CHECK(img["Config"]["Cmd"] == json({"cat", "/hello"}));

    // -q prints only the id; an unnamed image; docker format
    Result q = sb.hutch({"commit", "-q", "-f", "docker", "-m", "a message", "w"});
    REQUIRE_RC(q, 0);
    CHECK_R(q, isHexId(q.out.substr(0, q.out.size() - 1)));
    CHECK_R(q, q.err.empty());
    json d = inspectImage(sb, lastLine(q.out));
    CHECK(d.value("ManifestType", "") == "application/vnd.docker.distribution.manifest.v2+json");
    // a message needs the docker format, as podman says
    Result m = sb.hutch({"commit", "-m", "msg", "w", "x"});
    CHECK_R(m, m.rc == 125);
    CHECK_R(m, m.err.find("only compatible with the docker image format") != std::string::npos);
}

TEST_CASE("e2e: commit a running container and a missing one", "[e2e][commit]") {
    Sandbox sb;
    std::string cid = runDetached(sb, {"--name", "live", "busybox", "sh", "-c", "echo live > /state && sleep 600"});
    // wait until the file is written
    for (int i = 0; i < 50; ++i) {
        Result e = sb.hutch({"exec", "live", "cat", "/state"});
        if (e.rc == 0 && e.out == "live\n") break;
    }
    Result c = sb.hutch({"commit", "-p", "live", "snap"});
    REQUIRE_RC(c, 0);
    Result r = sb.hutch({"run", "--rm", "snap", "cat", "/state"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "live\n");
    Result rm = sb.hutch({"rm", "-f", "live"});
    REQUIRE_RC(rm, 0);

    Result miss = sb.hutch({"commit", "nope", "img"});
    CHECK_R(miss, miss.rc == 125);
    CHECK_R(miss, miss.err.find("nope") != std::string::npos);
}

TEST_CASE("e2e: commit with the vfs driver (tree comparison), rootless", "[e2e][commit]") {
    Sandbox sb;
    auto h = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--storage-driver", "vfs"});
        return sb.hutch(args);
    };
    Result run = h({"run", "--name", "v", "busybox", "sh", "-c",
                    "echo hi > /hello && mkdir /d && ln /hello /d/hl && ln -s /hello /sl && rm -rf /etc/group"});
    REQUIRE_RC(run, 0);
    Result c = h({"commit", "-q", "v", "vimg"});
    REQUIRE_RC(c, 0);
    Result r = h({"run", "--rm", "vimg", "sh", "-c",
                  "test ! -e /etc/group && cat /sl && stat -c %h /hello && test /hello -ef /d/hl && echo same"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "hi\n2\nsame\n");
    Result again = h({"commit", "-q", "v", "vimg2"});
    REQUIRE_RC(again, 0);
    // the same changes make the same layer: both images list the same diffIDs
    Result i1 = h({"inspect", "--type", "image", "--format", "{{json .RootFS.Layers}}", "vimg"});
    Result i2 = h({"inspect", "--type", "image", "--format", "{{json .RootFS.Layers}}", "vimg2"});
    REQUIRE_RC(i1, 0);
    CHECK_R(i2, i1.out == i2.out);
}
