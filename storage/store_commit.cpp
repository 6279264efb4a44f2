// Store::commitContainer, Store::layerDiff and Store::layerChanges: a container's or a layer's
// changes as a layer tar (layer_tar.hpp) or a list (changes.hpp), kept apart from store.cpp's
// record keeping.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/log.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::storage {

namespace {

// An unlinked temp file in `dir` (no leftovers after a crash).
UniqueFd anonymousFile(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (fd) return fd;
    std::string tmpl = dir + "/commit-XXXXXX";
    fd.reset(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd) throw SysError(errno, "create a temp file in " + dir);
    ::unlink(tmpl.c_str());
    return fd;
}

void writeAll(int fd, const void* data, size_t n) {
    auto* p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw SysError(errno, "write the layer tar temp file");
        p += w;
        n -= static_cast<size_t>(w);
    }
}

}  // namespace

std::optional<Layer> Store::commitContainer(const std::string& containerId) {
    Container c = containerById(containerId);
    auto rec = layer(c.layerId);
    if (!rec || rec->incomplete) throw NotFound("layer " + c.layerId + " of container " + c.id + " not found");
    UniqueFd tmp = anonymousFile(opts_.graphRoot);
    // A container with its own id mapping: the layer holds the image's owners as the
    // container sees them, not as they lie on disk.
    fsutil::IdShift unshift;
    unshift.uids = c.uidMap;
    unshift.gids = c.gidMap;
    const bool mapped = !c.uidMap.empty() || !c.gidMap.empty();
    LayerTarResult r = driver_->diff(c.layerId, rec->parent, [&](const void* p, size_t n) { writeAll(tmp.get(), p, n); },
                                     mapped ? &unshift : nullptr);
    if (r.entries == 0) {
        log::debug("store: container {} changed nothing", c.id);
        return std::nullopt;
    }
    std::string id = rec->parent.empty() ? r.diffId.encoded
                                         : Digest::sha256Of("sha256:" + rec->parent + " " + r.diffId.str()).encoded;
    log::debug("store: container {} committed as layer {} ({}, {} bytes, {} entries)", c.id, id, r.diffId.str(),
               r.uncompressedSize, r.entries);
    off_t off = 0;
    ReadFn in = [&](void* buf, size_t n) -> size_t {
        for (;;) {
            ssize_t k = ::pread(tmp.get(), buf, n, off);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) throw SysError(errno, "read the layer tar temp file");
            off += k;
            return static_cast<size_t>(k);
        }
    };
    return createLayer(id, rec->parent, in, r.diffId, Digest{});
}

ApplyResult Store::layerDiff(const std::string& layerId, const WriteFn& out) {
    auto rec = layer(layerId);
    if (!rec || rec->incomplete) throw NotFound("layer " + layerId + " not found");
    return driver_->diff(rec->id, rec->parent, out);
}

std::vector<Change> Store::layerChanges(const std::string& layerId) {
    auto rec = layer(layerId);
    if (!rec || rec->incomplete) throw NotFound("layer " + layerId + " not found");
    return driver_->changes(rec->id, rec->parent);
}

}  // namespace hutch::storage
