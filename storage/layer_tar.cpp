#include "hutch/storage/layer_tar.hpp"

#include "hutch/storage/archive_lib.hpp"

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
#include "hutch/common/fswalk.hpp"
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

bool isOpaqueDir(const std::string& path) {
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

// libarchive's pax writer around a WriteFn that also hashes.
class TarOut {
public:
    explicit TarOut(const WriteFn& out, const fsutil::IdShift* unshift = nullptr) : out_(out), unshift_(unshift) {
        if (cLocale_) prevLocale_ = ::uselocale(cLocale_);
        a_ = arc().write_new();
        if (!a_) throw Error("layer tar: archive_write_new failed");
        arc().write_set_format_pax_restricted(a_);
        // xattrs once, as SCHILY.xattr.* (what Go's archive/tar, docker and containers/storage
        // write and read), not also as LIBARCHIVE.xattr.*
        if (arc().write_set_format_option(a_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) fail("xattrheader");
        arc().write_set_bytes_per_block(a_, 10240);
        arc().write_set_bytes_in_last_block(a_, 1);  // no padding after the end marker
        if (arc().write_open(a_, this, nullptr, &TarOut::cb, nullptr) != ARCHIVE_OK) fail("open");
    }
    ~TarOut() {
        if (a_) arc().write_free(a_);
        if (prevLocale_) ::uselocale(prevLocale_);
        if (cLocale_) ::freelocale(cLocale_);
    }
    TarOut(const TarOut&) = delete;
    TarOut& operator=(const TarOut&) = delete;

    void add(const Node& n) {
        archive_entry* e = arc().entry_new();
        struct Free {
            archive_entry* e;
            ~Free() { arc().entry_free(e); }
        } guard{e};
        arc().entry_set_pathname(e, n.rel.c_str());
        if (n.kind != Node::Fs) {
            arc().entry_set_filetype(e, AE_IFREG);
            arc().entry_set_perm(e, 0);
            arc().entry_set_uid(e, 0);
            arc().entry_set_gid(e, 0);
            arc().entry_set_mtime(e, 0, 0);
            arc().entry_set_size(e, 0);
            header(e, n.rel);
            ++entries_;
            return;
        }
        const struct stat& st = n.st;
        arc().entry_set_perm(e, st.st_mode & 07777);
        auto [uid, gid] = owner(st, n.rel);
        arc().entry_set_uid(e, uid);
        arc().entry_set_gid(e, gid);
        arc().entry_set_mtime(e, st.st_mtim.tv_sec, 0);
        for (auto& [k, v] : readXattrs(n.abs)) arc().entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
        std::optional<UniqueFd> data;
        switch (st.st_mode & S_IFMT) {
            case S_IFREG: {
                arc().entry_set_filetype(e, AE_IFREG);
                if (st.st_nlink > 1) {
                    auto [it, fresh] = links_.try_emplace({st.st_dev, st.st_ino}, n.rel);
                    if (!fresh) {
                        arc().entry_set_hardlink(e, it->second.c_str());
                        arc().entry_set_size(e, 0);
                        break;
                    }
                }
                arc().entry_set_size(e, static_cast<la_int64_t>(st.st_size));
                data.emplace(::open(n.abs.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
                if (!*data) throw SysError(errno, "open " + n.abs);
                break;
            }
            case S_IFDIR: arc().entry_set_filetype(e, AE_IFDIR); break;
            case S_IFLNK:
                arc().entry_set_filetype(e, AE_IFLNK);
                arc().entry_set_symlink(e, readLink(n.abs).c_str());
                break;
            case S_IFCHR:
            case S_IFBLK:
                arc().entry_set_filetype(e, S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
                arc().entry_set_rdevmajor(e, major(st.st_rdev));
                arc().entry_set_rdevminor(e, minor(st.st_rdev));
                break;
            case S_IFIFO: arc().entry_set_filetype(e, AE_IFIFO); break;
            default: return;  // sockets: the walkers skip them already
        }
        header(e, n.rel);
        ++entries_;
        if (data) copyData(data->get(), static_cast<uint64_t>(st.st_size), n.abs);
    }

    LayerTarResult finish() {
        if (arc().write_close(a_) != ARCHIVE_OK) fail("close");
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
        int rc = arc().write_header(a_, e);
        if (rc == ARCHIVE_WARN) {
            const char* m = arc().error_string(a_);
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
            if (arc().write_data(a_, buf.data(), static_cast<size_t>(n)) < 0) fail("data of " + path);
            size -= static_cast<uint64_t>(n);
        }
    }

    [[noreturn]] void fail(const std::string& what) {
        if (err_) std::rethrow_exception(err_);
        const char* m = arc().error_string(a_);
        throw Error("writing the layer tar (" + what + "): " + (m ? m : "libarchive error"));
    }

    static la_ssize_t cb(archive* a, void* ctx, const void* buf, size_t n) {
        auto* self = static_cast<TarOut*>(ctx);
        try {
            self->hasher_.update(buf, n);
            self->out_(buf, n);
        } catch (...) {
            self->err_ = std::current_exception();
            arc().set_error(a, EIO, "the output failed");
            return -1;
        }
        return static_cast<la_ssize_t>(n);
    }

    // The owner written for `st`: its own, or mapped back to the container's ids.
    std::pair<uint32_t, uint32_t> owner(const struct stat& st, const std::string& rel) const {
        if (!unshift_) return {st.st_uid, st.st_gid};
        auto u = unshift_->uids.empty() ? std::optional<uint32_t>(st.st_uid) : mapToContainer(unshift_->uids, st.st_uid);
        auto g = unshift_->gids.empty() ? std::optional<uint32_t>(st.st_gid) : mapToContainer(unshift_->gids, st.st_gid);
        if (!u || !g)
            throw Error("/" + rel + " is owned by " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) +
                        ", which the container's id mapping does not reach");
        return {*u, *g};
    }

    const WriteFn& out_;
    const fsutil::IdShift* unshift_;
    // This thread's locale while the archive is written: "C" whatever LANG says.
    locale_t cLocale_ = ::newlocale(LC_ALL_MASK, "C", nullptr);
    locale_t prevLocale_ = nullptr;
    archive* a_ = nullptr;
    Hasher hasher_;
    std::exception_ptr err_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
    size_t entries_ = 0;
};

// The walks below record what to write as compact nodes (a name and the index of the
// directory node holding it), then writeNodes() writes them in that (depth-first) order.
// Both hold one directory fd per tree whatever the depth (fsutil::DirCursor) and keep an
// explicit stack instead of recursing; the paths handed to TarOut are /proc/self/fd paths
// of the open directory, so no path length limit applies either.
constexpr size_t kNoParent = static_cast<size_t>(-1);

struct WalkNode {
    Node::Kind kind = Node::Fs;
    size_t parent = kNoParent;  // index of the directory node holding it; kNoParent = the root
    size_t depth = 1;           // 1 for the root's own entries
    std::string name;           // the real name (Fs only)
    std::string emit;           // the name in the tar
    struct stat st {};
};

// An entry of a directory about to be walked, under the name it gets in the tar.
struct Item {
    std::string emit, name;
    struct stat st;
    std::optional<struct stat> pst;  // walkTree: the same name in the parent tree
};

void sortByEmit(std::vector<Item>& items) {
    std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.emit < b.emit; });
}

// An overlay upper dir: everything in it is a change.
std::vector<WalkNode> walkOverlay(const std::string& root) {
    std::vector<WalkNode> out;
    fsutil::DirCursor cur(root);
    auto items = [&cur] {
        std::vector<Item> v;
        for (auto& e : fsutil::listDir(cur.fd(), cur.shown(), false)) {
            if (S_ISSOCK(e.st.st_mode)) continue;
            bool wh = S_ISCHR(e.st.st_mode) && e.st.st_rdev == 0;
            v.push_back({wh ? kWhiteoutPrefix + e.name : e.name, e.name, e.st, std::nullopt});
        }
        sortByEmit(v);
        return v;
    };
    struct Frame {
        std::vector<Item> items;
        size_t next = 0;
        size_t node = kNoParent;
    };
    std::vector<Frame> stack;
    stack.push_back({items(), 0, kNoParent});
    while (!stack.empty()) {
        if (stack.back().next == stack.back().items.size()) {
            stack.pop_back();
            if (!stack.empty()) cur.up();
            continue;
        }
        const size_t depth = stack.size(), parent = stack.back().node;
        Item it = stack.back().items[stack.back().next++];
        WalkNode n{Node::Fs, parent, depth, it.name, it.emit, it.st};
        if (it.emit != it.name) {
            n.kind = Node::Whiteout;
            out.push_back(std::move(n));
            continue;
        }
        out.push_back(std::move(n));
        if (!S_ISDIR(it.st.st_mode)) continue;
        const size_t self = out.size() - 1;
        if (isOpaqueDir(fsutil::fdPath(cur.fd(), it.name)))
            out.push_back(WalkNode{Node::Opaque, self, depth + 1, "", kOpaqueMarker, {}});
        cur.down(it.name, &it.st);
        stack.push_back({items(), 0, self});
    }
    return out;
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

// The tree `layer` against the tree `parent` ("" = no parent): what changed, the
// directories above it, and a whiteout for the topmost path of each removed subtree. A
// directory node is dropped again when neither it nor anything below it changed (it is
// then the last node: nothing was added after it).
std::vector<WalkNode> walkTree(const std::string& layer, const std::string& parent) {
    std::vector<WalkNode> out;
    fsutil::DirCursor cur(layer);
    std::optional<fsutil::DirCursor> low;  // at the same directory of `parent`, while it has one
    if (!parent.empty()) low.emplace(parent);
    struct Frame {
        std::vector<Item> items;
        size_t next = 0;
        size_t node = kNoParent;
        bool inParent = false;  // `low` followed into this directory
        bool changed = false;   // the directory itself is a change
        bool any = false;       // something below it was written
    };
    auto items = [&](bool inParent) {
        std::vector<Item> v;
        std::map<std::string, struct stat> lower;
        if (inParent)
            for (auto& e : fsutil::listDir(low->fd(), low->shown(), false)) lower.emplace(e.name, e.st);
        for (auto& e : fsutil::listDir(cur.fd(), cur.shown(), false)) {
            if (S_ISSOCK(e.st.st_mode)) continue;
            Item it{e.name, e.name, e.st, std::nullopt};
            if (auto l = lower.find(e.name); l != lower.end()) {
                it.pst = l->second;
                lower.erase(l);
            }
            v.push_back(std::move(it));
        }
        for (auto& [name, st] : lower) v.push_back({kWhiteoutPrefix + name, name, st, std::nullopt});
        sortByEmit(v);
        return v;
    };
    std::vector<Frame> stack;
    stack.push_back({items(low.has_value()), 0, kNoParent, low.has_value(), false, false});
    while (!stack.empty()) {
        if (stack.back().next == stack.back().items.size()) {
            Frame done = std::move(stack.back());
            stack.pop_back();
            if (stack.empty()) break;
            cur.up();
            if (done.inParent) low->up();
            if (!done.changed && !done.any)
                out.pop_back();  // the directory's own node, nothing was added after it
            else
                stack.back().any = true;
            continue;
        }
        Frame& f = stack.back();
        const size_t depth = stack.size();
        Item it = f.items[f.next++];
        WalkNode n{Node::Fs, f.node, depth, it.name, it.emit, it.st};
        if (it.emit != it.name) {
            n.kind = Node::Whiteout;
            out.push_back(std::move(n));
            f.any = true;
            continue;
        }
        bool changed = !it.pst || !sameMeta(it.st, *it.pst, fsutil::fdPath(cur.fd(), it.name),
                                            fsutil::fdPath(low->fd(), it.name));
        if (!S_ISDIR(it.st.st_mode)) {
            if (changed) {
                out.push_back(std::move(n));
                f.any = true;
            }
            continue;
        }
        out.push_back(std::move(n));
        const size_t self = out.size() - 1;
        bool inParent = it.pst && S_ISDIR(it.pst->st_mode);
        cur.down(it.name, &it.st);
        if (inParent) low->down(it.name, &*it.pst);
        stack.push_back({items(inParent), 0, self, inParent, changed, false});
    }
    return out;
}

// Writes `nodes` (of the tree at `root`) in order, the cursor following them: each entry is
// read through /proc/self/fd/<its directory>/<name>.
LayerTarResult writeNodes(const std::string& root, const std::vector<WalkNode>& nodes, const WriteFn& out,
                          const fsutil::IdShift* unshift = nullptr) {
    TarOut tar(out, unshift);
    fsutil::DirCursor cur(root);
    std::vector<size_t> chain;  // the directory nodes the cursor is in, below the root
    std::string rel;            // their path
    std::vector<size_t> relLens;
    auto up = [&] {
        cur.up();
        chain.pop_back();
        rel.resize(relLens.back());
        relLens.pop_back();
    };
    for (const auto& w : nodes) {
        // Depth-first order: the parent is a directory the cursor is in, or the directory node
        // written last (entered now).
        while (chain.size() > w.depth - 1) up();
        if (w.parent != kNoParent && !chain.empty() && chain.size() == w.depth - 1 && chain.back() != w.parent) up();
        if (chain.size() + 1 == w.depth - 1) {
            const WalkNode& p = nodes[w.parent];
            cur.down(p.name, &p.st);
            chain.push_back(w.parent);
            relLens.push_back(rel.size());
            rel = joinRel(rel, p.name);
        }
        if (chain.size() != w.depth - 1 || (w.parent != kNoParent && chain.back() != w.parent))
            throw Error("internal: layer tar nodes out of order at " + joinRel(rel, w.emit));
        Node n;
        n.kind = w.kind;
        n.rel = joinRel(rel, w.emit);
        if (w.kind == Node::Fs) {
            n.abs = fsutil::fdPath(cur.fd(), w.name);
            n.st = w.st;
        }
        tar.add(n);
    }
    return tar.finish();
}

}  // namespace

LayerTarResult writeOverlayDiff(const std::string& diffDir, const WriteFn& out, const fsutil::IdShift* unshift) {
    return writeNodes(diffDir, walkOverlay(diffDir), out, unshift);
}

LayerTarResult writeTreeDiff(const std::string& parentDir, const std::string& layerDir, const WriteFn& out,
                             const fsutil::IdShift* unshift) {
    return writeNodes(layerDir, walkTree(layerDir, parentDir), out, unshift);
}

namespace {

// The walk's nodes as changeset entries: paths rebuilt from the parent links, opaque markers
// folded into their directory, and each directory's entries re-sorted by their real names.
std::vector<ChangesetEntry> toChangeset(const std::vector<WalkNode>& nodes) {
    std::vector<std::string> paths(nodes.size());
    std::vector<std::vector<size_t>> children(nodes.size());
    std::vector<size_t> top;
    std::vector<bool> opaque(nodes.size(), false);
    for (size_t i = 0; i < nodes.size(); ++i) {
        const WalkNode& n = nodes[i];
        if (n.kind == Node::Opaque) {
            if (n.parent != kNoParent) opaque[n.parent] = true;
            continue;
        }
        paths[i] = (n.parent == kNoParent ? std::string() : paths[n.parent]) + "/" + n.name;
        (n.parent == kNoParent ? top : children[n.parent]).push_back(i);
    }
    auto byName = [&](size_t a, size_t b) { return nodes[a].name < nodes[b].name; };
    std::vector<ChangesetEntry> out;
    std::vector<std::pair<const std::vector<size_t>*, size_t>> stack;
    std::sort(top.begin(), top.end(), byName);
    stack.emplace_back(&top, 0);
    while (!stack.empty()) {
        auto& [list, next] = stack.back();
        if (next == list->size()) {
            stack.pop_back();
            continue;
        }
        size_t i = (*list)[next++];
        ChangesetEntry e;
        e.path = paths[i];
        e.whiteout = nodes[i].kind == Node::Whiteout;
        e.opaque = opaque[i];
        if (!e.whiteout) e.st = nodes[i].st;
        out.push_back(std::move(e));
        if (!children[i].empty()) {
            std::sort(children[i].begin(), children[i].end(), byName);
            stack.emplace_back(&children[i], 0);
        }
    }
    return out;
}

}  // namespace

std::vector<ChangesetEntry> overlayChangeset(const std::string& diffDir) { return toChangeset(walkOverlay(diffDir)); }

std::vector<ChangesetEntry> treeChangeset(const std::string& parentDir, const std::string& layerDir) {
    return toChangeset(walkTree(layerDir, parentDir));
}

bool overlayOpaque(const std::string& path) { return isOpaqueDir(path); }

}  // namespace hutch::storage
