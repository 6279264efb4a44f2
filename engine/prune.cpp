#include "hutch/engine/prune.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/fswalk.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/volume/volumes.hpp"
#include "hutch/storage/paths.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {
namespace {

namespace fs = std::filesystem;

/// The layers of the image whose top layer is `top`, top first (missing ones end the chain).
std::vector<storage::Layer> layerChain(storage::Store& st, const std::string& top) {
    std::vector<storage::Layer> out;
    std::set<std::string> seen;
    for (std::string id = top; !id.empty() && seen.insert(id).second;) {
        auto l = st.layer(id);
        if (!l) break;
        out.push_back(*l);
        id = l->parent;
    }
    return out;
}

/// Layer id -> size of every layer some image references.
std::map<std::string, uint64_t> imageLayers(storage::Store& st) {
    std::map<std::string, uint64_t> out;
    for (const auto& img : st.images())
        for (const auto& l : layerChain(st, img.topLayer)) out[l.id] = l.size;
    return out;
}

uint64_t sumSizes(const std::map<std::string, uint64_t>& m) {
    uint64_t s = 0;
    for (const auto& [id, size] : m) s += size;
    return s;
}

std::set<std::string> usedImageIds(storage::Store& st) {
    std::set<std::string> used;
    for (const auto& c : st.containers()) used.insert(c.imageId);
    return used;
}

/// The container's rw layer size: the overlay upper dir, or for vfs what the full copy
/// holds beyond its image's layers.
uint64_t rwLayerSize(storage::Store& st, const storage::Container& c) {
    const std::string& g = st.graphRoot();
    if (st.driverName() == "overlay") return diskUsage(storage::paths::overlayLayerDir(g, c.layerId) + "/diff");
    uint64_t all = diskUsage(storage::paths::vfsLayerDir(g, c.layerId));
    uint64_t image = 0;
    if (auto img = st.lookupImage(c.imageId))
        for (const auto& l : layerChain(st, img->topLayer)) image += l.size;
    return all > image ? all - image : 0;
}

/// Volume name -> number of containers whose record lists it.
std::map<std::string, int> volumeLinks(Context& ctx) {
    std::map<std::string, int> links;
    for (const auto& c : listContainers(ctx))
        for (const auto& v : c.volumes) ++links[v];
    return links;
}

uint64_t volumeSize(const Volume& v) { return v.isTmpfs() || v.isDevice() ? 0 : diskUsage(v.mountpoint); }

/// Decodes mountinfo's octal escapes (\040 for a space).
std::string unescapeMountPath(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            out += static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

/// Mount points of this process below `dir`, deepest first.
std::vector<std::string> mountsUnder(const std::string& dir) {
    std::vector<std::string> out;
    std::string prefix = dir.back() == '/' ? dir : dir + "/";
    for (const auto& line : str::split(fsutil::readFile("/proc/self/mountinfo"), '\n')) {
        auto f = str::split(line, ' ');
        if (f.size() < 5) continue;
        std::string mp = unescapeMountPath(f[4]);
        if (mp.rfind(prefix, 0) == 0) out.push_back(mp);  // the directory itself may be a mount: kept
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return out;
}

/// Removes every entry of `dir` except `keep`; `dir` itself stays.
void removeContents(const std::string& dir, const std::set<std::string>& keep) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT) return;
        throw SysError(errno, "opening " + dir);
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string name = e.path().filename();
        if (keep.count(name)) continue;
        fsutil::removeAt(fd.get(), name, fsutil::join(dir, name));
    }
    if (ec) throw SysError(ec.value(), "listing " + dir);
}

/// Throws when `dir` is not something a reset may empty ("/", the home directory).
void checkResettable(const std::string& dir, const char* what) {
    std::error_code ec;
    auto canon = fs::weakly_canonical(dir, ec).string();
    const char* home = std::getenv("HOME");
    if (dir.empty() || canon == "/" || (home && *home && canon == fs::weakly_canonical(home, ec).string()))
        throw Error(std::string("refusing to reset the ") + what + " \"" + dir + "\": not a store directory");
}

}  // namespace

