// e2e: image and container verbs (images, ps, rm, rmi, inspect), platform selection and the
// special test images (zstd layer; layered image with whiteouts and an opaque directory).
// The images are made by scripts/make-images.py; see its docstring for their contents.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

std::string pullWith(const Sandbox& sb, const std::vector<std::string>& args) {
    std::vector<std::string> a{"pull"};
    a.insert(a.end(), args.begin(), args.end());
    Result r = sb.hutch(a);
    REQUIRE_RC(r, 0);
    REQUIRE(isHexId(lastLine(r.out)));
    return lastLine(r.out);
}

json parseJson(const Result& r) {
    INFO(r.describe());
    json j;
    REQUIRE_NOTHROW(j = json::parse(r.out));
    return j;
}

}  // namespace

TEST_CASE("e2e: images lists a pulled image as a table and as JSON", "[e2e]") {
    Sandbox sb;
    const std::string id = pullWith(sb, {"busybox"});

    Result t = sb.hutch({"images"});
    REQUIRE_RC(t, 0);
    auto ls = lines(t.out);
    REQUIRE(ls.size() >= 2);
    CHECK_R(t, ls[0].rfind("REPOSITORY", 0) == 0);
    CHECK_R(t, contains(ls[0], "TAG"));
    CHECK_R(t, contains(ls[0], "IMAGE ID"));
    CHECK_R(t, contains(t.out, testEnv().registry + "/busybox"));
    CHECK_R(t, contains(t.out, "latest"));
    CHECK_R(t, contains(t.out, id.substr(0, 12)));

    Result j = sb.hutch({"images", "--format", "json"});
    REQUIRE_RC(j, 0);
    json arr = parseJson(j);
    REQUIRE(arr.is_array());
    REQUIRE(arr.size() == 1);
    CHECK(arr[0].value("Id", "") == id);
    CHECK_R(j, contains(arr[0].dump(), "busybox"));
}

TEST_CASE("e2e: ps -a lists a stopped container and rm removes it", "[e2e]") {
    Sandbox sb;
    pullWith(sb, {"busybox"});
    Result run = sb.hutch({"run", "--name", "e2e-stopped", "busybox", "true"});
    REQUIRE_RC(run, 0);

    Result all = sb.hutch({"ps", "-a"});
    REQUIRE_RC(all, 0);
    CHECK_R(all, contains(all.out, "e2e-stopped"));
    CHECK_R(all, contains(all.out, "Exited (0)"));

    Result running = sb.hutch({"ps"});
    REQUIRE_RC(running, 0);
    CHECK_R(running, !contains(running.out, "e2e-stopped"));

    SECTION("a second container with the same name is refused") {
        Result dup = sb.hutch({"run", "--name", "e2e-stopped", "busybox", "true"});
        REQUIRE_RC(dup, 125);
        CHECK_R(dup, contains(dup.err, "e2e-stopped"));
    }
    SECTION("rm removes it") {
        Result rm = sb.hutch({"rm", "e2e-stopped"});
        REQUIRE_RC(rm, 0);
        Result after = sb.hutch({"ps", "-a"});
        REQUIRE_RC(after, 0);
        CHECK_R(after, !contains(after.out, "e2e-stopped"));
        Result again = sb.hutch({"rm", "e2e-stopped"});
        CHECK_R(again, again.rc != 0);
        CHECK_R(again, contains(again.err, "e2e-stopped"));
    }
}

TEST_CASE("e2e: run --rm leaves no container behind", "[e2e]") {
    Sandbox sb;
    pullWith(sb, {"busybox"});
    Result run = sb.hutch({"run", "--rm", "--name", "e2e-gone", "busybox", "true"});
    REQUIRE_RC(run, 0);
    Result all = sb.hutch({"ps", "-a"});
    REQUIRE_RC(all, 0);
    CHECK_R(all, !contains(all.out, "e2e-gone"));
}

TEST_CASE("e2e: rmi removes the image", "[e2e]") {
    Sandbox sb;
    pullWith(sb, {"busybox"});
    Result rmi = sb.hutch({"rmi", "busybox"});
    REQUIRE_RC(rmi, 0);
    Result j = sb.hutch({"images", "--format", "json"});
    REQUIRE_RC(j, 0);
    json arr = parseJson(j);
    CHECK(arr.is_array());
    CHECK(arr.empty());
    Result never = sb.hutch({"run", "--rm", "--pull=never", "busybox", "true"});
    REQUIRE_RC(never, 125);
    Result again = sb.hutch({"rmi", "busybox"});
    CHECK_R(again, again.rc != 0);
}

