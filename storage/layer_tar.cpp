#include "hutch/storage/layer_tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <map>
#include <optional>
#include <vector>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"

namespace hutch::storage {

namespace {

const std::string kWhiteoutPrefix = ".wh.";
const std::string kOpaqueMarker = ".wh..wh..opq";

using Xattrs = std::map<std::string, std::string>;

bool overlayXattr(const std::string& name) {
    return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
}

// Every xattr of `path` (not followed) but the overlay ones, sorted by name.
Xattrs readXattrs(const std::string& path) {
    Xattrs out;
    std::vector<char> names;
    for (;;) {
        ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
        if (n < 0) {
            if (errno == ENOTSUP || errno == ENODATA) return out;
            throw SysError(errno, "list xattrs of " + path);
        }
        if (n == 0) return out;
        names.resize(static_cast<size_t>(n));
        n = ::llistxattr(path.c_str(), names.data(), names.size());
        if (n < 0 && errno == ERANGE) continue;  // grew meanwhile
        if (n < 0) throw SysError(errno, "list xattrs of " + path);
        names.resize(static_cast<size_t>(n));
        break;
    }
    for (size_t i = 0; i < names.size();) {
        std::string name(names.data() + i);
        i += name.size() + 1;
        if (name.empty() || overlayXattr(name)) continue;
        std::string val;
        for (;;) {
            ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
            if (n < 0 && errno == ENODATA) break;  // removed meanwhile
            if (n < 0) throw SysError(errno, "read xattr " + name + " of " + path);
            val.resize(static_cast<size_t>(n));
            n = ::lgetxattr(path.c_str(), name.c_str(), val.data(), val.size());
            if (n < 0 && errno == ERANGE) continue;
            if (n < 0) throw SysError(errno, "read xattr " + name + " of " + path);
            val.resize(static_cast<size_t>(n));
            out[name] = val;
            break;
        }
    }
    return out;
}

bool isOpaque(const std::string& path) {
    for (const char* x : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
        char v[4];
        ssize_t n = ::lgetxattr(path.c_str(), x, v, sizeof v);
        if (n == 1 && v[0] == 'y') return true;
    }
    return false;
}

std::string readLink(const std::string& path) {
    std::string buf(256, '\0');
    for (;;) {
        ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
        if (n < 0) throw SysError(errno, "readlink " + path);
        if (static_cast<size_t>(n) < buf.size()) return buf.substr(0, static_cast<size_t>(n));
        buf.resize(buf.size() * 2);
    }
}

std::string joinRel(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// One entry to write.
struct Node {
    enum Kind { Fs, Whiteout, Opaque } kind = Fs;
    std::string rel;  // path in the tar, no leading "/"
    std::string abs;  // source path (Fs only)
    struct stat st {};
};

// A directory's entries (not "." / ".."), with lstat, sorted by name.
std::vector<std::pair<std::string, struct stat>> listDir(const std::string& dir) {
    std::vector<std::pair<std::string, struct stat>> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw SysError(errno, "open directory " + dir);
    try {
        errno = 0;
        while (dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n == "." || n == "..") continue;
            struct stat st;
            if (::lstat((dir + "/" + n).c_str(), &st) != 0) {
                if (errno == ENOENT) continue;  // removed meanwhile
                throw SysError(errno, "stat " + dir + "/" + n);
            }
            out.emplace_back(n, st);
        }
    } catch (...) {
        ::closedir(d);
        throw;
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
    return out;
}

// libarchive's pax writer around a WriteFn that also hashes.
class TarOut {
public:
    explicit TarOut(const WriteFn& out) : out_(out) {
        if (cLocale_) prevLocale_ = ::uselocale(cLocale_);
        a_ = archive_write_new();
        if (!a_) throw Error("layer tar: archive_write_new failed");
        archive_write_set_format_pax_restricted(a_);
        // xattrs once, as SCHILY.xattr.* (what Go's archive/tar, docker and containers/storage
        // write and read), not also as LIBARCHIVE.xattr.*
        if (archive_write_set_format_option(a_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) fail("xattrheader");
        archive_write_set_bytes_per_block(a_, 10240);
        archive_write_set_bytes_in_last_block(a_, 1);  // no padding after the end marker
        if (archive_write_open(a_, this, nullptr, &TarOut::cb, nullptr) != ARCHIVE_OK) fail("open");
    }
    ~TarOut() {
        if (a_) archive_write_free(a_);
        if (prevLocale_) ::uselocale(prevLocale_);
        if (cLocale_) ::freelocale(cLocale_);
    }
    TarOut(const TarOut&) = delete;
    TarOut& operator=(const TarOut&) = delete;

    void add(const Node& n) {
        archive_entry* e = archive_entry_new();
        struct Free {
            archive_entry* e;
            ~Free() { archive_entry_free(e); }
        } guard{e};
        archive_entry_set_pathname(e, n.rel.c_str());
        if (n.kind != Node::Fs) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0);
            archive_entry_set_uid(e, 0);
            archive_entry_set_gid(e, 0);
            archive_entry_set_mtime(e, 0, 0);
            archive_entry_set_size(e, 0);
            header(e, n.rel);
            ++entries_;
            return;
        }
        const struct stat& st = n.st;
        archive_entry_set_perm(e, st.st_mode & 07777);
        archive_entry_set_uid(e, st.st_uid);
        archive_entry_set_gid(e, st.st_gid);
        archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);
        for (auto& [k, v] : readXattrs(n.abs)) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
        std::optional<UniqueFd> data;
        switch (st.st_mode & S_IFMT) {
            case S_IFREG: {
                archive_entry_set_filetype(e, AE_IFREG);
                if (st.st_nlink > 1) {
                    auto [it, fresh] = links_.try_emplace({st.st_dev, st.st_ino}, n.rel);
                    if (!fresh) {
                        archive_entry_set_hardlink(e, it->second.c_str());
                        archive_entry_set_size(e, 0);
                        break;
                    }
                }
                archive_entry_set_size(e, static_cast<la_int64_t>(st.st_size));
                data.emplace(::open(n.abs.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
                if (!*data) throw SysError(errno, "open " + n.abs);
                break;
            }
            case S_IFDIR: archive_entry_set_filetype(e, AE_IFDIR); break;
            case S_IFLNK:
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_symlink(e, readLink(n.abs).c_str());
                break;
            case S_IFCHR:
            case S_IFBLK:
                archive_entry_set_filetype(e, S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
                archive_entry_set_rdevmajor(e, major(st.st_rdev));
                archive_entry_set_rdevminor(e, minor(st.st_rdev));
                break;
            case S_IFIFO: archive_entry_set_filetype(e, AE_IFIFO); break;
            default: return;  // sockets: the walkers skip them already
        }
        header(e, n.rel);
        ++entries_;
        if (data) copyData(data->get(), static_cast<uint64_t>(st.st_size), n.abs);
    }

    LayerTarResult finish() {
        if (archive_write_close(a_) != ARCHIVE_OK) fail("close");
        LayerTarResult r;
        r.uncompressedSize = hasher_.size();
        r.diffId = hasher_.finish();
        r.entries = entries_;
        return r;
    }

private:
    // A name (path, link target) is any byte string. The pax writer converts names from the
    // locale's charset to UTF-8; one that does not convert (any byte >= 0x80 in the C locale,
    // invalid UTF-8 in a UTF-8 one) is written as its raw bytes with `hdrcharset=BINARY` and
    // reported as ARCHIVE_WARN. The header is complete then, so that is not an error: Debian's
    // ca-certificates alone creates such names. The writer runs in the C locale (below), so
    // the bytes of a layer never depend on the caller's LANG.
    void header(archive_entry* e, const std::string& rel) {
        int rc = archive_write_header(a_, e);
        if (rc == ARCHIVE_WARN) {
            const char* m = archive_error_string(a_);
            log::debug("layer tar: {}: {}", rel, m ? m : "warning");
            return;
        }
        if (rc != ARCHIVE_OK) fail("header of " + rel);
    }

    // Exactly `size` bytes (the header's): a file that shrank meanwhile is padded with zeros
    // by libarchive, one that grew is cut.
    void copyData(int fd, uint64_t size, const std::string& path) {
        std::vector<char> buf(1 << 16);
        while (size > 0) {
            ssize_t n = ::read(fd, buf.data(), std::min<uint64_t>(buf.size(), size));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SysError(errno, "read " + path);
            if (n == 0) break;
            if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) < 0) fail("data of " + path);
            size -= static_cast<uint64_t>(n);
        }
    }

    [[noreturn]] void fail(const std::string& what) {
        if (err_) std::rethrow_exception(err_);
        const char* m = archive_error_string(a_);
        throw Error("writing the layer tar (" + what + "): " + (m ? m : "libarchive error"));
    }

    static la_ssize_t cb(archive* a, void* ctx, const void* buf, size_t n) {
        auto* self = static_cast<TarOut*>(ctx);
        try {
            self->hasher_.update(buf, n);
            self->out_(buf, n);
        } catch (...) {
            self->err_ = std::current_exception();
            archive_set_error(a, EIO, "the output failed");
            return -1;
        }
        return static_cast<la_ssize_t>(n);
    }

    const WriteFn& out_;
    // This thread's locale while the archive is written: "C" whatever LANG says.
    locale_t cLocale_ = ::newlocale(LC_ALL_MASK, "C", nullptr);
    locale_t prevLocale_ = nullptr;
    archive* a_ = nullptr;
    Hasher hasher_;
    std::exception_ptr err_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
    size_t entries_ = 0;
};

// An overlay upper dir: everything in it is a change.
void walkOverlay(const std::string& dir, const std::string& rel, std::vector<Node>& out) {
    struct Item {
        std::string emit, name;
        struct stat st;
    };
    std::vector<Item> items;
    for (auto& [name, st] : listDir(dir)) {
        bool wh = S_ISCHR(st.st_mode) && st.st_rdev == 0;
        if (S_ISSOCK(st.st_mode)) continue;
        items.push_back({wh ? kWhiteoutPrefix + name : name, name, st});
    }
    std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.emit < b.emit; });
    for (auto& it : items) {
        Node n;
        n.rel = joinRel(rel, it.emit);
        if (it.emit != it.name) {
            n.kind = Node::Whiteout;
            out.push_back(std::move(n));
            continue;
        }
        n.abs = dir + "/" + it.name;
        n.st = it.st;
        out.push_back(n);
        if (!S_ISDIR(it.st.st_mode)) continue;
        if (isOpaque(n.abs)) {
            Node o;
            o.kind = Node::Opaque;
            o.rel = joinRel(n.rel, kOpaqueMarker);
            out.push_back(std::move(o));
        }
        walkOverlay(n.abs, n.rel, out);
    }
}

