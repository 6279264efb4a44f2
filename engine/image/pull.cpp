#include "hutch/engine/image/pull.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/common/log.hpp"
#include "hutch/registry/auth.hpp"
#include "hutch/registry/client.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/resolver.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

std::vector<std::string> chainIds(const std::vector<std::string>& diffIds) {
    std::vector<std::string> out;
    for (size_t i = 0; i < diffIds.size(); ++i) {
        if (i == 0)
            out.push_back(diffIds[0]);
        else
            out.push_back(Digest::sha256Of(out.back() + " " + diffIds[i]).str());
    }
    return out;
}

namespace {

constexpr size_t kMaxParallelLayers = 6;

/// Layer workers: each layer streams from the registry straight into the store. When the
/// driver cannot apply layers independently (vfs copies the parent), one worker takes the
/// layers in order; otherwise up to kMaxParallelLayers stream at once.
class LayerPuller {
public:
    LayerPuller(storage::Store& store, registry::Client& client, const std::string& repo, Progress& progress)
        : store_(store), client_(client), repo_(repo), progress_(progress) {}

    void run(const std::vector<registry::Descriptor>& layers, const std::vector<std::string>& diffIds) {
        auto chains = chainIds(diffIds);
        size_t n = layers.size();
        bool parallel = store_.parallelLayerApply();
        std::vector<std::thread> workers;
        std::atomic<size_t> next{0};
        size_t threads = parallel ? std::min(n, kMaxParallelLayers) : 1;
        for (size_t t = 0; t < threads; ++t) {
            workers.emplace_back([&, this] {
                for (;;) {
                    size_t i = next.fetch_add(1);
                    if (i >= n || failed_.load()) return;
                    try {
                        pullOne(layers[i], Digest::parse(diffIds[i]), chainId(chains[i]),
                                i == 0 ? std::string() : chainId(chains[i - 1]));
                    } catch (...) {
                        std::lock_guard g(mu_);
                        if (!error_) error_ = std::current_exception();
                        failed_ = true;
                        return;
                    }
                }
            });
        }
        for (auto& w : workers) w.join();
        if (error_) std::rethrow_exception(error_);
    }

