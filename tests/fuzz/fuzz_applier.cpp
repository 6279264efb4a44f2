// Layer tar applier (storage/applier): applies the input as a layer (gzip, zstd or plain
// tar; an odd input size selects the overlay whiteout format) onto a fresh, empty root, and
// checks that nothing outside that root changed: its parent directory holds only the root
// and a sibling `canary` directory, and the canary directory, its file and the parent keep
// their listing, owner, mode, link count, size, mtime and content. A tar that escapes the
// root (through "..", a symlink or a hardlink) makes the check fail with a message and an
// abort, which libFuzzer reports as a crash.
//
// Run as root, the target first moves into a user namespace mapping ids 0-65535 to
// themselves: owners can be set as in a real pull, but device nodes cannot be created on
// the host (mknod gives EPERM, which the applier skips) and nothing outside is privileged.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "fuzz_util.hpp"
#include "hutch/storage/applier.hpp"

using namespace hutch;

namespace {

std::string gBase;    // <tmp>/hutch-fuzz-applier.XXXXXX
std::string gRoot;    // gBase/root: the layer root, fresh per input
std::string gCanary;  // gBase/canary: must never change
constexpr const char* kCanaryData = "canary: a layer must never write here\n";

struct Snapshot {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    nlink_t nlink;
    off_t size;
    struct timespec mtime;
};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "fuzz_applier: %s\n", msg.c_str());
    std::abort();
}

Snapshot snap(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) die("outside the root: " + path + " is gone (" + std::strerror(errno) + ")");
    return {st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_size, st.st_mtim};
}

bool same(const Snapshot& a, const Snapshot& b) {
    return a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.nlink == b.nlink && a.size == b.size &&
           a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec;
}

std::set<std::string> list(const std::string& dir) {
    std::set<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) die("outside the root: cannot list " + dir + " (" + std::strerror(errno) + ")");
    while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.insert(e->d_name);
    ::closedir(d);
    return names;
}

// Removes `name` in `dirFd` recursively without following symlinks, making directories
// searchable first (a layer may leave a directory with mode 000).
void removeTree(int dirFd, const char* name) {
    if (::unlinkat(dirFd, name, 0) == 0 || errno == ENOENT) return;
    ::fchmodat(dirFd, name, 0700, 0);  // a directory (unlinkat said EISDIR); not a symlink
    int fd = ::openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) die(std::string("cleanup: cannot open ") + name + ": " + std::strerror(errno));
    DIR* d = ::fdopendir(fd);
    while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) removeTree(::dirfd(d), e->d_name);
    ::closedir(d);
    if (::unlinkat(dirFd, name, AT_REMOVEDIR) != 0) die(std::string("cleanup: cannot remove ") + name);
}

Snapshot gCanarySnap, gFileSnap;

void writeFile(const std::string& path, const char* data) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) die("cannot create " + path);
    std::fputs(data, f);
    std::fclose(f);
}

std::string readFile(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) die("outside the root: cannot read " + path);
    std::string s;
    char buf[256];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
}

// As root: enter a new user namespace whose ids 0-65535 are the host's 0-65535. The map is
// written by a child that stays outside (only a process privileged in the parent namespace
// may map more than its own id).
void enterUserNamespace() {
    int p[2];
    if (::pipe(p) != 0) die("pipe");
    pid_t parent = ::getpid();
    pid_t child = ::fork();
    if (child < 0) die("fork");
    if (child == 0) {
        ::close(p[1]);
        char c;
        if (::read(p[0], &c, 1) != 1) ::_exit(1);
        for (const char* map : {"uid_map", "gid_map"}) {
            std::string path = "/proc/" + std::to_string(parent) + "/" + map;
            int fd = ::open(path.c_str(), O_WRONLY);
            if (fd < 0 || ::write(fd, "0 0 65536\n", 10) != 10) ::_exit(2);
            ::close(fd);
        }
        ::_exit(0);
    }
    ::close(p[0]);
    if (::unshare(CLONE_NEWUSER) != 0) die(std::string("unshare(CLONE_NEWUSER): ") + std::strerror(errno));
    if (::write(p[1], "x", 1) != 1) die("pipe write");
    ::close(p[1]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("could not write the user namespace id maps");
}

void cleanupBase() {
    if (!gBase.empty()) removeTree(AT_FDCWD, gBase.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    if (::geteuid() == 0) enterUserNamespace();
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/hutch-fuzz-applier.XXXXXX";
    if (!::mkdtemp(tmpl.data())) die("mkdtemp " + tmpl);
    gBase = tmpl;
    gRoot = gBase + "/root";
    gCanary = gBase + "/canary";
    if (::mkdir(gCanary.c_str(), 0755) != 0) die("mkdir " + gCanary);
    writeFile(gCanary + "/file", kCanaryData);
    gCanarySnap = snap(gCanary);
    gFileSnap = snap(gCanary + "/file");
    std::atexit(cleanupBase);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (::mkdir(gRoot.c_str(), 0755) != 0) die("mkdir " + gRoot + ": " + std::strerror(errno));
    Snapshot baseSnap = snap(gBase);  // after the mkdir, which changes its mtime and link count
    storage::ApplyOptions opts;
    if (size % 2 == 1) {
        opts.whiteouts = storage::WhiteoutFormat::Overlay;
        opts.opaqueXattr = "user.overlay.opaque";
    }
    size_t pos = 0;
    storage::ReadFn read = [&](void* buf, size_t n) {
        size_t k = std::min(n, size - pos);
        std::memcpy(buf, data + pos, k);
        pos += k;
        return k;
    };
    fuzz::expectHutchErrors([&] { (void)storage::applyLayer(gRoot, read, opts); });

    // Nothing outside the root changed.
    if (list(gBase) != std::set<std::string>{"canary", "root"}) die("outside the root: " + gBase + " has new entries");
    if (list(gCanary) != std::set<std::string>{"file"}) die("outside the root: " + gCanary + " has new entries");
    if (!same(snap(gBase), baseSnap)) die("outside the root: " + gBase + " changed (mode, owner or mtime)");
    if (!same(snap(gCanary), gCanarySnap)) die("outside the root: " + gCanary + " changed (mode, owner or mtime)");
    if (!same(snap(gCanary + "/file"), gFileSnap)) die("outside the root: " + gCanary + "/file changed (metadata)");
    if (readFile(gCanary + "/file") != kCanaryData) die("outside the root: " + gCanary + "/file was written");

    removeTree(AT_FDCWD, gRoot.c_str());
    return 0;
}
