#include "hutch/storage/fsops.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <map>
#include <utility>

#include "hutch/common/log.hpp"

namespace hutch::storage::fsops {

namespace {

int openat2InRoot(int rootFd, const char* p, int flags, unsigned mode) {
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (;;) {
        long fd = ::syscall(SYS_openat2, rootFd, p, &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == EAGAIN || errno == EINTR) continue;  // EAGAIN: concurrent rename, retry
        return -errno;
    }
}

}  // namespace

int openInRoot(int rootFd, const std::string& rel, int flags, unsigned mode) {
    if (rel.size() < PATH_MAX) return openat2InRoot(rootFd, rel.empty() ? "." : rel.c_str(), flags, mode);
    // openat2 takes at most PATH_MAX bytes: a longer path is resolved in parts, each inside
    // the directory the part before reached (still never outside rootFd; a symlink in a
    // later part is resolved inside that directory).
    UniqueFd at;
    size_t i = 0;
    for (;;) {
        std::string_view rest(rel.data() + i, rel.size() - i);
        if (rest.size() < PATH_MAX) return openat2InRoot(at ? at.get() : rootFd, std::string(rest).c_str(), flags, mode);
        size_t cut = rest.rfind('/', PATH_MAX - 1);
        if (cut == std::string_view::npos || cut == 0) return -ENAMETOOLONG;
        int fd = openat2InRoot(at ? at.get() : rootFd, std::string(rest.substr(0, cut)).c_str(), O_PATH | O_DIRECTORY, 0);
        if (fd < 0) return fd;
        at.reset(fd);
        i += cut + 1;
    }
}

std::vector<std::string> cleanComponents(std::string_view path, bool* escaped) {
    std::vector<std::string> out;
    if (escaped) *escaped = false;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view c = path.substr(i, j - i);
        if (c == "..") {
            if (out.empty()) {
                if (escaped) *escaped = true;
            } else {
                out.pop_back();
            }
        } else if (!c.empty() && c != ".") {
            out.emplace_back(c);
        }
        i = j + 1;
    }
    return out;
}

std::string cleanPath(std::string_view path, bool* escaped) {
    auto c = cleanComponents(path, escaped);
    std::string r;
    for (auto& s : c) {
        if (!r.empty()) r += '/';
        r += s;
    }
    return r;
}

}  // namespace hutch::storage::fsops