    static std::string chainId(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

private:
    void pullOne(const registry::Descriptor& desc, const Digest& diffId, const std::string& id,
                 const std::string& parent) {
        const std::string d = desc.digest.str();
        if (auto existing = store_.layer(id); existing && !existing->incomplete) {
            progress_.blobDone(d, true);
            return;
        }
        progress_.blobStart(d, desc.size);
        auto reader = client_.openBlob(repo_, desc.digest, desc.size);
        uint64_t got = 0;
        storage::ReadFn fn = [&](void* buf, size_t len) -> size_t {
            if (failed_.load()) throw Error("pull cancelled: another layer failed");
            size_t r = reader->read(buf, len);
            got += r;
            progress_.blobProgress(d, got);
            return r;
        };
        store_.createLayer(id, parent, fn, diffId, desc.digest);
        progress_.blobDone(d, false);
    }

    storage::Store& store_;
    registry::Client& client_;
    const std::string& repo_;
    Progress& progress_;
    std::mutex mu_;
    std::atomic<bool> failed_{false};
    std::exception_ptr error_;
};

/// Pulls one reference from one source (a mirror or the primary location).
PullResult pullFrom(Context& ctx, const registry::Reference& ref, const registry::PullSource& src,
                    const PullOptions& opts, Progress& progress) {
    registry::ClientOptions co;
    co.host = src.host;
    co.insecure = opts.tlsVerify ? !*opts.tlsVerify : src.insecure;
    co.creds = registry::lookupCredentialsIn(src.host, src.ref.path, registry::authFilesFor(opts.authFile));
    co.readAuthFiles = false;
    registry::Client client(co);
    const std::string repo = src.ref.path;
    const std::string tagOrDigest = !src.ref.digest.empty() ? src.ref.digest : src.ref.tag;

    registry::FetchedManifest fm = client.getManifest(repo, tagOrDigest);
    auto kind = registry::classifyManifest(fm.mediaType, fm.body);
    std::string listDigest;
    if (kind == registry::ManifestKind::OciIndex || kind == registry::ManifestKind::DockerManifestList) {
        auto index = registry::parseIndex(fm.body, kind);
        registry::Platform want =
            opts.platform.empty() ? registry::hostPlatform() : registry::parsePlatform(opts.platform);
        const auto& chosen = registry::choosePlatform(index, want);
        listDigest = fm.digest.str();
        fm = client.getManifest(repo, chosen.digest.str());
        kind = registry::classifyManifest(fm.mediaType, fm.body);
        if (kind == registry::ManifestKind::OciIndex || kind == registry::ManifestKind::DockerManifestList)
            throw Error(ref.str() + ": an index inside an index is not supported");
    }
    auto manifest = registry::parseManifest(fm.body, kind);
    progress.message("Getting image source signatures");

    const std::string imageId = manifest.config.digest.encoded;
    storage::Store& store = ctx.store();
    std::string configBytes = client.getBlob(repo, manifest.config.digest, manifest.config.size);
    auto config = registry::parseImageConfig(configBytes);
    if (!opts.platform.empty()) {
        auto want = registry::parsePlatform(opts.platform);
        if (config.architecture != want.architecture || config.os != want.os)
            log::warn("image platform ({}/{}) does not match the expected platform ({}/{})", config.os,
                      config.architecture, want.os, want.architecture);
    }
    if (config.diffIds.size() != manifest.layers.size())
        throw Error(ref.str() + ": the image config lists " + std::to_string(config.diffIds.size()) +
                    " diff IDs but the manifest has " + std::to_string(manifest.layers.size()) + " layers");

    std::vector<std::string> diffIds;
    for (const auto& d : config.diffIds) diffIds.push_back(d.str());
    LayerPuller puller(store, client, repo, progress);
    puller.run(manifest.layers, diffIds);

    progress.message("Copying config " + manifest.config.digest.str());
    progress.message("Writing manifest to image destination");
    std::string top = diffIds.empty() ? std::string() : LayerPuller::chainId(chainIds(diffIds).back());
    std::map<std::string, std::string> bigData{{"manifest", fm.body}, {"config", configBytes}};
    if (!listDigest.empty()) bigData["manifest-list-digest"] = listDigest;
    const std::string fullName = ref.str();
    try {
        store.createImage(imageId, {fullName}, top, fm.digest.str(), bigData);
    } catch (const AlreadyExists&) {
        // The image is already stored: createImage added the name.
    }
    return {imageId, fullName};
}

bool isNotFound(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const RegistryError& r) {
        return r.status() == 404 || r.code() == "MANIFEST_UNKNOWN" || r.code() == "NAME_UNKNOWN";
    } catch (const NotFound&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace

PullResult pullImage(Context& ctx, const std::string& name, const PullOptions& opts, Progress& progress) {
    registry::checkAuthFile(opts.authFile);
    registry::Resolution res = registry::resolve(name, ctx.registries());
    std::vector<std::string> errors;
    bool allNotFound = true;
    for (const auto& cand : res.candidates) {
        for (const auto& src : cand.sources) {
            if (!src.blocked.empty()) {
                allNotFound = false;
                errors.push_back("initializing source docker://" + src.ref.str() + ": " + src.blocked);
                continue;
            }
            progress.message("Trying to pull " + src.ref.str() + "...");
            try {
                PullResult pulled = pullFrom(ctx, cand.ref, src, opts, progress);
                recordEvent(ctx, "image", "pull", pulled.imageId, name, "");
                return pulled;
            } catch (const CommandError&) {
                throw;
            } catch (const std::exception& e) {
                // A digest mismatch or a store error is not a reason to try the next registry
                // silently, but podman does go on; record it and continue.
                allNotFound = allNotFound && isNotFound(std::current_exception());
                errors.push_back("initializing source docker://" + src.ref.str() + ": " + e.what());
                log::debug("pull {} from {}: {}", src.ref.str(), src.host, e.what());
            }
        }
    }
    std::string msg;
    if (errors.size() == 1)
        msg = errors[0];
    else {
        msg = std::to_string(errors.size()) + " errors occurred while pulling:";
        for (const auto& e : errors) msg += "\n * " + e;
    }
    if (errors.empty()) msg = "no registry to pull \"" + name + "\" from: no unqualified-search-registries in registries.conf";
    if (allNotFound && !errors.empty()) throw NotFound(msg);
    throw Error(msg);
}

}  // namespace hutch::engine
