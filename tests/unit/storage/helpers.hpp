// Shared helpers for the storage unit tests: temp dirs, tar building (libarchive write
// API), in-root stat, file reading.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/storage/applier.hpp"
#include "hutch/storage/fsops.hpp"

namespace testutil {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/hutch-storage-test-XXXXXX";
        if (!mkdtemp(t)) throw hutch::SysError(errno, "mkdtemp");
        path = t;
    }
    ~TempDir() {
        try {
            hutch::fsutil::removeAll(path);
        } catch (...) {
        }
    }
    std::string operator/(const std::string& p) const { return hutch::fsutil::join(path, p); }
};

struct TarOpts {
    unsigned mode = 0644;
    int64_t uid = 0, gid = 0;
    time_t mtime = 1600000000;
    std::vector<std::pair<std::string, std::string>> xattrs;
};

/// Builds a tar stream in memory (PAX), optionally gzip/zstd compressed.
class TarBuilder {
public:
    explicit TarBuilder(const std::string& filter = "") {
        a_ = archive_write_new();
        archive_write_set_format_pax_restricted(a_);
        if (filter == "gzip") archive_write_add_filter_gzip(a_);
        if (filter == "zstd") archive_write_add_filter_zstd(a_);
        archive_write_set_bytes_per_block(a_, 10240);
        archive_write_open(a_, this, nullptr, &TarBuilder::write, nullptr);
    }
    ~TarBuilder() {
        if (a_) archive_write_free(a_);
    }
    using Opts = TarOpts;
    TarBuilder& file(const std::string& name, const std::string& data, Opts o = {}) {
        return add(name, AE_IFREG, o, data, "", "");
    }
    TarBuilder& dir(const std::string& name, Opts o = {}) {
        if (o.mode == 0644) o.mode = 0755;
        return add(name, AE_IFDIR, o, "", "", "");
    }
    TarBuilder& symlink(const std::string& name, const std::string& target, Opts o = {}) {
        o.mode = 0777;
        return add(name, AE_IFLNK, o, "", target, "");
    }
    TarBuilder& hardlink(const std::string& name, const std::string& target, Opts o = {}) {
        return add(name, AE_IFREG, o, "", "", target);
    }
    TarBuilder& chardev(const std::string& name, unsigned maj, unsigned min, Opts o = {}) {
        archive_entry* e = entry(name, AE_IFCHR, o);
        archive_entry_set_rdevmajor(e, maj);
        archive_entry_set_rdevminor(e, min);
        archive_write_header(a_, e);
        archive_entry_free(e);
        return *this;
    }
    std::string finish() {
        archive_write_close(a_);
        archive_write_free(a_);
        a_ = nullptr;
        return out_;
    }

private:
    archive_entry* entry(const std::string& name, unsigned type, const Opts& o) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, o.mode);
        archive_entry_set_uid(e, o.uid);
        archive_entry_set_gid(e, o.gid);
        archive_entry_set_mtime(e, o.mtime, 0);
        for (auto& [k, v] : o.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
        return e;
    }
    TarBuilder& add(const std::string& name, unsigned type, const Opts& o, const std::string& data,
                    const std::string& symlink, const std::string& hardlink) {
        archive_entry* e = entry(name, type, o);
        if (!symlink.empty()) archive_entry_set_symlink(e, symlink.c_str());
        if (!hardlink.empty()) archive_entry_set_hardlink(e, hardlink.c_str());
        archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
        archive_write_header(a_, e);
        if (!data.empty()) archive_write_data(a_, data.data(), data.size());
        archive_entry_free(e);
        return *this;
    }
    static la_ssize_t write(archive*, void* ctx, const void* buf, size_t n) {
        static_cast<TarBuilder*>(ctx)->out_.append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
    }
    archive* a_ = nullptr;
    std::string out_;
};

/// A ReadFn over an in-memory string, returning at most `chunk` bytes per call.
inline hutch::storage::ReadFn reader(std::string data, size_t chunk = 7000) {
    auto d = std::make_shared<std::string>(std::move(data));
    auto pos = std::make_shared<size_t>(0);
    return [d, pos, chunk](void* buf, size_t n) -> size_t {
        size_t k = std::min({n, chunk, d->size() - *pos});
        memcpy(buf, d->data() + *pos, k);
        *pos += k;
        return k;
    };
}

inline hutch::storage::ApplyResult applyString(const std::string& root, const std::string& tar) {
    return hutch::storage::applyLayer(root, reader(tar));
}

/// stat of `rel` resolved inside `root` (symlinks followed in-root unless nofollow).
inline bool statIn(const std::string& root, const std::string& rel, struct stat* st, bool nofollow = false) {
    int r = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = hutch::storage::fsops::openInRoot(r, rel, O_PATH | (nofollow ? O_NOFOLLOW : 0));
    ::close(r);
    if (fd < 0) return false;
    bool ok = ::fstat(fd, st) == 0;
    ::close(fd);
    return ok;
}

inline std::string readIn(const std::string& root, const std::string& rel) {
    int r = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = hutch::storage::fsops::openInRoot(r, rel, O_RDONLY);
    ::close(r);
    if (fd < 0) return "<missing>";
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out;
}

inline bool sameInode(const std::string& root, const std::string& a, const std::string& b) {
    struct stat x, y;
    return statIn(root, a, &x) && statIn(root, b, &y) && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

inline void writeFile(const std::string& path, const std::string& data, unsigned mode = 0644) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw hutch::SysError(errno, "create " + path);
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) throw hutch::SysError(errno, "write");
    ::close(fd);
}

}  // namespace testutil