uint64_t diskUsage(const std::string& path) {
    struct stat root {};
    if (::lstat(path.c_str(), &root) != 0) return 0;
    if (!S_ISDIR(root.st_mode)) return S_ISREG(root.st_mode) || S_ISLNK(root.st_mode) ? root.st_size : 0;
    uint64_t total = 0;
    std::set<std::pair<dev_t, ino_t>> seen;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return 0;
    try {
        fsutil::walk(fd.get(), path, fsutil::WalkVisitor{[&](const fsutil::WalkEntry& e) {
                         const struct stat& st = e.st;
                         if (st.st_dev != root.st_dev) return false;  // another filesystem mounted inside: not ours to count
                         if (S_ISDIR(st.st_mode)) return true;
                         if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) return false;
                         if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
                         return false;
                     }, nullptr, true});
    } catch (const std::exception& e) {
        log::debug("disk usage of {}: {} (counted so far: {} bytes)", path, e.what(), total);
    }
    return total;
}

PruneReport pruneContainers(Context& ctx) {
    PruneReport rep;
    auto& st = ctx.store();
    std::map<std::string, const storage::Container*> byId;
    auto stored = st.containers();
    for (const auto& c : stored) byId[c.id] = &c;
    for (const auto& c : listContainers(ctx)) {
        if (effectiveStatus(c) == ContainerStatus::Running) continue;
        try {
            uint64_t size = byId.count(c.id) ? rwLayerSize(st, *byId[c.id]) : 0;
            removeContainer(ctx, c.id, false);
            rep.removed.push_back(c.id);
            rep.reclaimed += size;
        } catch (const std::exception& e) {
            rep.errors.push_back(e.what());
        }
    }
    return rep;
}

PruneReport pruneImages(Context& ctx, bool all) {
    PruneReport rep;
    auto& st = ctx.store();
    uint64_t before = sumSizes(imageLayers(st));
    std::set<std::string> failed;
    for (bool progress = true; progress;) {
        progress = false;
        auto used = usedImageIds(st);
        for (const auto& img : st.images()) {
            if (failed.count(img.id) || used.count(img.id)) continue;
            if (!all && !img.names.empty()) continue;
            try {
                st.removeImage(img.id);
                rep.removed.push_back(img.id);
                progress = true;
            } catch (const NotFound&) {
                // removed by someone else meanwhile
            } catch (const std::exception& e) {
                failed.insert(img.id);
                rep.errors.push_back(e.what());
            }
        }
    }
    uint64_t after = sumSizes(imageLayers(st));
    rep.reclaimed = before > after ? before - after : 0;
    return rep;
}

PruneReport pruneUnusedVolumes(Context& ctx) {
    PruneReport rep;
    std::map<std::string, uint64_t> sizes;
    for (const auto& v : listVolumes(ctx)) sizes[v.name] = volumeSize(v);
    try {
        rep.removed = pruneVolumes(ctx);
    } catch (const std::exception& e) {
        rep.errors.push_back(e.what());
    }
    for (const auto& n : rep.removed) rep.reclaimed += sizes.count(n) ? sizes[n] : 0;
    return rep;
}

