#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/platform.hpp"

using namespace hutch;
using namespace hutch::registry;
using nlohmann::json;

namespace {

const std::string kD1 = "sha256:" + std::string(64, 'a');
const std::string kD2 = "sha256:" + std::string(64, 'b');
const std::string kD3 = "sha256:" + std::string(64, 'c');

json desc(const std::string& mt, const std::string& d, int64_t size) {
    return json{{"mediaType", mt}, {"digest", d}, {"size", size}};
}

std::string ociManifest() {
    return json{{"schemaVersion", 2},
                {"mediaType", mediatype::kOciManifest},
                {"config", desc(mediatype::kOciConfig, kD1, 10)},
                {"layers", {desc("application/vnd.oci.image.layer.v1.tar+gzip", kD2, 20),
                            desc("application/vnd.oci.image.layer.v1.tar+zstd", kD3, 30)}}}
        .dump();
}

ImageIndex indexOf(std::vector<Platform> ps) {
    ImageIndex idx{ManifestKind::OciIndex, {}};
    char c = 'a';
    for (auto& p : ps) {
        Descriptor d;
        d.mediaType = mediatype::kOciManifest;
        d.digest = Digest::parse("sha256:" + std::string(64, c++));
        d.platform = p;
        idx.manifests.push_back(d);
    }
    return idx;
}

}  // namespace

TEST_CASE("classifyManifest", "[manifest]") {
    CHECK(classifyManifest(mediatype::kOciManifest, "") == ManifestKind::OciManifest);
    CHECK(classifyManifest(std::string(mediatype::kDockerManifestList) + "; charset=utf-8", "") ==
          ManifestKind::DockerManifestList);
    // Generic content type: fall back to the body.
    CHECK(classifyManifest("application/json", ociManifest()) == ManifestKind::OciManifest);
    CHECK(classifyManifest("", R"({"schemaVersion":2,"manifests":[]})") == ManifestKind::OciIndex);
    CHECK(classifyManifest("", json{{"mediaType", mediatype::kDockerManifest}}.dump()) == ManifestKind::DockerManifest);
    CHECK_THROWS_WITH(classifyManifest(mediatype::kDockerSchema1Signed, "{}"),
                      Catch::Contains("manifest schema 1 (application/vnd.docker.distribution.manifest.v1+prettyjws) is not supported"));
    CHECK_THROWS_WITH(classifyManifest("application/json", R"({"schemaVersion":1,"fsLayers":[]})"),
                      Catch::Contains("manifest schema 1"));
    CHECK_THROWS_AS(classifyManifest("text/html", "<html>"), InvalidArgument);
    CHECK_THROWS_WITH(classifyManifest("", R"({"mediaType":"application/x-foo"})"), Catch::Contains("application/x-foo"));
}

TEST_CASE("parseManifest reads config and layers", "[manifest]") {
    auto m = parseManifest(ociManifest(), ManifestKind::OciManifest);
    CHECK(m.mediaType == mediatype::kOciManifest);
    CHECK(m.config.digest.str() == kD1);
    CHECK(m.config.size == 10);
    REQUIRE(m.layers.size() == 2);
    CHECK(m.layers[1].mediaType == "application/vnd.oci.image.layer.v1.tar+zstd");
    CHECK(m.layers[1].size == 30);
}

TEST_CASE("parseManifest rejects bad descriptors naming the field", "[manifest]") {
    auto j = json::parse(ociManifest());
    j["layers"][1]["digest"] = "sha256:XYZ";
    CHECK_THROWS_WITH(parseManifest(j.dump(), ManifestKind::OciManifest), Catch::Contains("manifest.layers[1].digest"));
    j = json::parse(ociManifest());
    j["layers"][0]["size"] = -1;
    CHECK_THROWS_WITH(parseManifest(j.dump(), ManifestKind::OciManifest), Catch::Contains("manifest.layers[0].size"));
    j = json::parse(ociManifest());
    j["schemaVersion"] = 1;
    CHECK_THROWS_WITH(parseManifest(j.dump(), ManifestKind::OciManifest), Catch::Contains("schemaVersion"));
    j = json::parse(ociManifest());
    j["mediaType"] = mediatype::kDockerManifest;
    CHECK_THROWS_WITH(parseManifest(j.dump(), ManifestKind::OciManifest), Catch::Contains("does not match"));
    CHECK_THROWS_AS(parseManifest("not json", ManifestKind::OciManifest), InvalidArgument);
    CHECK_THROWS_AS(parseManifest(ociManifest(), ManifestKind::OciIndex), InvalidArgument);
}

TEST_CASE("parseManifest accepts a manifest with no layers", "[manifest]") {
    auto j = json::parse(ociManifest());
    j["layers"] = json::array();
    CHECK(parseManifest(j.dump(), ManifestKind::OciManifest).layers.empty());
}

