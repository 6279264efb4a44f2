// engine/image_commit: a container committed into a new image (config, history, diffIDs,
// manifest with uncompressed layer descriptors, media types per format), on a vfs store.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <string>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/image/image_commit.hpp"
#include "hutch/storage/layer_tar.hpp"
#include "hutch/storage/store.hpp"

using namespace hutch;
using namespace hutch::engine;
using json = nlohmann::json;

namespace {

struct TempStore {
    std::string dir;
    GlobalOptions opts;
    TempStore() {
        char tmpl[] = "/tmp/hutch-commit-test-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        opts.root = dir + "/root";
        opts.runroot = dir + "/run";
        opts.storageDriver = "vfs";
    }
    ~TempStore() { fsutil::removeAll(dir); }
};

// A base image with one layer holding /base.txt; returns its id.
std::string makeBase(Context& ctx, const std::string& dir) {
    fsutil::mkdirAll(dir + "/tree");
    fsutil::writeFileAtomic(dir + "/tree/base.txt", "base\n");
    std::string tar;
    auto r = storage::writeTreeDiff("", dir + "/tree",
                                    [&](const void* p, size_t n) { tar.append(static_cast<const char*>(p), n); });
    size_t pos = 0;
    storage::ReadFn in = [&](void* buf, size_t n) {
        size_t k = std::min(n, tar.size() - pos);
        memcpy(buf, tar.data() + pos, k);
        pos += k;
        return k;
    };
    auto l = ctx.store().createLayer(r.diffId.encoded, "", in, r.diffId, Digest::sha256Of("gz"));
    json cfg = {{"architecture", "amd64"},
                {"os", "linux"},
                {"config", {{"Cmd", {"sh"}}}},
                {"rootfs", {{"type", "layers"}, {"diff_ids", {r.diffId.str()}}}},
                {"history", {{{"created", "2020-01-01T00:00:00Z"}, {"created_by", "base"}}}}};
    std::string bytes = cfg.dump();
    std::string id = Digest::sha256Of(bytes).encoded;
    ctx.store().createImage(id, {"localhost/base:latest"}, l.id, "", {{"config", bytes}});
    return id;
}

}  // namespace

TEST_CASE("commitImage: a container's layer on its base image, oci and docker", "[engine][commit]") {
    TempStore t;
    Context ctx(t.opts);
    auto& store = ctx.store();
    std::string base = makeBase(ctx, t.dir);
    store.createContainer("c1", {"c1"}, base, "{}");
    std::string root = store.mountContainer("c1");
    fsutil::writeFileAtomic(root + "/new.txt", "new\n");
    auto layer = store.commitContainer("c1");
    REQUIRE(layer);
    json cfg = json::parse(store.imageBigData(base, "config"));
    cfg["config"]["Cmd"] = {"cat", "/new.txt"};
    for (std::string format : {"oci", "docker"}) {
        ImageCommit c;
        c.baseImageId = base;
        c.layer = layer;
        c.config = cfg;
        c.historyEntry = {{"created", "2026-01-02T03:04:05.000000006Z"}, {"created_by", "hutch commit " + format}};
        c.format = format;
        c.names = {"localhost/out-" + format + ":latest"};
        std::string id = commitImage(ctx, c);
        std::string configBytes = store.imageBigData(id, "config");
        CHECK(Digest::sha256Of(configBytes).encoded == id);
        json got = json::parse(configBytes);
        auto baseLayer = store.layer(layer->parent);
        REQUIRE(baseLayer);
        CHECK(got["rootfs"]["diff_ids"] == json({baseLayer->diffId.str(), layer->diffId.str()}));
        REQUIRE(got["history"].size() == 2);
        CHECK(got["history"][1]["created_by"] == "hutch commit " + format);
        CHECK(got["created"] == "2026-01-02T03:04:05.000000006Z");
        CHECK(got["config"]["Cmd"] == json({"cat", "/new.txt"}));
        json m = json::parse(store.imageBigData(id, "manifest"));
        auto mt = mediaTypesFor(format);
        CHECK(m["mediaType"] == mt.manifest);
        CHECK(m["config"]["mediaType"] == mt.config);
        CHECK(m["config"]["digest"] == "sha256:" + id);
        CHECK(m["config"]["size"] == configBytes.size());
        REQUIRE(m["layers"].size() == 2);
        CHECK(m["layers"][0]["digest"] == baseLayer->diffId.str());
        CHECK(m["layers"][0]["size"] == baseLayer->size);
        CHECK(m["layers"][1]["digest"] == layer->diffId.str());
        CHECK(m["layers"][1]["mediaType"] == mt.layer);
        auto img = store.lookupImage(c.names[0]);
        REQUIRE(img);
        CHECK(img->id == id);
        CHECK(img->topLayer == layer->id);
        CHECK(img->digest == Digest::sha256Of(store.imageBigData(id, "manifest")).str());
    }
    // a config-only change: no new layer, an empty_layer history entry
    ImageCommit c;
    c.baseImageId = base;
    c.config = cfg;
    c.historyEntry = {{"created_by", "LABEL a=b"}};
    std::string id = commitImage(ctx, c);
    json got = json::parse(store.imageBigData(id, "config"));
    CHECK(got["rootfs"]["diff_ids"].size() == 1);
    CHECK(got["history"][1]["empty_layer"] == true);
    CHECK(store.lookupImage(id)->topLayer == store.lookupImage(base)->topLayer);
    // a layer not on the base's top layer is refused, as is an unknown format
    c.baseImageId = "";
    c.layer = layer;
    CHECK_THROWS_AS(commitImage(ctx, c), InvalidArgument);
    c.baseImageId = base;
    c.format = "zip";
    CHECK_THROWS_AS(commitImage(ctx, c), InvalidArgument);
    store.removeContainer("c1");
}