SystemDf systemDf(Context& ctx) {
    SystemDf df;
    auto& st = ctx.store();
    auto images = st.images();
    auto stored = st.containers();
    auto records = listContainers(ctx);

    // Images: a layer is shared when more than one image's chain has it.
    std::map<std::string, int> layerRefs;
    std::map<std::string, std::vector<storage::Layer>> chains;
    for (const auto& img : images) {
        chains[img.id] = layerChain(st, img.topLayer);
        for (const auto& l : chains[img.id]) ++layerRefs[l.id];
    }
    std::map<std::string, int> imageUsers;
    for (const auto& c : stored) ++imageUsers[c.imageId];
    std::map<std::string, uint64_t> allLayers, usedLayers;
    DfSummaryRow ri{"Images"};
    for (const auto& img : images) {
        DfImage d;
        d.id = img.id;
        d.names = img.names;
        d.created = img.created;
        d.containers = imageUsers.count(img.id) ? imageUsers[img.id] : 0;
        for (const auto& l : chains[img.id]) {
            d.size += l.size;
            (layerRefs[l.id] > 1 ? d.sharedSize : d.uniqueSize) += l.size;
            allLayers[l.id] = l.size;
            if (d.containers > 0) usedLayers[l.id] = l.size;
        }
        ++ri.total;
        if (d.containers > 0) ++ri.active;
        df.images.push_back(d);
    }
    ri.size = sumSizes(allLayers);
    ri.reclaimable = ri.size - sumSizes(usedLayers);
    std::sort(df.images.begin(), df.images.end(), [](const auto& a, const auto& b) { return a.created > b.created; });

    // Containers.
    std::map<std::string, const storage::Container*> byId;
    for (const auto& c : stored) byId[c.id] = &c;
    DfSummaryRow rc{"Containers"};
    for (const auto& r : records) {
        DfContainer d;
        d.id = r.id;
        d.imageId = r.imageId;
        d.command = str::join(r.args, " ");
        d.name = r.name;
        auto status = effectiveStatus(r);
        d.status = statusName(status);
        d.running = status == ContainerStatus::Running;
        d.created = parseRfc3339(r.created);
        d.localVolumes = static_cast<int>(r.volumes.size());
        d.rwSize = byId.count(r.id) ? rwLayerSize(st, *byId[r.id]) : 0;
        ++rc.total;
        rc.size += d.rwSize;
        if (d.running)
            ++rc.active;
        else
            rc.reclaimable += d.rwSize;
        df.containers.push_back(d);
    }

    // Volumes.
    auto links = volumeLinks(ctx);
    DfSummaryRow rv{"Local Volumes"};
    for (const auto& v : listVolumes(ctx)) {
        DfVolume d;
        d.name = v.name;
        d.links = links.count(v.name) ? links[v.name] : 0;
        d.size = volumeSize(v);
        ++rv.total;
        rv.size += d.size;
        if (d.links > 0)
            ++rv.active;
        else
            rv.reclaimable += d.size;
        df.volumes.push_back(d);
    }
    df.summary = {ri, rc, rv};
    return df;
}

StorePaths storeRoots(Context& ctx) { return {ctx.store().graphRoot(), ctx.store().runRoot()}; }

std::vector<std::string> systemReset(Context& ctx) {
    std::vector<std::string> errors;
    auto& st = ctx.store();
    const std::string graph = st.graphRoot(), run = st.runRoot();
    checkResettable(graph, "graph root");
    checkResettable(run, "run root");

    for (const auto& c : listContainers(ctx)) {
        try {
            removeContainer(ctx, c.id, true);
        } catch (const NotFound&) {
        } catch (const std::exception& e) {
            errors.push_back(e.what());
        }
    }
    for (const auto& v : listVolumes(ctx)) {
        try {
            removeVolume(ctx, v.name, true);
        } catch (const NotFound&) {
        } catch (const std::exception& e) {
            errors.push_back(e.what());
        }
    }
    for (const auto& img : st.images()) {
        try {
            st.removeImage(img.id);
        } catch (const NotFound&) {
        } catch (const std::exception& e) {
            errors.push_back(e.what());
        }
    }

    // The sweep: never delete through a mount (an overlay's lower dirs, a bind mount of
    // user data): unmount what is left, and stop if something stays mounted.
    for (const auto& dir : {graph, run}) {
        for (const auto& mp : mountsUnder(dir))
            if (::umount2(mp.c_str(), MNT_DETACH) != 0)
                log::warn("system reset: cannot unmount {}: {}", mp, std::strerror(errno));
        auto left = mountsUnder(dir);
        if (!left.empty())
            throw Error("system reset: " + left.front() + " is still mounted; not removing the rest of " + dir);
    }
    removeContents(graph, {});
    // The run root may be the rootless session's directory too (engine/context.hpp): its
    // pause record stays, or the session's pause process would be orphaned.
    removeContents(run, {"pause.pid", "pause.lock"});
    return errors;
}

}  // namespace hutch::engine
