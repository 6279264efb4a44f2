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

#include <cstring>
#include <map>
#include <utility>

#include "hutch/common/log.hpp"

namespace hutch::storage::fsops {

int openInRoot(int rootFd, const std::string& rel, int flags, unsigned mode) {
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char* p = rel.empty() ? "." : rel.c_str();
    for (;;) {
        long fd = ::syscall(SYS_openat2, rootFd, p, &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno == EAGAIN || errno == EINTR) continue;  // EAGAIN: concurrent rename, retry
        return -errno;
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
