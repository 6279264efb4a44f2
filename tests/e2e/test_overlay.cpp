// e2e: the overlay storage driver, rootless (native overlay in the session's user + mount
// namespace with userxattr): default driver, layer format on disk, the container's view,
// mounts made and released over a detached container's lifecycle, driver mismatch error.
#include "harness.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

using namespace hutch::e2e;

namespace {

// Mounts of the sandbox's overlay store seen in its session mount namespace (the pause
// process's), counted from /proc/PID/mountinfo.
int overlayMounts(const Sandbox& sb) {
    std::ifstream pauseRec(sb.dir() / "run" / "hutch" / "pause.pid");
    long pid = 0;
    if (!(pauseRec >> pid) || pid <= 1) return -1;
    std::ifstream mi("/proc/" + std::to_string(pid) + "/mountinfo");
    std::string line, needle = (sb.storageRoot() / "overlay").string() + "/";
    int n = 0;
    while (std::getline(mi, line))
        if (line.find(needle) != std::string::npos && line.find(" - overlay ") != std::string::npos) ++n;
    return n;
}

// Paths under the store's layer diffs whose relative path is `rel`.
std::vector<fs::path> inDiffs(const Sandbox& sb, const std::string& rel) {
    std::vector<fs::path> out;
    for (auto& e : fs::directory_iterator(sb.storageRoot() / "overlay")) {
        fs::path p = e.path() / "diff" / rel;
        struct stat st;
        if (::lstat(p.c_str(), &st) == 0) out.push_back(p);
    }
    return out;
}

}  // namespace

TEST_CASE("e2e: overlay is the default driver and info reports it", "[e2e][overlay]") {
    Sandbox sb;
    Result info = sb.hutch({"info", "--format", "{{.store.graphDriverName}}"});
    REQUIRE_RC(info, 0);
    CHECK_R(info, lastLine(info.out) == "overlay");
    CHECK(fs::is_directory(sb.storageRoot() / "overlay-layers"));
    CHECK_FALSE(fs::exists(sb.storageRoot() / "vfs-layers"));
    Result yaml = sb.hutch({"info"});
    CHECK_R(yaml, yaml.out.find("graphDriverName: overlay") != std::string::npos);
    CHECK_R(yaml, yaml.out.find("graphDriverReason: recorded in the store (overlay-layers)") != std::string::npos);
}

TEST_CASE("e2e: overlay layers hold whiteouts and opaque dirs rootless, containers see them applied", "[e2e][overlay]") {
    Sandbox sb;
    Result pull = sb.hutch({"--storage-driver", "overlay", "pull", "-q", "layered"});
    REQUIRE_RC(pull, 0);
    // On disk: the layer diffs use overlay's rootless format.
    auto wh = inDiffs(sb, "data/deleteme.txt");
    REQUIRE(wh.size() == 2);  // the file in layer 1, its whiteout in layer 2
    int devices = 0;
    for (auto& p : wh) {
        struct stat st;
        REQUIRE(::lstat(p.c_str(), &st) == 0);
        if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) ++devices;
    }
    CHECK(devices == 1);
    int opaque = 0;
    for (auto& p : inDiffs(sb, "opq")) {
        char v[8];
        ssize_t n = ::lgetxattr(p.c_str(), "user.overlay.opaque", v, sizeof v);
        if (n == 1 && v[0] == 'y') ++opaque;
    }
    CHECK(opaque == 1);

    // In the container: applied, on an overlay root, and writes stay in the container.
    Result r = sb.hutch({"run", "--name", "one", "layered", "sh", "-c",
                         "find /data /opq /again | sort; awk '$2 == \"/\" {print $3}' /proc/mounts; "
                         "echo changed > /data/keep.txt; rm /l3/b; ls -a /data"});
    REQUIRE_RC(r, 0);
    const std::vector<std::string> expected{"/again", "/again/y.txt", "/data", "/data/keep.txt", "/opq",
                                            "/opq/new.txt", "overlay", ".", "..", "keep.txt"};
    CHECK_R(r, lines(r.out) == expected);
    Result two = sb.hutch({"run", "--rm", "layered", "sh", "-c", "cat /data/keep.txt; ls /l3"});
    REQUIRE_RC(two, 0);
    CHECK_R(two, lines(two.out) == std::vector<std::string>{"keep", "a", "b", "link"});
    CHECK(overlayMounts(sb) == 0);  // both exited: nothing left mounted
    Result rm = sb.hutch({"rm", "one"});
    REQUIRE_RC(rm, 0);
    Result rmi = sb.hutch({"rmi", "layered"});
    REQUIRE_RC(rmi, 0);
    CHECK(fs::is_empty(sb.storageRoot() / "overlay" / "l"));  // short links went with their layers
}

