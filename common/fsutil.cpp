#include "hutch/common/fsutil.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <vector>
#include <ctime>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/log.hpp"

namespace hutch::fsutil {

std::string readFile(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) throw NotFound(path + ": no such file or directory");
        throw SysError(errno, "open " + path);
    }
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError(errno, "read " + path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

void writeFileAtomic(const std::string& path, std::string_view data, unsigned mode, Sync sync) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    std::string tmp = path + ".tmp-" + str::randomHex(6);
    // The data goes to an unnamed file (O_TMPFILE) that gets a name only once complete, so a
    // writer killed mid-write leaves nothing behind; where O_TMPFILE is not supported, to
    // the temp name directly.
    UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode));
    const bool unnamed = static_cast<bool>(fd);  // `mode` (less the umask) applies either way
    if (!unnamed)
        fd.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd) throw SysError(errno, "create " + tmp);
    auto fail = [&](int e, const std::string& what) {
        if (!unnamed) ::unlink(tmp.c_str());
        throw SysError(e, what);
    };
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(errno, "write " + tmp);
        }
        off += static_cast<size_t>(n);
    }
    if (sync == Sync::Durable && ::fsync(fd.get()) != 0) fail(errno, "fsync " + tmp);
    if (unnamed) {
        std::string self = "/proc/self/fd/" + std::to_string(fd.get());
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0)
            throw SysError(errno, "link " + tmp);
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        throw SysError(e, "rename " + tmp + " to " + path);
    }
    if (sync == Sync::Volatile) return;
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) ::fsync(dfd.get());
}

void mkdirAll(const std::string& path, unsigned mode) {
    if (path.empty()) return;
    std::string cur;
    size_t i = 0;
    if (path[0] == '/') {
        cur = "/";
        i = 1;
    }
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) {
            if (!cur.empty() && cur.back() != '/') cur += '/';
            cur.append(path, i, j - i);
            if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) throw SysError(errno, "mkdir " + cur);
        }
        i = j + 1;
    }
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

std::string join(std::string_view a, std::string_view b) {
    std::string r(a);
    while (!r.empty() && r.back() == '/' && r.size() > 1) r.pop_back();
    while (!b.empty() && b.front() == '/') b.remove_prefix(1);
    if (r.empty()) return std::string(b);
    if (r.back() != '/') r += '/';
    r += b;
    return r;
}

FileLock::FileLock(const std::string& path, Mode mode) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw SysError(errno, "open lock " + path);
    int op = mode == Mode::Shared ? LOCK_SH : LOCK_EX;
    while (::flock(fd_, op) != 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd_);
        fd_ = -1;
        throw SysError(e, "lock " + path);
    }
}

FileLock FileLock::tryLock(const std::string& path, Mode mode) {
    FileLock l;
    l.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (l.fd_ < 0) throw SysError(errno, "open lock " + path);
    int op = (mode == Mode::Shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    if (::flock(l.fd_, op) != 0) {
        ::close(l.fd_);
        l.fd_ = -1;
    }
    return l;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);
}

FileLock::FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
    std::string tmpl = parent + "/" + prefix + "XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw SysError(errno, "create a temporary directory in " + parent);
    lock_ = ::open(tmpl.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_ < 0 || ::flock(lock_, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (lock_ >= 0) ::close(lock_);
        ::rmdir(tmpl.c_str());
        throw SysError(err, "lock " + tmpl);
    }
    path_ = std::move(tmpl);
}

TempDir::~TempDir() {
    try {
        removeAll(path_);
    } catch (const std::exception& e) {
        log::warn("removing {}: {}", path_, e.what());
    }
    ::close(lock_);
}

bool TempDir::abandoned(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return errno == ENOENT;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || ::time(nullptr) - st.st_mtime < 10) return false;
    return ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0;  // released when fd closes
}

void TempDir::removeStale(const std::string& parent, const std::string& prefix) {
    DIR* d = ::opendir(parent.c_str());
    if (!d) return;
    std::vector<std::string> stale;
    const time_t now = ::time(nullptr);
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.rfind(prefix, 0) != 0) continue;
        std::string p = parent + "/" + name;
        UniqueFd fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0 || now - st.st_mtime < 10) continue;
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) stale.push_back(p);
    }
    ::closedir(d);
    for (const auto& p : stale) {
        try {
            removeAll(p);
            log::debug("removed {}, left by an interrupted command", p);
        } catch (const std::exception& ex) {
            log::warn("removing {}: {}", p, ex.what());
        }
    }
}

std::string resolveInRoot(const std::string& root, const std::string& path) {
    std::deque<std::string> rest;
    for (auto& c : str::split(path, '/')) rest.push_back(c);
    std::string cur;  // resolved part, "" or "/a/b"
    int links = 0;
    while (!rest.empty()) {
        std::string c = std::move(rest.front());
        rest.pop_front();
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            auto pos = cur.rfind('/');
            cur = pos == std::string::npos ? "" : cur.substr(0, pos);
            continue;
        }
        std::string cand = cur + "/" + c;
        std::string full = root + cand;
        struct stat st;
        if (::lstat(full.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
            cur = cand;
            continue;
        }
        if (++links > 255) throw SysError(ELOOP, "resolve " + path + " in " + root);
        char buf[4096];
        ssize_t n = ::readlink(full.c_str(), buf, sizeof buf - 1);
        if (n < 0) throw SysError(errno, "readlink " + full);
        std::string target(buf, static_cast<size_t>(n));
        if (!target.empty() && target[0] == '/') cur.clear();
        auto parts = str::split(target, '/');
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) rest.push_front(*it);
    }
    return root + (cur.empty() ? "" : cur);
}

}  // namespace hutch::fsutil

namespace hutch::str {

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t i = 0;
    for (;;) {
        size_t j = s.find(sep, i);
        if (j == std::string_view::npos) {
            out.emplace_back(s.substr(i));
            return out;
        }
        out.emplace_back(s.substr(i, j - i));
        i = j + 1;
    }
}

std::pair<std::string, std::string> cut(std::string_view s, char sep, bool* found) {
    size_t j = s.find(sep);
    if (found) *found = j != std::string_view::npos;
    if (j == std::string_view::npos) return {std::string(s), std::string()};
    return {std::string(s.substr(0, j)), std::string(s.substr(j + 1))};
}

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string r;
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) r += sep;
        r += v[i];
    }
    return r;
}

std::string randomHex(size_t bytes) {
    std::string raw(bytes, '\0');
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError(errno, "getrandom");
        }
        got += static_cast<size_t>(n);
    }
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (unsigned char c : raw) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
    return out;
}

}  // namespace hutch::str