bool sameMeta(const struct stat& a, const struct stat& b, const std::string& pa, const std::string& pb) {
    if ((a.st_mode & S_IFMT) != (b.st_mode & S_IFMT) || (a.st_mode & 07777) != (b.st_mode & 07777) ||
        a.st_uid != b.st_uid || a.st_gid != b.st_gid || a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
        a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
        return false;
    if (!S_ISDIR(a.st_mode) && (a.st_size != b.st_size || a.st_nlink != b.st_nlink)) return false;
    if ((S_ISCHR(a.st_mode) || S_ISBLK(a.st_mode)) && a.st_rdev != b.st_rdev) return false;
    if (S_ISLNK(a.st_mode) && readLink(pa) != readLink(pb)) return false;
    return readXattrs(pa) == readXattrs(pb);
}

// `dir` (the layer) against `parent` ("" = no such directory in the parent). Returns
// whether anything below `dir` was written.
bool walkTree(const std::string& dir, const std::string& parent, const std::string& rel, std::vector<Node>& out) {
    struct Item {
        std::string emit, name;
        struct stat st;
        std::optional<struct stat> pst;
    };
    std::vector<Item> items;
    std::map<std::string, struct stat> lower;
    if (!parent.empty())
        for (auto& [name, st] : listDir(parent)) lower.emplace(name, st);
    for (auto& [name, st] : listDir(dir)) {
        if (S_ISSOCK(st.st_mode)) continue;
        Item it{name, name, st, std::nullopt};
        if (auto l = lower.find(name); l != lower.end()) {
            it.pst = l->second;
            lower.erase(l);
        }
        items.push_back(std::move(it));
    }
    for (auto& [name, st] : lower) items.push_back({kWhiteoutPrefix + name, name, st, std::nullopt});
    std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.emit < b.emit; });
    bool any = false;
    for (auto& it : items) {
        Node n;
        n.rel = joinRel(rel, it.emit);
        if (it.emit != it.name) {
            n.kind = Node::Whiteout;
            out.push_back(std::move(n));
            any = true;
            continue;
        }
        n.abs = dir + "/" + it.name;
        n.st = it.st;
        std::string pabs = parent.empty() ? std::string() : parent + "/" + it.name;
        bool changed = !it.pst || !sameMeta(it.st, *it.pst, n.abs, pabs);
        if (!S_ISDIR(it.st.st_mode)) {
            if (changed) {
                out.push_back(std::move(n));
                any = true;
            }
            continue;
        }
        out.push_back(n);
        bool below = walkTree(n.abs, it.pst && S_ISDIR(it.pst->st_mode) ? pabs : std::string(), n.rel, out);
        if (!changed && !below)
            out.pop_back();  // nothing was added after it
        else
            any = true;
    }
    return any;
}

LayerTarResult writeNodes(const std::vector<Node>& nodes, const WriteFn& out) {
    TarOut tar(out);
    for (auto& n : nodes) tar.add(n);
    return tar.finish();
}

}  // namespace

LayerTarResult writeOverlayDiff(const std::string& diffDir, const WriteFn& out) {
    std::vector<Node> nodes;
    walkOverlay(diffDir, "", nodes);
    return writeNodes(nodes, out);
}

LayerTarResult writeTreeDiff(const std::string& parentDir, const std::string& layerDir, const WriteFn& out) {
    std::vector<Node> nodes;
    walkTree(layerDir, parentDir, "", nodes);
    return writeNodes(nodes, out);
}

}  // namespace hutch::storage