TEST_CASE("e2e: overlay run -d, stop, start, rm mount and release the rootfs", "[e2e][overlay]") {
    Sandbox sb;
    Result run = sb.hutch({"run", "-d", "--name", "bg", "busybox", "sh", "-c",
                           "echo x >> /count; trap 'exit 0' TERM; while true; do sleep 0.1; done"});
    REQUIRE_RC(run, 0);
    CHECK(overlayMounts(sb) == 1);
    Result stop = sb.hutch({"stop", "bg"});
    REQUIRE_RC(stop, 0);
    for (int i = 0; i < 50 && overlayMounts(sb) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(overlayMounts(sb) == 0);  // the monitor unmounted after the exit
    Result start = sb.hutch({"start", "bg"});
    REQUIRE_RC(start, 0);
    CHECK(overlayMounts(sb) == 1);
    Result ex = sb.hutch({"exec", "bg", "cat", "/count"});
    REQUIRE_RC(ex, 0);
    CHECK_R(ex, ex.out == "x\nx\n");  // the container's upper layer survived the restart
    Result rm = sb.hutch({"rm", "-f", "bg"});
    REQUIRE_RC(rm, 0);
    CHECK(overlayMounts(sb) == 0);
}

TEST_CASE("e2e: a store keeps its driver, asking for another is a clear error", "[e2e][overlay]") {
    Sandbox sb;
    Result vfs = sb.hutch({"--storage-driver", "vfs", "images"});
    REQUIRE_RC(vfs, 0);
    Result again = sb.hutch({"images"});
    REQUIRE_RC(again, 0);
    Result info = sb.hutch({"info", "--format", "{{.store.graphDriverName}}"});
    CHECK_R(info, lastLine(info.out) == "vfs");
    Result bad = sb.hutch({"--storage-driver", "overlay", "images"});
    REQUIRE_RC(bad, 125);
    CHECK_R(bad, bad.err.find(sb.storageRoot().string()) != std::string::npos);
    CHECK_R(bad, bad.err.find("\"vfs\"") != std::string::npos);
    CHECK_R(bad, bad.err.find("\"overlay\"") != std::string::npos);
    Result run = sb.hutch({"run", "--rm", "busybox", "echo", "vfs-ok"});
    REQUIRE_RC(run, 0);
    CHECK_R(run, lastLine(run.out) == "vfs-ok");
}

TEST_CASE("e2e: storage.conf in the user's config dir chooses the driver, flags win", "[e2e][overlay]") {
    Sandbox sb;
    sb.writeFile(sb.configHome() / "containers" / "storage.conf", "[storage]\ndriver = \"vfs\"\n");
    Result info = sb.hutch({"info", "--format", "{{.store.graphDriverName}} {{.store.configFile}}"});
    REQUIRE_RC(info, 0);
    CHECK_R(info, lastLine(info.out) == "vfs " + (sb.configHome() / "containers" / "storage.conf").string());
    Result bad = sb.hutch({"--storage-driver", "overlay", "info"});  // the flag wins: mismatch with the store
    CHECK_R(bad, bad.rc == 125);
    sb.writeFile(sb.configHome() / "containers" / "storage.conf", "[storage]\ndriver = 1\n");
    Result typo = sb.hutch({"images"});
    REQUIRE_RC(typo, 125);
    CHECK_R(typo, typo.err.find("storage.conf:2: storage.driver must be a string") != std::string::npos);
}
