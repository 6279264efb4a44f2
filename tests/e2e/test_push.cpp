// e2e: push, then pull back (same manifest digest with hutch and with skopeo), against the
// seeded test registry (HUTCH_TEST_REGISTRY); a podman pull of a pushed image.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

}  // namespace

TEST_CASE("e2e: push then pull back gives the same manifest digest", "[e2e][push]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string id = pullOk(sb, reg + "/busybox");
    const std::string dest = reg + "/pushtest/busybox:" + uniqueTag();
    {
        Result r1 = sb.hutch({"tag", reg + "/busybox", dest});
        REQUIRE_RC(r1, 0);
    }

    const fs::path digestFile = sb.home() / "digest";
    Result p = sb.hutch({"push", "--tls-verify=false", "--digestfile", digestFile.string(), dest});
    REQUIRE_RC(p, 0);
    for (const char* line : {"Getting image source signatures", "Copying blob sha256:", "Copying config sha256:" ,
                             "Writing manifest to image destination", "Storing signatures"})
        CHECK_R(p, contains(p.err, line));
    const std::string pushed = readFile(digestFile);
    REQUIRE(pushed.rfind("sha256:", 0) == 0);

    // The registry serves that digest (skopeo), and hutch pulls it back under it.
    std::string sk = hostCommand("skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://" + dest);
    CHECK(lastLine(sk) == pushed);
    Sandbox other;
    CHECK(pullOk(other, dest) == id);
    Result d = other.hutch({"inspect", "--format", "{{.Digest}}", dest});
    REQUIRE_RC(d, 0);
    CHECK(lastLine(d.out) == pushed);

    SECTION("as OCI: a new manifest, layers mounted, the image runs after a pull") {
        const std::string oci = reg + "/pushtest/busybox-oci:" + uniqueTag();
        Result po = sb.hutch({"push", "--tls-verify=false", "--format", "oci", "-q",
                              "--digestfile", digestFile.string(), reg + "/busybox", "docker://" + oci});
        REQUIRE_RC(po, 0);
        CHECK_R(po, po.err.empty());
        std::string raw = hostCommand("skopeo inspect --raw --tls-verify=false docker://" + oci);
        json m = json::parse(raw);
        CHECK(m["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
        CHECK(m["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip");
        CHECK(readFile(digestFile) != pushed);
        Sandbox third;
        CHECK(pullOk(third, oci) == id);
        Result run = third.hutch({"run", "--rm", oci, "echo", "pushed-ok"});
        REQUIRE_RC(run, 0);
        CHECK_R(run, contains(run.out, "pushed-ok"));
    }
}

TEST_CASE("e2e: push errors", "[e2e][push]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    pullOk(sb, reg + "/busybox");
    Result host = sb.hutch({"push", "--tls-verify=false", reg + "/busybox", "nosuchhost.invalid:5000/x/y:z"});
    REQUIRE_RC(host, 125);
    CHECK_R(host, contains(host.err, "nosuchhost.invalid:5000"));
    Result missing = sb.hutch({"push", "nosuch", reg + "/x/y"});
    REQUIRE_RC(missing, 125);
    CHECK_R(missing, contains(missing.err, "nosuch: image not known"));
    Result fmt = sb.hutch({"push", "--format", "v2s1", reg + "/busybox", reg + "/x/y"});
    REQUIRE_RC(fmt, 125);
    CHECK_R(fmt, contains(fmt.err, "v2s1"));
    // podman checks --authfile before anything: a missing file is an error, not "no auth".
    Result auth = sb.hutch({"push", "-q", "--authfile", "/nonexistent/auth.json", reg + "/busybox",
                            reg + "/pushtest/authfile:x"});
    REQUIRE_RC(auth, 125);
    CHECK_R(auth, contains(auth.err, "stat /nonexistent/auth.json"));
}

TEST_CASE("e2e: a loaded image pushes with regenerated layers and pulls back under podman too", "[e2e][push]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string name = reg + "/layered";
    pullOk(sb, name);
    // save + rmi + load: the layers no longer have a registry (compressed) digest.
    const std::string archive = (sb.home() / "l.tar").string();
    Result s = sb.hutch({"save", "-q", "-o", archive, name});
    REQUIRE_RC(s, 0);
    Result rmi = sb.hutch({"rmi", name});
    REQUIRE_RC(rmi, 0);
    Result load = sb.hutch({"load", "-q", "-i", archive});
    REQUIRE_RC(load, 0);
    Result idr = sb.hutch({"inspect", "--format", "{{.Id}}", name});
    REQUIRE_RC(idr, 0);
    const std::string id = lastLine(idr.out);

    const std::string dest = reg + "/pushtest/regen:" + uniqueTag();
    const fs::path digestFile = sb.home() / "digest";
    Result p = sb.hutch({"push", "--tls-verify=false", "--digestfile", digestFile.string(), name, dest},
                        RunOptions::withTimeout(std::chrono::seconds(300)));
    REQUIRE_RC(p, 0);
    const std::string pushed = readFile(digestFile);
    REQUIRE(pushed.rfind("sha256:", 0) == 0);
    CHECK(lastLine(hostCommand("skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://" + dest)) == pushed);

    Sandbox other;
    CHECK(pullOk(other, dest) == id);
    Result d = other.hutch({"inspect", "--format", "{{.Digest}}", dest});
    REQUIRE_RC(d, 0);
    CHECK(lastLine(d.out) == pushed);
    Result run = other.hutch({"run", "--rm", dest, "sh", "-c", "echo regen-ok"});
    REQUIRE_RC(run, 0);
    CHECK_R(run, contains(run.out, "regen-ok"));

    // podman (as root, in a private vfs store) pulls it with the same digest and image id.
    const std::string pod = "podman --root " + (sb.dir() / "podman-root").string() + " --runroot " +
                            (sb.dir() / "podman-run").string() + " --storage-driver vfs";
    hostCommand(pod + " pull -q --tls-verify=false " + dest);
    std::string got = hostCommand(pod + " images --no-trunc --format '{{.Digest}} {{.ID}}' " + dest);
    CHECK(lastLine(got) == pushed + " sha256:" + id);
    hostCommand(pod + " rmi -a -f >/dev/null 2>&1; true");
}

TEST_CASE("e2e: a committed image pushes its pulled base layers as they are (same image id back)", "[e2e][push]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    pullOk(sb, reg + "/busybox");
    Result run = sb.hutch({"run", "--name", "c", reg + "/busybox", "sh", "-c", "echo committed > /f"});
    REQUIRE_RC(run, 0);
    Result c = sb.hutch({"commit", "-q", "c", "mine"});
    REQUIRE_RC(c, 0);
    const std::string id = lastLine(c.out);
    REQUIRE(isHexId(id));

    const std::string dest = reg + "/pushtest/committed:" + uniqueTag();
    Result p = sb.hutch({"push", "--tls-verify=false", "-q", "mine", dest});
    REQUIRE_RC(p, 0);
    // The base layer is the registry's own blob (mounted or found), not a regenerated one.
    json base = json::parse(hostCommand("skopeo inspect --raw --tls-verify=false docker://" + reg + "/busybox"));
    json pushed = json::parse(hostCommand("skopeo inspect --raw --tls-verify=false docker://" + dest));
    REQUIRE(pushed["layers"].size() == 2);
    CHECK(pushed["layers"][0]["digest"] == base["layers"][0]["digest"]);
    CHECK(pushed["layers"][0]["size"] == base["layers"][0]["size"]);

    Sandbox other;
    CHECK(pullOk(other, dest) == id);
    Result r = other.hutch({"run", "--rm", dest, "cat", "/f"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, contains(r.out, "committed"));
}

TEST_CASE("e2e: a committed image on a zstd base pushes as v2s2 (the base regenerated as gzip)", "[e2e][push]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    pullOk(sb, reg + "/busybox-zstd");
    Result run = sb.hutch({"run", "--name", "c", reg + "/busybox-zstd", "sh", "-c", "echo on-zstd > /f"});
    REQUIRE_RC(run, 0);
    Result c = sb.hutch({"commit", "-q", "c", "mine"});
    REQUIRE_RC(c, 0);
    const std::string dest = reg + "/pushtest/zstdbase:" + uniqueTag();
    Result p = sb.hutch({"push", "--tls-verify=false", "-q", "--format", "v2s2", "mine", dest});
    REQUIRE_RC(p, 0);
    json pushed = json::parse(hostCommand("skopeo inspect --raw --tls-verify=false docker://" + dest));
    CHECK(pushed["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json");
    for (const auto& l : pushed["layers"]) CHECK(l["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip");
    Sandbox other;
    pullOk(other, dest);
    Result r = other.hutch({"run", "--rm", dest, "cat", "/f"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, contains(r.out, "on-zstd"));
}
