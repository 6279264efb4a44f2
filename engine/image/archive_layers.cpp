#include "hutch/engine/image/archive_layers.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

/// The layers of an image, base first.
std::vector<storage::Layer> imageLayers(storage::Store& store, const std::string& top) {
    std::vector<storage::Layer> out;
    for (std::string id = top; !id.empty();) {
        auto l = store.layer(id);
        if (!l) throw Error("layer " + id + " is missing from storage");
        out.insert(out.begin(), *l);
        id = l->parent;
    }
    return out;
}

ExportedLayer exportLayer(storage::Store& store, const std::string& layerId, bool gzip) {
    ExportedLayer c;
    int raw = ::open(store.graphRoot().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (raw < 0) {
        std::string tmpl = store.graphRoot() + "/.export-XXXXXX";
        raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
        checkSys(raw, "creating a temporary file in " + store.graphRoot());
        ::unlink(tmpl.c_str());
    }
    c.fd = UniqueFd(raw);
    z_stream zs{};
    // windowBits 15 + 16: a gzip wrapper (mtime 0, no name: the bytes depend on the input only).
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error("gzip: deflateInit2 failed");
    Hasher compressed;
    auto emit = [&](const void* data, size_t have) {
        compressed.update(data, have);
        auto* p = static_cast<const unsigned char*>(data);
        size_t left = have;
        while (left) {
            ssize_t w = ::write(c.fd.get(), p, left);
            if (w < 0 && errno == EINTR) continue;
            checkSys(w, "writing layer " + layerId + " to a temporary file");
            p += w;
            left -= static_cast<size_t>(w);
        }
        c.size += static_cast<int64_t>(have);
    };
    std::vector<unsigned char> buf(1 << 16);
    auto drain = [&](int flush) {
        do {
            zs.next_out = buf.data();
            zs.avail_out = static_cast<uInt>(buf.size());
            int rc = deflate(&zs, flush);
            if (rc == Z_STREAM_ERROR) throw Error("gzip: deflate failed");
            size_t have = buf.size() - zs.avail_out;
            if (have) emit(buf.data(), have);
        } while (zs.avail_out == 0);
    };
    try {
        Hasher uncompressed;
        store.layerDiff(layerId, [&](const void* data, size_t n) {
            uncompressed.update(data, n);
            if (!gzip) {
                emit(data, n);
                return;
            }
            zs.next_in = static_cast<Bytef*>(const_cast<void*>(data));
            zs.avail_in = static_cast<uInt>(n);
            drain(Z_NO_FLUSH);
        });
        zs.avail_in = 0;
        if (gzip) drain(Z_FINISH);
        c.diffId = uncompressed.finish();
    } catch (...) {
        deflateEnd(&zs);
        throw;
    }
    deflateEnd(&zs);
    c.digest = compressed.finish();
    return c;
}


void readFileChunks(int fd, int64_t size, const std::function<void(const void*, size_t)>& out) {
    std::vector<char> buf(1 << 16);
    int64_t off = 0;
    while (off < size) {
        size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(buf.size()), size - off));
        ssize_t k = ::pread(fd, buf.data(), want, off);
        if (k < 0 && errno == EINTR) continue;
        checkSys(k, "reading a temporary layer file");
        if (k == 0) throw Error("temporary layer file is shorter than expected");
        out(buf.data(), static_cast<size_t>(k));
        off += k;
    }
}

}  // namespace hutch::engine
