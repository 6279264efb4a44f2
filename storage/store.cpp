#include "hutch/storage/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <ctime>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/storage/overlay.hpp"
#include "hutch/storage/paths.hpp"

namespace hutch::storage {

using Lock = fsutil::FileLock;
using Mode = fsutil::FileLock::Mode;

namespace {

void checkId(const std::string& id, const char* what) {
    bool ok = !id.empty() && id != "." && id != ".." && id.size() <= 128;
    for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!ok) throw InvalidArgument(std::string("invalid ") + what + " id \"" + id + "\"");
}

template <typename T>
void eraseId(std::vector<T>& v, const std::string& id) {
    v.erase(std::remove_if(v.begin(), v.end(), [&](const T& x) { return x.id == id; }), v.end());
}

void addUnique(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Removes `names` from every image but `keep`.
void takeNames(std::vector<Image>& imgs, const std::string& keep, const std::vector<std::string>& names) {
    for (auto& img : imgs) {
        if (img.id == keep) continue;
        std::erase_if(img.names, [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); });
    }
}

}  // namespace

Store::Store(const StoreOptions& o)
    : opts_(o), root_{o.graphRoot, o.driver}, layers_(root_), images_(root_), containers_(root_) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(const StoreOptions& o) {
    if (o.graphRoot.empty() || o.runRoot.empty()) throw InvalidArgument("store: graph root and run root must be set");
    // Same record names as containers/storage's, different content: never open podman's.
    for (const char* marker : {"libpod", "userns.lock"})
        if (fsutil::exists(fsutil::join(o.graphRoot, marker)))
            throw InvalidArgument("the graph root " + o.graphRoot + " is a podman (containers/storage) store (it has " +
                                  marker + "); hutch keeps a store of its own: use another --root or storage.conf graphroot");
    fsutil::mkdirAll(o.graphRoot, 0700);
    fsutil::mkdirAll(o.runRoot, 0700);
    StoreOptions resolved = o;
    std::string why;
    auto choose = [&] {
        resolved.driver = chooseDriver(o.graphRoot, o.driver, &why);
        // The records directories name the driver: made last, they record the choice.
        paths::Root r{o.graphRoot, resolved.driver};
        fsutil::mkdirAll(paths::containersDir(r), 0700);
        fsutil::mkdirAll(paths::imagesDir(r), 0700);
        fsutil::mkdirAll(paths::layersDir(r), 0700);
    };
    if (recordedDriver(o.graphRoot)) {
        choose();
    } else {  // a new store: one process at a time probes and records the driver
        Lock l(paths::driverLock(o.graphRoot), Mode::Exclusive);
        choose();
    }
    std::unique_ptr<Store> s(new Store(resolved));
    s->driverReason_ = why;
    s->driver_ = makeDriver(resolved.driver, o.graphRoot);
    s->recover();
    return s;
}

void Store::recover() {
    Lock l(paths::layersLock(root_), Mode::Exclusive);
    auto v = layers_.load();
    bool changed = false;
    for (auto it = v.begin(); it != v.end();) {
        if (!it->incomplete) {
            ++it;
            continue;
        }
        std::string lockPath = paths::layerLock(root_, it->id);
        Lock owner = Lock::tryLock(lockPath, Mode::Exclusive);
        if (!owner.held()) {  // its creator is alive
            ++it;
            continue;
        }
        log::info("store: removing incomplete layer {} left by a dead process", it->id);
        try {
            driver_->remove(it->id);
        } catch (const std::exception& e) {
            // Never a store that no command can open (system reset included): the record
            // stays, incomplete, and the next start tries again.
            log::warn("store: cannot remove incomplete layer {} yet: {}", it->id, e.what());
            ++it;
            continue;
        }
        ::unlink(lockPath.c_str());
        it = v.erase(it);
        changed = true;
    }
    // Layers may be applied before their parent is complete (overlay): a child finished by a
    // process that died before the parent did is left without its parent. No image can use it
    // (images are made once every layer is complete), so it goes too, and its children after it.
    std::set<std::string> stuck;  // removal failed: kept for the next start
    for (bool again = true; again;) {
        again = false;
        std::set<std::string> ids;
        for (const auto& l : v) ids.insert(l.id);
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (it->parent.empty() || ids.count(it->parent) || stuck.count(it->id)) continue;
            std::string lockPath = paths::layerLock(root_, it->id);
            Lock owner = Lock::tryLock(lockPath, Mode::Exclusive);
            if (!owner.held()) continue;  // a live creator will fail on the missing parent itself
            log::info("store: removing layer {}: its parent {} is gone", it->id, it->parent);
            try {
                driver_->remove(it->id);
            } catch (const std::exception& e) {
                log::warn("store: cannot remove layer {} yet: {}", it->id, e.what());
                stuck.insert(it->id);
                continue;
            }
            ::unlink(lockPath.c_str());
            v.erase(it);
            changed = again = true;
            break;
        }
    }
    if (changed) layers_.save(v);
}