#include "hutch/engine/image/container_commit.hpp"

TEST_CASE("commit --change instructions and image names", "[engine][commit]") {
    json cfg = {{"Env", {"PATH=/bin", "A=old"}}, {"WorkingDir", "/app"}};
    applyChanges(cfg, {"CMD [\"cat\",\"/hello\"]", "entrypoint /bin/tool -x", "ENV A=new B=\"two words\"",
                       "ENV C three words", "EXPOSE 80 53/udp", "LABEL a=b \"c d\"=\"e f\"", "USER 1000:1000",
                       "WORKDIR sub", "VOLUME [\"/v1\",\"/v2\"]", "VOLUME /v3", "STOPSIGNAL SIGKILL"});
    CHECK(cfg["Cmd"] == json({"cat", "/hello"}));
    CHECK(cfg["Entrypoint"] == json({"/bin/sh", "-c", "/bin/tool -x"}));
    CHECK(cfg["Env"] == json({"PATH=/bin", "A=new", "B=two words", "C=three words"}));
    CHECK(cfg["ExposedPorts"] == json({{"80/tcp", json::object()}, {"53/udp", json::object()}}));
    CHECK(cfg["Labels"] == json({{"a", "b"}, {"c d", "e f"}}));
    CHECK(cfg["User"] == "1000:1000");
    CHECK(cfg["WorkingDir"] == "/app/sub");
    CHECK(cfg["Volumes"].size() == 3);
    CHECK(cfg["StopSignal"] == "SIGKILL");
    try {
        applyChanges(cfg, {"FOO bar"});
        FAIL("no error");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()) == "invalid change \"FOO bar\" - invalid instruction FOO");
    }
    CHECK_THROWS_AS(applyChanges(cfg, {"EXPOSE http"}), InvalidArgument);
    // podman's checks: every instruction needs an argument, EXPOSE a real port and tcp/udp.
    auto changeError = [&](const std::string& change) {
        try {
            json c = cfg;
            applyChanges(c, {change});
        } catch (const InvalidArgument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    for (const char* bare : {"CMD", "ENTRYPOINT", "EXPOSE", "LABEL", "USER", "WORKDIR", "VOLUME", "STOPSIGNAL",
                             "ONBUILD", ""})
        CHECK(changeError(bare) == "invalid change \"" + std::string(bare) + "\" - must be formatted as KEY VALUE");
    CHECK(changeError("EXPOSE 80/sctp") == "invalid change \"EXPOSE 80/sctp\" - EXPOSE protocol must be TCP or UDP");
    CHECK(changeError("EXPOSE 70000") == "invalid change \"EXPOSE 70000\" - EXPOSE port must be a valid port number");
    {
        json c = cfg;
        applyChanges(c, {"EXPOSE 80/UDP", "ENV EMPTY"});  // podman: protocol case-insensitive, "ENV K" is K=
        CHECK(c["ExposedPorts"].contains("80/udp"));
        CHECK(c["Env"].back() == "EMPTY=");
    }
    // ONBUILD (podman lists it): kept as the docker config's OnBuild triggers, in order.
    applyChanges(cfg, {"ONBUILD RUN echo one", "onbuild COPY . /app"});
    CHECK(cfg["OnBuild"] == json::array({"RUN echo one", "COPY . /app"}));
    CHECK(commitImageName("mytest") == "localhost/mytest:latest");
    CHECK(commitImageName("me/app:v1") == "localhost/me/app:v1");
    CHECK(commitImageName("127.0.0.1:5000/app") == "127.0.0.1:5000/app:latest");
    CHECK(commitImageName("localhost/x:2") == "localhost/x:2");
    // A digest cannot name a commit's result (podman refuses: the new manifest's digest differs).
    const std::string zeros(64, '0');
    CHECK_THROWS_WITH(commitImageName("localhost/x@sha256:" + zeros),
                      Catch::Contains("would not match destination reference"));
    CHECK_THROWS_AS(commitImageName("x:1@sha256:" + zeros), InvalidArgument);
}
