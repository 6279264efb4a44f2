// fsutil::writeFileAtomic: the target gets the new content whole, nothing else is left in
// the directory, and a writer killed mid-write leaves the old content and no temp file.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "hutch/common/fsutil.hpp"

using namespace hutch;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
    fs::path path;
    ScratchDir() {
        std::string tmpl = (fs::temp_directory_path() / "hutch-fsutil-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~ScratchDir() { fs::remove_all(path); }
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path().filename().string());
        return out;
    }
};

}  // namespace

TEST_CASE("writeFileAtomic replaces the content and leaves only the target", "[common][fsutil]") {
    ScratchDir d;
    const std::string target = (d.path / "records.json").string();
    fsutil::writeFileAtomic(target, "first", 0600);
    fsutil::writeFileAtomic(target, "second, longer", 0600, fsutil::Sync::Volatile);
    CHECK(fsutil::readFile(target) == "second, longer");
    CHECK(d.entries() == std::vector<std::string>{"records.json"});
    struct stat st{};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == (0600 & ~[] { mode_t m = ::umask(0); ::umask(m); return m; }()));
}

TEST_CASE("writeFileAtomic killed mid-write leaves the old content and no temp file", "[common][fsutil]") {
    ScratchDir d;
    const std::string target = (d.path / "images.json").string();
    fsutil::writeFileAtomic(target, "old", 0644);
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(ready[0]);
        std::string big(size_t(512) << 20, 'x');  // long enough to be killed while writing
        (void)!::write(ready[1], "w", 1);         // writing starts now
        try {
            fsutil::writeFileAtomic(target, big, 0644);
        } catch (...) {
        }
        ::_exit(0);
    }
    ::close(ready[1]);
    char c;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);
    ::usleep(30 * 1000);
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (!WIFSIGNALED(status)) {
        WARN("the writer finished 512 MiB within 30 ms; the kill case did not run");
        return;
    }
    CHECK(fsutil::readFile(target) == "old");
    CHECK(d.entries() == std::vector<std::string>{"images.json"});
}