std::string Store::driverName() const { return driver_->name(); }

std::optional<std::string> Store::recordedDriver(const std::string& graphRoot) {
    std::vector<std::string> found;
    for (const char* d : kDriverNames)
        if (fsutil::exists(paths::layersDir(paths::Root{graphRoot, d}))) found.emplace_back(d);
    if (found.size() > 1)
        throw Error("the store " + graphRoot + " has records of several storage drivers (" + str::join(found, ", ") +
                    "); remove the ones not in use");
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::string Store::chooseDriver(const std::string& graphRoot, const std::string& requestedName, std::string* why) {
    // containers/storage accepts "overlay2" for overlay
    const std::string requested = requestedName == "overlay2" ? "overlay" : requestedName;
    std::string ignored;
    std::string& reason = why ? *why : ignored;
    if (!requested.empty() && std::find(std::begin(kDriverNames), std::end(kDriverNames), requested) == std::end(kDriverNames))
        throw InvalidArgument("unknown storage driver \"" + requested + "\" (supported: overlay, vfs)");
    if (auto have = recordedDriver(graphRoot)) {
        if (!requested.empty() && requested != *have)
            throw InvalidArgument("the store " + graphRoot + " uses the storage driver \"" + *have +
                                  "\", not the requested \"" + requested +
                                  "\": a store keeps the driver it was created with (use that driver, or another "
                                  "--root, or remove the store with its images and containers)");
        reason = "recorded in the store (" + *have + "-layers)";
        return *have;
    }
    if (requested == "vfs") {
        reason = "requested for a new store";
        return requested;
    }
    std::string failed = probeOverlay(graphRoot);
    if (failed.empty()) {
        log::debug("store: native overlay works in {}", graphRoot);
        reason = requested.empty() ? "native overlay works here (probed for a new store)" : "requested for a new store";
        return "overlay";
    }
    if (requested == "overlay") throw Error("the overlay storage driver does not work for " + graphRoot + ": " + failed);
    log::info("store: native overlay does not work in {} ({}); using vfs", graphRoot, failed);
    reason = "native overlay does not work here: " + failed;
    return "vfs";
}

bool Store::parallelLayerApply() const { return driver_->parallelApply(); }

std::optional<Layer> Store::layer(const std::string& id) {
    Lock l(paths::layersLock(root_), Mode::Shared);
    return LayerRecords::find(layers_.load(), id);
}

Layer Store::makeLayer(const std::string& id, const std::string& parent, const std::function<void(Layer&)>& fill,
                       bool waitForOthers) {
    checkId(id, "layer");
    const paths::Root& g = root_;
    std::string lockPath = paths::layerLock(g, id);
    // Image layers (shared, expensive to fetch) are recorded durably; a container's layer
    // is only ever created by the command that uses it, so a rename is enough.
    const fsutil::Sync sync = waitForOthers ? fsutil::Sync::Durable : fsutil::Sync::Volatile;
    std::optional<Lock> own;
    for (;;) {
        {
            Lock l(paths::layersLock(g), Mode::Exclusive);
            auto v = layers_.load();
            auto ex = LayerRecords::find(v, id);
            if (ex && !ex->incomplete) {
                if (waitForOthers) return *ex;
                throw AlreadyExists("layer " + id + " already exists");
            }
            own.emplace(Lock::tryLock(lockPath, Mode::Exclusive));
            if (own->held()) {
                if (ex) {  // left by a dead process: take over
                    driver_->remove(id);
                    eraseId(v, id);
                }
                // A driver applying layers independently (overlay) may make a layer before
                // its parent (parallel pull); the image needs all of them complete.
                if (!parent.empty() && !driver_->parallelApply()) {
                    auto p = LayerRecords::find(v, parent);
                    if (!p || p->incomplete) throw NotFound("parent layer " + parent + " of layer " + id + " not found");
                }
                Layer rec;
                rec.id = id;
                rec.parent = parent;
                rec.incomplete = true;
                v.push_back(rec);
                layers_.save(v, sync);
                break;
            }
            own.reset();
            if (!waitForOthers) throw AlreadyExists("layer " + id + " is being created by another process");
        }
        // Another process is creating it: wait for it without holding store locks.
        Lock wait(lockPath, Mode::Shared);
    }
    try {
        driver_->remove(id);  // stale data of a dead creator
        driver_->create(id, parent);
        Layer res;
        res.id = id;
        res.parent = parent;
        fill(res);
        Lock l(paths::layersLock(g), Mode::Exclusive);
        auto v = layers_.load();
        for (auto& r : v)
            if (r.id == id) r = res;
        layers_.save(v, sync);
        ::unlink(lockPath.c_str());
        return res;
    } catch (...) {
        try {
            driver_->remove(id);
            Lock l(paths::layersLock(g), Mode::Exclusive);
            auto v = layers_.load();
            eraseId(v, id);
            layers_.save(v, sync);
            ::unlink(lockPath.c_str());
        } catch (const std::exception& e) {
            log::error("store: cleaning up failed layer {}: {}", id, e.what());
        }
        throw;
    }
}

Layer Store::createLayer(const std::string& id, const std::string& parent, ReadFn diff,
                         const std::optional<Digest>& expectedDiffId, const Digest& compressedDigest) {
    return makeLayer(
        id, parent,
        [&](Layer& l) {
            ApplyResult r = driver_->applyDiff(id, diff);
            if (expectedDiffId && !(r.diffId == *expectedDiffId))
                throw DigestMismatch("layer " + id + ": diffID " + r.diffId.str() + " does not match the expected " +
                                     expectedDiffId->str());
            l.diffId = r.diffId;
            l.size = r.uncompressedSize;
            l.compressedDigest = compressedDigest;
        },
        true);
}

void Store::removeLayerLocked(std::vector<Layer>& layers, const std::string& id) {
    driver_->remove(id);
    eraseId(layers, id);
}

void Store::gcLayersLocked(std::vector<Layer>& layers, const std::vector<Image>& images,
                           const std::vector<Container>& containers, std::string cur) {
    // Which layers go: `cur` and its parents up to the first one still used.
    std::vector<std::string> doomed;
    while (!cur.empty()) {
        bool used = std::any_of(images.begin(), images.end(), [&](const Image& i) { return i.topLayer == cur; }) ||
                    std::any_of(containers.begin(), containers.end(), [&](const Container& c) { return c.layerId == cur; }) ||
                    std::any_of(layers.begin(), layers.end(), [&](const Layer& l) {
                        return l.parent == cur && std::find(doomed.begin(), doomed.end(), l.id) == doomed.end();
                    });
        auto rec = LayerRecords::find(layers, cur);
        if (used || !rec) break;
        doomed.push_back(cur);
        cur = rec->parent;
    }
    if (doomed.empty()) return;
    // Recorded incomplete first: a process killed while the data goes leaves layers that the
    // next start's recovery removes, never "complete" records without their data.
    for (auto& l : layers)
        if (std::find(doomed.begin(), doomed.end(), l.id) != doomed.end()) l.incomplete = true;
    layers_.save(layers);
    for (const auto& id : doomed) removeLayerLocked(layers, id);
}

Image Store::createImage(const std::string& id, const std::vector<std::string>& names, const std::string& topLayer,
                         const std::string& manifestDigest, const std::map<std::string, std::string>& bigData) {
    checkId(id, "image");
    const paths::Root& g = root_;
    Lock il(paths::imagesLock(g), Mode::Exclusive);
    if (!topLayer.empty()) {
        Lock ll(paths::layersLock(g), Mode::Shared);
        auto l = LayerRecords::find(layers_.load(), topLayer);
        if (!l || l->incomplete) throw NotFound("top layer " + topLayer + " of image " + id + " not found");
    }
    auto v = images_.load();
    fsutil::mkdirAll(paths::imageDataDir(g, id), 0700);
    for (auto& [k, data] : bigData) fsutil::writeFileAtomic(images_.bigDataPath(id, k), data, 0600);
    takeNames(v, id, names);
    for (auto& img : v) {
        if (img.id != id) continue;
        for (auto& n : names) addUnique(img.names, n);
        images_.save(v);
        return img;
    }
    Image img;
    img.id = id;
    for (auto& n : names) addUnique(img.names, n);
    img.topLayer = topLayer;
    img.digest = manifestDigest;
    img.created = static_cast<int64_t>(std::time(nullptr));
    v.push_back(img);
    images_.save(v);
    return img;
}

std::vector<Image> Store::images() {
    Lock l(paths::imagesLock(root_), Mode::Shared);
    return images_.load();
}

std::optional<Image> Store::lookupImage(const std::string& nameOrId) {
    Lock l(paths::imagesLock(root_), Mode::Shared);
    auto v = images_.load();
    auto i = ImageRecords::lookup(v, nameOrId);
    if (!i) return std::nullopt;
    return v[*i];
}

std::string Store::imageBigData(const std::string& id, const std::string& key) {
    Lock l(paths::imagesLock(root_), Mode::Shared);
    auto v = images_.load();
    auto i = ImageRecords::lookup(v, id);
    if (!i) throw NotFound("image " + id + " not found");
    try {
        return fsutil::readFile(images_.bigDataPath(v[*i].id, key));
    } catch (const NotFound&) {
        throw NotFound("image " + v[*i].id + " has no \"" + key + "\" data");
    }
}

uint32_t Store::imageOwnerSpan(const std::string& id) {
    std::string top, cache;
    {
        Lock l(paths::imagesLock(root_), Mode::Shared);
        auto v = images_.load();
        auto i = ImageRecords::lookup(v, id);
        if (!i) throw NotFound("image " + id + " not found");
        top = v[*i].topLayer;
        cache = images_.bigDataPath(v[*i].id, "owner-span");
    }
    try {
        return static_cast<uint32_t>(std::stoul(fsutil::readFile(cache)));
    } catch (const std::exception&) {  // not there yet (or damaged): walk the layers
    }
    uint32_t max = 0;
    for (std::string layerId = top; !layerId.empty();) {
        auto rec = layer(layerId);
        if (!rec || rec->incomplete) throw NotFound("layer " + layerId + " of image " + id + " not found");
        max = std::max(max, driver_->maxOwnerId(layerId));
        layerId = rec->parent;
    }
    uint32_t span = max == UINT32_MAX ? max : max + 1;
    fsutil::writeFileAtomic(cache, std::to_string(span), 0644, fsutil::Sync::Volatile);
    return span;
}

void Store::setImageNames(const std::string& id, const std::vector<std::string>& names) {
    Lock l(paths::imagesLock(root_), Mode::Exclusive);
    auto v = images_.load();
    auto i = ImageRecords::lookup(v, id);
    if (!i) throw NotFound("image " + id + " not found");
    std::string full = v[*i].id;
    takeNames(v, full, names);
    v[*i].names.clear();
    for (auto& n : names) addUnique(v[*i].names, n);
    images_.save(v);
}

void Store::removeImage(const std::string& id) {
    const paths::Root& g = root_;
    Lock cl(paths::containersLock(g), Mode::Shared);
    Lock il(paths::imagesLock(g), Mode::Exclusive);
    Lock ll(paths::layersLock(g), Mode::Exclusive);
    auto imgs = images_.load();
    auto i = ImageRecords::lookup(imgs, id);
    if (!i) throw NotFound("image " + id + " not found");
    Image img = imgs[*i];
    auto ctrs = containers_.load();
    for (auto& c : ctrs)
        if (c.imageId == img.id)
            throw Error("image " + img.id + " is in use by container " + c.id +
                        (c.names.empty() ? std::string() : " (" + c.names.front() + ")"));
    imgs.erase(imgs.begin() + static_cast<long>(*i));
    images_.save(imgs);
    fsutil::removeAll(paths::imageDataDir(g, img.id));
    auto layers = layers_.load();
    gcLayersLocked(layers, imgs, ctrs, img.topLayer);
    layers_.save(layers);
}

Container Store::createContainer(const std::string& id, const std::vector<std::string>& names,
                                 const std::string& imageId, const std::string& metadata,
                                 const std::vector<IdMapping>& uidMap, const std::vector<IdMapping>& gidMap) {
    checkId(id, "container");
    const paths::Root& g = root_;
    Lock cl(paths::containersLock(g), Mode::Exclusive);
    auto ctrs = containers_.load();
    for (auto& c : ctrs) {
        if (c.id == id) throw AlreadyExists("container id " + id + " is already in use");
        for (auto& n : names)
            if (std::find(c.names.begin(), c.names.end(), n) != c.names.end())
                throw AlreadyExists("the container name \"" + n + "\" is already in use by " + c.id);
    }
    Lock il(paths::imagesLock(g), Mode::Shared);
    auto imgs = images_.load();
    auto i = ImageRecords::lookup(imgs, imageId);
    if (!i) throw NotFound("image " + imageId + " not found");
    Container c;
    c.id = id;
    for (auto& n : names) addUnique(c.names, n);
    c.imageId = imgs[*i].id;
    c.layerId = id;
    c.created = static_cast<int64_t>(std::time(nullptr));
    c.metadata = metadata;
    c.uidMap = uidMap;
    c.gidMap = gidMap;
    makeLayer(
        c.layerId, imgs[*i].topLayer,
        [&](Layer&) {
            if (uidMap.empty() && gidMap.empty()) return;
            fsutil::IdShift shift;
            shift.uids = uidMap;
            shift.gids = gidMap;
            driver_->shiftLayer(c.layerId, shift);
        },
        false);
    try {
        fsutil::mkdirAll(paths::containerUserData(g, id), 0700);
        ctrs.push_back(c);
        containers_.save(ctrs);
    } catch (...) {
        Lock ll(paths::layersLock(g), Mode::Exclusive);
        auto layers = layers_.load();
        removeLayerLocked(layers, c.layerId);
        layers_.save(layers);
        fsutil::removeAll(paths::containerDir(g, id));
        throw;
    }
    return c;
}

std::vector<Container> Store::containers() {
    Lock l(paths::containersLock(root_), Mode::Shared);
    return containers_.load();
}

std::optional<Container> Store::lookupContainer(const std::string& nameOrId) {
    Lock l(paths::containersLock(root_), Mode::Shared);
    auto v = containers_.load();
    auto i = ContainerRecords::lookup(v, nameOrId);
    if (!i) return std::nullopt;
    return v[*i];
}

Container Store::containerById(const std::string& id) {
    auto c = lookupContainer(id);
    if (!c) throw NotFound("container " + id + " not found");
    return *c;
}

std::string Store::containerRootfs(const std::string& id) { return driver_->path(containerById(id).layerId); }

std::string Store::mountContainer(const std::string& id, bool disposable) {
    Lock l(paths::containersLock(root_), Mode::Exclusive);
    auto v = containers_.load();
    auto i = ContainerRecords::lookup(v, id);
    if (!i) throw NotFound("container " + id + " not found");
    return driver_->mount(v[*i].layerId, disposable);
}

void Store::unmountContainer(const std::string& id) {
    Lock l(paths::containersLock(root_), Mode::Exclusive);
    auto v = containers_.load();
    auto i = ContainerRecords::lookup(v, id);
    if (!i) throw NotFound("container " + id + " not found");
    driver_->unmount(v[*i].layerId);
}

std::string Store::containerDir(const std::string& id) {
    return paths::containerUserData(root_, containerById(id).id);
}

std::string Store::containerRunDir(const std::string& id) {
    std::string d = paths::containerRunDir(opts_.runRoot, containerById(id).id);
    fsutil::mkdirAll(d, 0700);
    return d;
}

void Store::setContainerMetadata(const std::string& id, const std::string& metadata) {
    Lock l(paths::containersLock(root_), Mode::Exclusive);
    auto v = containers_.load();
    auto i = ContainerRecords::lookup(v, id);
    if (!i) throw NotFound("container " + id + " not found");
    v[*i].metadata = metadata;
    containers_.save(v);
}

void Store::renameContainer(const std::string& id, const std::string& name,
                            const std::function<std::string(const std::string&)>& metadata) {
    Lock l(paths::containersLock(root_), Mode::Exclusive);
    auto v = containers_.load();
    auto i = ContainerRecords::lookup(v, id);
    if (!i) throw NotFound("container " + id + " not found");
    for (size_t k = 0; k < v.size(); ++k)
        if (k != *i && std::find(v[k].names.begin(), v[k].names.end(), name) != v[k].names.end())
            throw AlreadyExists("the container name \"" + name + "\" is already in use by " + v[k].id);
    v[*i].names = {name};
    v[*i].metadata = metadata(v[*i].metadata);
    containers_.save(v);
}

void Store::removeContainer(const std::string& id) {
    const paths::Root& g = root_;
    Lock cl(paths::containersLock(g), Mode::Exclusive);
    auto ctrs = containers_.load();
    auto i = ContainerRecords::lookup(ctrs, id);
    if (!i) throw NotFound("container " + id + " not found");
    Container c = ctrs[*i];
    driver_->unmount(c.layerId);
    ctrs.erase(ctrs.begin() + static_cast<long>(*i));
    containers_.save(ctrs);
    std::string parent;
    {
        Lock ll(paths::layersLock(g), Mode::Exclusive);
        auto layers = layers_.load();
        for (const auto& l : layers)
            if (l.id == c.layerId) parent = l.parent;
        removeLayerLocked(layers, c.layerId);
        layers_.save(layers, fsutil::Sync::Volatile);
    }
    // The image's copies for this container's mapping go with the last container that has
    // it (a create with the same mapping waits for the containers lock we hold).
    bool mapped = !c.uidMap.empty() || !c.gidMap.empty();
    bool shared = std::any_of(ctrs.begin(), ctrs.end(), [&](const Container& o) { return o.uidMap == c.uidMap && o.gidMap == c.gidMap; });
    if (mapped && !shared && !parent.empty()) {
        fsutil::IdShift shift;
        shift.uids = c.uidMap;
        shift.gids = c.gidMap;
        driver_->dropShifted(parent, shift);
    }
    fsutil::removeAll(paths::containerDir(g, c.id));
    std::string run = fsutil::join(opts_.runRoot, "containers/" + c.id);
    fsutil::removeAll(run);
}

}  // namespace hutch::storage