TEST_CASE("parseIndex reads platforms", "[manifest]") {
    json idx{{"schemaVersion", 2}, {"mediaType", mediatype::kDockerManifestList}};
    idx["manifests"] = json::array();
    auto a = desc(mediatype::kDockerManifest, kD1, 1);
    a["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
    auto b = desc(mediatype::kDockerManifest, kD2, 2);
    b["platform"] = {{"os", "linux"}, {"architecture", "arm"}, {"variant", "v6"}};
    b["annotations"] = {{"k", "v"}};
    idx["manifests"].push_back(a);
    idx["manifests"].push_back(b);
    auto i = parseIndex(idx.dump(), ManifestKind::DockerManifestList);
    REQUIRE(i.manifests.size() == 2);
    REQUIRE(i.manifests[1].platform);
    CHECK(i.manifests[1].platform->variant == "v6");
    CHECK(i.manifests[1].annotations.at("k") == "v");
    idx["manifests"][0]["platform"].erase("architecture");
    CHECK_THROWS_WITH(parseIndex(idx.dump(), ManifestKind::DockerManifestList),
                      Catch::Contains("index.manifests[0].platform.architecture"));
}

TEST_CASE("choosePlatform", "[platform]") {
    auto idx = indexOf({{"linux", "amd64", ""}, {"linux", "arm64", "v8"}, {"linux", "arm", "v6"}, {"linux", "arm", "v7"},
                        {"windows", "amd64", ""}});
    CHECK(choosePlatform(idx, {"linux", "amd64", ""}).digest.encoded[0] == 'a');
    // arm64 with no variant means v8 (containerd's normalisation) and v8 matches "".
    CHECK(choosePlatform(idx, {"linux", "arm64", ""}).digest.encoded[0] == 'b');
    CHECK(choosePlatform(idx, {"linux", "aarch64", "v8"}).digest.encoded[0] == 'b');
    // arm defaults to v7; exact variant wins over older compatible ones.
    CHECK(choosePlatform(idx, {"linux", "arm", ""}).digest.encoded[0] == 'd');
    CHECK(choosePlatform(idx, {"linux", "arm", "v6"}).digest.encoded[0] == 'c');
    CHECK(choosePlatform(idx, {"windows", "amd64", ""}).digest.encoded[0] == 'e');
    CHECK_THROWS_AS(choosePlatform(idx, {"linux", "s390x", ""}), NotFound);
    CHECK_THROWS_WITH(choosePlatform(idx, {"linux", "s390x", ""}),
                      Catch::Contains("linux/s390x") && Catch::Contains("linux/amd64, linux/arm64/v8, linux/arm/v6"));
    // arm v8 host runs v7; v5 host cannot run v6.
    auto arm = indexOf({{"linux", "arm", "v7"}, {"linux", "arm", "v6"}});
    CHECK(choosePlatform(arm, {"linux", "arm", "v8"}).digest.encoded[0] == 'a');
    CHECK_THROWS_AS(choosePlatform(indexOf({{"linux", "arm", "v6"}}), {"linux", "arm", "v5"}), NotFound);
    // arm64 image must not be picked for an arm host.
    CHECK_THROWS_AS(choosePlatform(indexOf({{"linux", "arm64", ""}}), {"linux", "arm", "v7"}), NotFound);
}

TEST_CASE("choosePlatform takes the best entry, not the first compatible one", "[platform]") {
    // The letter of the chosen entry (a = first), for `want`, in an index of `entries`.
    auto pick = [](std::vector<Platform> entries, Platform want) {
        return choosePlatform(indexOf(std::move(entries)), want).digest.encoded[0];
    };
    const Platform arm64v8{"linux", "arm64", "v8"}, arm64{"linux", "arm64", ""};
    CHECK(pick({arm64, arm64v8}, arm64v8) == 'b');  // v8 before no variant, whatever the order
    CHECK(pick({arm64v8, arm64}, arm64v8) == 'a');
    CHECK(pick({arm64}, arm64v8) == 'a');           // no variant still accepted
    CHECK(pick({arm64v8, arm64}, arm64) == 'b');    // asked without a variant: no variant first
    CHECK(pick({arm64v8}, arm64) == 'a');
    CHECK(pick({{"linux", "arm64", "8"}}, arm64v8) == 'a');  // "8" is "v8"

    const Platform v7{"linux", "arm", "v7"}, v6{"linux", "arm", "v6"}, v5{"linux", "arm", "v5"}, arm{"linux", "arm", ""},
        v8{"linux", "arm", "v8"};
    // linux/arm/v7: v7, then v6, then v5, then no variant; never v8.
    CHECK(pick({arm, v5, v6, v7}, v7) == 'd');
    CHECK(pick({v7, v6, v5, arm}, v7) == 'a');
    CHECK(pick({arm, v5, v6}, v7) == 'c');
    CHECK(pick({v5, arm}, v7) == 'a');
    CHECK(pick({arm, v5}, v7) == 'b');
    CHECK(pick({v8, arm}, v7) == 'b');
    CHECK_THROWS_AS(pick({v8}, v7), NotFound);
    CHECK(pick({arm, v6, v7}, v8) == 'c');  // arm/v8 runs v7 before v6 and before no variant
    CHECK(pick({arm, v6}, {"linux", "arm", "v6"}) == 'b');

    // amd64 takes amd64 only: never 386, never arm64, whatever comes first.
    const Platform amd64{"linux", "amd64", ""};
    CHECK(pick({{"linux", "386", ""}, arm64, amd64}, amd64) == 'c');
    CHECK_THROWS_AS(pick({{"linux", "386", ""}, arm64v8}, amd64), NotFound);
    CHECK(pick({{"windows", "amd64", ""}, amd64}, {"linux", "x86_64", ""}) == 'b');

    // The candidate lists themselves.
    auto strs = [](const Platform& w) {
        std::vector<std::string> v;
        for (const auto& p : wantedPlatforms(w)) v.push_back(p.str());
        return v;
    };
    CHECK(strs(v7) == std::vector<std::string>{"linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm"});
    CHECK(strs(arm64v8) == std::vector<std::string>{"linux/arm64/v8", "linux/arm64"});
    CHECK(strs(arm64) == std::vector<std::string>{"linux/arm64", "linux/arm64/v8"});
    CHECK(strs(amd64) == std::vector<std::string>{"linux/amd64"});
}

TEST_CASE("platforms parse and normalise", "[platform]") {
    auto p = parsePlatform("linux/arm64/v8");
    CHECK(p.os == "linux");
    CHECK(p.architecture == "arm64");
    CHECK(p.variant == "v8");
    CHECK(parsePlatform("linux/x86_64").architecture == "amd64");
    CHECK(parsePlatform("Linux/AMD64").str() == "linux/amd64");
    CHECK_THROWS_AS(parsePlatform("linux"), InvalidArgument);
    CHECK_THROWS_AS(parsePlatform("linux//v7"), InvalidArgument);
    CHECK_THROWS_AS(parsePlatform("a/b/c/d"), InvalidArgument);
    CHECK(normalizePlatform({"linux", "armhf", ""}).str() == "linux/arm/v7");
    CHECK(normalizePlatform({"linux", "i686", ""}).str() == "linux/386");
    auto h = hostPlatform();
    CHECK(h.os == "linux");
    CHECK(!h.architecture.empty());
#if defined(__x86_64__)
    CHECK(h.architecture == "amd64");
#elif defined(__aarch64__)
    CHECK(h.str() == "linux/arm64/v8");
#endif
}

TEST_CASE("parseImageConfig", "[config]") {
    json c{{"architecture", "amd64"},
           {"os", "linux"},
           {"created", "2024-01-02T03:04:05.123456789Z"},
           {"config",
            {{"Env", {"PATH=/bin", "A=b=c"}},
             {"Entrypoint", nullptr},
             {"Cmd", {"sh", "-c", "echo"}},
             {"User", "1000:1000"},
             {"WorkingDir", "/w"},
             {"StopSignal", "SIGINT"},
             {"Labels", {{"a", "1"}}},
             {"Volumes", {{"/data", json::object()}, {"/a", json::object()}}},
             {"ExposedPorts", {{"80/tcp", json::object()}}}}},
           {"rootfs", {{"type", "layers"}, {"diff_ids", {kD1, kD2}}}}};
    auto ic = parseImageConfig(c.dump());
    CHECK(ic.architecture == "amd64");
    CHECK(ic.env == std::vector<std::string>{"PATH=/bin", "A=b=c"});
    CHECK_FALSE(ic.hasEntrypoint);
    CHECK(ic.hasCmd);
    CHECK(ic.cmd.size() == 3);
    CHECK(ic.user == "1000:1000");
    CHECK(ic.workingDir == "/w");
    CHECK(ic.stopSignal == "SIGINT");
    CHECK(ic.labels.at("a") == "1");
    CHECK(ic.volumes == std::vector<std::string>{"/a", "/data"});
    CHECK(ic.exposedPorts == std::vector<std::string>{"80/tcp"});
    REQUIRE(ic.diffIds.size() == 2);
    CHECK(ic.diffIds[1].str() == kD2);
    CHECK(ic.raw["os"] == "linux");

    auto bad = c;
    bad["config"]["Cmd"] = "sh";
    CHECK_THROWS_WITH(parseImageConfig(bad.dump()), Catch::Contains("config.config.Cmd"));
    bad = c;
    bad["rootfs"]["diff_ids"][1] = "sha256:zz";
    CHECK_THROWS_WITH(parseImageConfig(bad.dump()), Catch::Contains("config.rootfs.diff_ids[1]"));
    bad = c;
    bad.erase("os");
    CHECK_THROWS_WITH(parseImageConfig(bad.dump()), Catch::Contains("config.os"));
    bad = c;
    bad["config"]["Env"] = {"NOVALUE"};
    CHECK_THROWS_WITH(parseImageConfig(bad.dump()), Catch::Contains("config.config.Env[0]"));
    CHECK_THROWS_AS(parseImageConfig("{"), InvalidArgument);
    // Null Cmd too, minimal config.
    json minimal{{"architecture", "arm64"}, {"os", "linux"}, {"config", {{"Cmd", nullptr}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
    auto m = parseImageConfig(minimal.dump());
    CHECK_FALSE(m.hasCmd);
    CHECK(m.diffIds.empty());
}
