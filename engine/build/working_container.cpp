#include "hutch/engine/build/working_container.hpp"

#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/launch/run.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine::build {

namespace {

/// Removes container `id` (its anonymous volumes too); errors are logged, never thrown.
void removeQuietly(Context& ctx, const std::string& id) {
    try {
        auto c = ctx.store().lookupContainer(id);
        if (!c) return;
        std::vector<std::string> anon;
        try {
            anon = ContainerRecord::fromJson(jsonbytes::parse(c->metadata)).anonymousVolumes;
        } catch (const std::exception&) {
        }
        ctx.store().removeContainer(c->id);
        removeAnonymousVolumes(ctx, anon);
    } catch (const std::exception& e) {
        log::error("removing build container {}: {}", id, e.what());
    }
}

}  // namespace

constexpr const char* kPrefix = "hutch-build-";

BuildOwner::BuildOwner(Context& ctx) : dir_(ctx.store().runRoot(), kPrefix) {
    tag_ = dir_.path().substr(dir_.path().rfind('/') + 1 + std::string(kPrefix).size());
    // Containers named hutch-build-<tag>-... whose build no longer holds <runroot>/hutch-build-<tag>.
    const std::string prefix = kPrefix;
    for (const auto& c : ctx.store().containers())
        for (const auto& name : c.names) {
            if (name.rfind(prefix, 0) != 0) continue;
            auto dash = name.find('-', prefix.size());
            if (dash == std::string::npos) continue;  // not a name BuildOwner gave
            std::string tag = name.substr(prefix.size(), dash - prefix.size());
            if (tag.size() != 6 || tag == tag_ || !fsutil::TempDir::abandoned(ctx.store().runRoot() + "/" + prefix + tag)) continue;
            log::debug("build: removing container {}, left by an interrupted build", name);
            removeQuietly(ctx, c.id);
        }
    fsutil::TempDir::removeStale(ctx.store().runRoot(), prefix);
}

WorkingContainer::WorkingContainer(Context& ctx, const std::string& imageId, const std::string& owner)
    : ctx_(ctx), id_(str::randomHex(32)) {
    ContainerRecord rec;
    rec.id = id_;
    rec.name = kPrefix + owner + "-" + id_.substr(0, 12);
    rec.imageId = imageId;
    rec.imageName = imageId;
    rec.created = nowRfc3339();
    ctx_.store().createContainer(id_, {rec.name}, imageId, jsonbytes::dump(rec.toJson()));
}

WorkingContainer::~WorkingContainer() { removeQuietly(ctx_, id_); }

std::string WorkingContainer::mount() {
    std::string p = ctx_.store().mountContainer(id_, true);
    mounted_ = true;
    return p;
}

std::optional<storage::Layer> WorkingContainer::commit() {
    if (mounted_) {
        ctx_.store().unmountContainer(id_);
        mounted_ = false;
    }
    return ctx_.store().commitContainer(id_);
}

std::optional<storage::Layer> runInContainer(Context& ctx, const std::string& imageId, const ContainerConfig& cfg,
                                             const std::string& owner) {
    RunRequest req;
    req.image = imageId;
    req.config = cfg;
    req.name = kPrefix + owner + "-" + str::randomHex(6);
    req.pull = "never";
    req.quietPull = true;
    RunResult res;
    try {
        res = runContainer(ctx, req);
    } catch (...) {
        removeQuietly(ctx, req.name);
        throw;
    }
    try {
        if (res.exitCode != 0)
            throw CommandError(res.exitCode, "while running runtime: exit status " + std::to_string(res.exitCode));
        auto layer = ctx.store().commitContainer(res.id);
        removeQuietly(ctx, res.id);
        return layer;
    } catch (...) {
        removeQuietly(ctx, res.id);
        throw;
    }
}

}  // namespace hutch::engine::build
