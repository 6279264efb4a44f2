#include "hutch/engine/image/import_export.hpp"

#include "hutch/storage/archive_lib.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/image/container_commit.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/image/image_commit.hpp"
#include "hutch/registry/platform.hpp"
#include "hutch/storage/layer_tar.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

using nlohmann::json;

/// An unlinked temp file in `dir` (nothing left behind by a killed import).
UniqueFd anonymousFile(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (fd) return fd;
    std::string tmpl = dir + "/import-XXXXXX";
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
        if (w < 0) throw SysError(errno, "write the import's temp file");
        p += w;
        n -= static_cast<size_t>(w);
    }
}

/// Decompresses `fd` (any filter libarchive knows, or none) into `tmp`; returns the digest
/// and size of the decompressed bytes. Throws InvalidArgument naming `source`.
Digest decompressTo(int fd, int tmp, const std::string& source, uint64_t* size) {
    std::unique_ptr<archive, decltype(&::archive_read_free)> a(storage::arc().read_new(), storage::arc().read_free);
    if (!a) throw Error("import: out of memory");
    storage::arc().read_support_filter_all(a.get());
    storage::arc().read_support_format_raw(a.get());
    auto bad = [&](const std::string& what) {
        const char* m = storage::arc().error_string(a.get());
        return InvalidArgument("import " + source + ": " + what + (m ? std::string(": ") + m : ""));
    };
    if (storage::arc().read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) throw bad("cannot read it");
    archive_entry* e = nullptr;
    int r = storage::arc().read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) throw InvalidArgument("import " + source + ": the file is empty");
    if (r != ARCHIVE_OK) throw bad("cannot decompress it");
    Hasher h;
    char buf[1 << 16];
    for (;;) {
        la_ssize_t n = storage::arc().read_data(a.get(), buf, sizeof buf);
        if (n < 0) throw bad("cannot decompress it");
        if (n == 0) break;
        h.update(buf, static_cast<size_t>(n));
        writeAll(tmp, buf, static_cast<size_t>(n));
    }
    *size = h.size();
    return h.finish();
}

}  // namespace

std::string importImage(Context& ctx, const ImportOptions& o) {
    std::string name = o.reference.empty() ? "" : commitImageName(o.reference);
    json config = {{"created", nowRfc3339()},
                   {"architecture", registry::hostPlatform().architecture},
                   {"os", "linux"},
                   {"config", json::object()}};
    applyChanges(config["config"], o.changes);  // bad changes fail before any work

    UniqueFd in;
    int inFd = 0;
    if (o.source != "-") {
        in.reset(::open(o.source.c_str(), O_RDONLY | O_CLOEXEC));
        if (!in) throw SysError(errno, "import " + o.source);
        inFd = in.get();
    }
    const std::string source = o.source == "-" ? "(standard input)" : o.source;
    auto& store = ctx.store();
    UniqueFd tmp = anonymousFile(store.graphRoot());
    uint64_t size = 0;
    Digest diffId = decompressTo(inFd, tmp.get(), source, &size);
    log::debug("import: {} is {} bytes of tar, diffID {}", source, size, diffId.str());
    off_t off = 0;
    storage::ReadFn read = [&](void* buf, size_t n) -> size_t {
        for (;;) {
            ssize_t k = ::pread(tmp.get(), buf, n, off);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) throw SysError(errno, "read the import's temp file");
            off += k;
            return static_cast<size_t>(k);
        }
    };
    storage::Layer layer;
    try {
        layer = store.createLayer(diffId.encoded, "", read, diffId, Digest{});
    } catch (const InvalidArgument& e) {  // the applier: not a tar, or a bad entry
        throw InvalidArgument("import " + source + ": " + e.what());
    }

    ImageCommit c;
    c.layer = layer;
    c.config = std::move(config);
    c.historyEntry = {{"created", c.config["created"]},
                      {"created_by", "/bin/sh -c #(nop) ADD file:" + diffId.encoded + " in / "},
                      {"comment", o.message.empty() ? "imported from tarball" : o.message}};
    if (!name.empty()) c.names = {name};
    return commitImage(ctx, c);
}

void exportContainer(Context& ctx, const std::string& container, const std::function<void(const void*, size_t)>& out) {
    ContainerRecord rec = loadContainer(ctx, container);
    auto& store = ctx.store();
    // A running container's rootfs is mounted already (and stays so); mounting again is a no-op.
    const bool running = effectiveStatus(rec) == ContainerStatus::Running;
    std::string rootfs = store.mountContainer(rec.id);
    struct Unmount {
        storage::Store& s;
        const std::string& id;
        bool active;
        ~Unmount() {
            if (!active) return;
            try {
                s.unmountContainer(id);
            } catch (const std::exception& e) {
                log::warn("export: unmount {}: {}", id, e.what());
            }
        }
    } unmount{store, rec.id, !running};
    storage::writeTreeDiff("", rootfs, out);
}

}  // namespace hutch::engine
