#include "hutch/storage/changes.hpp"

#include <cerrno>
#include <set>

#include "hutch/common/error.hpp"

namespace hutch::storage {

namespace {

bool isWhiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

// lstat: the stat, nullopt when absent (ENOENT, ENOTDIR); SysError else.
std::optional<struct stat> lstatMaybe(const std::string& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) return st;
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw SysError(errno, "lstat " + p);
}

// containers/storage's time comparison: equal, or the same second when one has no nanoseconds.
bool sameTime(const struct timespec& a, const struct timespec& b) {
    return (a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec) || (a.tv_sec == b.tv_sec && (a.tv_nsec == 0 || b.tv_nsec == 0));
}

std::string dirOf(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

char changeLetter(ChangeKind k) {
    switch (k) {
        case ChangeKind::Add: return 'A';
        case ChangeKind::Delete: return 'D';
        case ChangeKind::Modify: break;
    }
    return 'C';
}

std::vector<Change> classifyChanges(const std::vector<ChangesetEntry>& entries, const LowerView& lower) {
    std::vector<Change> out;
    std::set<std::string> listedDirs;
    std::vector<std::string> opaqueDirs;  // opaque directories of the changeset above the current entry
    for (const auto& e : entries) {
        while (!opaqueDirs.empty() && e.path.rfind(opaqueDirs.back() + "/", 0) != 0) opaqueDirs.pop_back();
        auto below = [&]() { return opaqueDirs.empty() ? lower(e.path) : std::nullopt; };
        Change c{ChangeKind::Add, e.path};
        if (e.whiteout) {
            c.kind = ChangeKind::Delete;
        } else if (auto l = below()) {
            if (e.opaque && S_ISDIR(e.st.st_mode)) {
                c.kind = ChangeKind::Delete;  // what was there is gone; a new directory took its place
            } else {
                if (S_ISDIR(l->st_mode) && S_ISDIR(e.st.st_mode) && l->st_size == e.st.st_size &&
                    l->st_mode == e.st.st_mode && sameTime(l->st_mtim, e.st.st_mtim)) {
                    if (e.opaque) opaqueDirs.push_back(e.path);
                    continue;
                }
                c.kind = ChangeKind::Modify;
            }
        }
        if (e.opaque) opaqueDirs.push_back(e.path);
        if (!e.whiteout && S_ISDIR(e.st.st_mode)) listedDirs.insert(e.path);
        if (c.kind != ChangeKind::Modify) {
            std::vector<std::string> above;
            for (std::string d = dirOf(e.path); d != "/"; d = dirOf(d))
                if (listedDirs.insert(d).second) above.push_back(d);
            for (auto it = above.rbegin(); it != above.rend(); ++it) out.push_back({ChangeKind::Modify, *it});
        }
        out.push_back(std::move(c));
    }
    return out;
}

LowerView overlayLowerView(std::vector<std::string> lowerDirs) {
    return [dirs = std::move(lowerDirs)](const std::string& path) -> std::optional<struct stat> {
        for (const auto& layer : dirs) {
            bool absent = false, opaqueAbove = false;
            // The directories above `path` in this layer, from the top.
            for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
                std::string p = layer + path.substr(0, pos);
                auto st = lstatMaybe(p);
                if (!st) {
                    absent = true;
                    break;
                }
                if (isWhiteout(*st) || !S_ISDIR(st->st_mode)) return std::nullopt;  // hides what is below
                if (overlayOpaque(p)) opaqueAbove = true;
            }
            if (!absent)
                if (auto st = lstatMaybe(layer + path)) return isWhiteout(*st) ? std::nullopt : st;
            if (opaqueAbove) return std::nullopt;
        }
        return std::nullopt;
    };
}

LowerView treeLowerView(std::string dir) {
    return [dir = std::move(dir)](const std::string& path) -> std::optional<struct stat> {
        if (dir.empty()) return std::nullopt;
        return lstatMaybe(dir + path);
    };
}

}  // namespace hutch::storage