TEST_CASE("e2e: inspect gives image and container JSON with matching ids", "[e2e]") {
    Sandbox sb;
    const std::string id = pullWith(sb, {"busybox"});

    Result img = sb.hutch({"inspect", "busybox"});
    REQUIRE_RC(img, 0);
    json ij = parseJson(img);
    REQUIRE(ij.is_array());
    REQUIRE(ij.size() == 1);
    CHECK(ij[0].value("Id", "") == id);
    CHECK(ij[0].value("Architecture", "") == "amd64");
    CHECK(ij[0].value("Os", "") == "linux");

    Result run = sb.hutch({"run", "--name", "e2e-inspect", "busybox", "true"});
    REQUIRE_RC(run, 0);
    Result ctr = sb.hutch({"inspect", "e2e-inspect"});
    REQUIRE_RC(ctr, 0);
    json cj = parseJson(ctr);
    REQUIRE(cj.is_array());
    REQUIRE(cj.size() == 1);
    const std::string cid = cj[0].value("Id", "");
    CHECK(isHexId(cid));
    CHECK(cj[0].value("Name", "") == "e2e-inspect");
    CHECK(cj[0].value("Image", "") == id);

    // The same container by (short) id.
    Result byId = sb.hutch({"inspect", cid.substr(0, 12)});
    REQUIRE_RC(byId, 0);
    json bj = parseJson(byId);
    REQUIRE(bj.is_array());
    REQUIRE(bj.size() == 1);
    CHECK(bj[0].value("Id", "") == cid);

    Result missing = sb.hutch({"inspect", "no-such-thing"});
    CHECK_R(missing, missing.rc == 125);
    CHECK_R(missing, contains(missing.err, "no such object: \"no-such-thing\""));

    // `image inspect` and `container inspect` (podman's spellings): the type is fixed.
    Result ii = sb.hutch({"image", "inspect", "--format", "{{.Id}}", "busybox"});
    CHECK_R(ii, (ii.rc == 0 && ii.out == id + "\n"));
    Result ci = sb.hutch({"container", "inspect", "--format", "{{.Name}}", cid.substr(0, 12)});
    CHECK_R(ci, (ci.rc == 0 && ci.out == "e2e-inspect\n"));
    Result notImage = sb.hutch({"image", "inspect", "e2e-inspect"});  // a container, not an image
    CHECK_R(notImage, notImage.rc == 125);
    CHECK_R(notImage, contains(notImage.err, "e2e-inspect: image not known"));
    Result notCtr = sb.hutch({"container", "inspect", "busybox"});
    CHECK_R(notCtr, notCtr.rc == 125);
    CHECK_R(notCtr, contains(notCtr.err, "no such container busybox"));
}

TEST_CASE("e2e: --platform picks the manifest from an index", "[e2e]") {
    Sandbox sb;
    // OCI index and Docker manifest list, both with linux/amd64 and linux/arm64/v8.
    const std::string image = GENERATE(as<std::string>{}, "busybox-multi", "busybox-list");
    const std::string arm = pullWith(sb, {"--platform", "linux/arm64", image});
    Result insp = sb.hutch({"inspect", image});
    REQUIRE_RC(insp, 0);
    json j = parseJson(insp);
    REQUIRE(j.is_array());
    REQUIRE(j.size() == 1);
    CHECK(j[0].value("Architecture", "") == "arm64");
    CHECK(j[0].value("Id", "") == arm);

    SECTION("the default is the host's platform (amd64)") {
        Sandbox other;
        pullWith(other, {image});
        Result a = other.hutch({"inspect", image});
        REQUIRE_RC(a, 0);
        CHECK(parseJson(a)[0].value("Architecture", "") == "amd64");
        Result run = other.hutch({"run", "--rm", image, "echo", "native"});
        REQUIRE_RC(run, 0);
        CHECK_R(run, lastLine(run.out) == "native");
    }
}

TEST_CASE("e2e: OCI manifest and zstd layer images pull and run", "[e2e]") {
    Sandbox sb;
    const std::string image = GENERATE(as<std::string>{}, "busybox-oci", "busybox-zstd");
    pullWith(sb, {image});
    Result r = sb.hutch({"run", "--rm", image, "sh", "-c", "echo ok; ls /bin/busybox"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, lines(r.out) == std::vector<std::string>{"ok", "/bin/busybox"});
}

TEST_CASE("e2e: layered image applies whiteouts and opaque directories", "[e2e]") {
    Sandbox sb;
    pullWith(sb, {"layered"});
    Result r = sb.hutch({"run", "--rm", "layered", "sh", "-c",
                         "find /data /opq /again /l3 | sort; cat /data/keep.txt /l3/link; "
                         "stat -c %i /l3/a /l3/b | uniq | wc -l; readlink /l3/link"});
    REQUIRE_RC(r, 0);
    const std::vector<std::string> expected{
        "/again", "/again/y.txt",                  // dir whited out in layer 2, re-made in 3
        "/data", "/data/keep.txt",                 // deleteme.txt and gone/ whited out
        "/l3", "/l3/a", "/l3/b", "/l3/link",       //
        "/opq", "/opq/new.txt",                    // opaque: old1.txt, sub/ hidden
        "keep", "keep",                            // file and symlink to it
        "1",                                       // a and b are one inode (hardlink)
        "../data/keep.txt",                        // symlink stored as is
    };
    CHECK_R(r, lines(r.out) == expected);
}
