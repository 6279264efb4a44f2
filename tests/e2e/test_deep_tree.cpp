// e2e (issue 13): an image with 1,100 nested directories, and 600 levels of 10-char names
// (6,600-byte paths, beyond PATH_MAX; the unit tests go to 5,000 and 100,000 levels), plus a 0000 and a read-only directory: import, run,
// commit, export, rmi and system reset all succeed, on overlay and vfs, and the store stays
// usable. The old code ran out of file descriptors removing it (rmi "Too many open files"),
// after which every command failed.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace hutch::e2e;

namespace {

// Appends the deep trees to the rootfs tar argv[1], writing argv[2] (python3 tarfile, PAX).
const char* kMakeTar = R"PY(
import io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as t, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as o:
    for m in t.getmembers():
        o.addfile(m, t.extractfile(m) if m.isreg() else None)
    def d(name, mode=0o755):
        i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = mode; i.mtime = 1700000000; o.addfile(i)
    def f(name, data, mode=0o644):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; i.mtime = 1700000000; o.addfile(i, io.BytesIO(data))
    p = "deep"; d(p)
    for _ in range(1100):
        p += "/d"; d(p)
    f(p + "/bottom", b"deep bottom\n")
    p = "long"; d(p)
    for i in range(600):
        p += "/%010d" % i; d(p)
    f(p + "/bottom", b"long bottom\n")
    d("locked", 0o000); f("locked/secret", b"x", 0o000)
    d("ro", 0o555); f("ro/file", b"x", 0o444)
)PY";

// Counts the entries below deep/ and long/ of the tar argv[1]: "DEEP LONG".
const char* kCount = R"PY(
import sys, tarfile
n = {"deep/": 0, "long/": 0}
with tarfile.open(sys.argv[1]) as t:
    for m in t:
        for k in n:
            if m.name.startswith(k): n[k] += 1
print(n["deep/"], n["long/"])
)PY";

std::string deepPath(const std::string& leaf) {
    std::string p = "/deep";
    for (int i = 0; i < 1100; ++i) p += "/d";
    return p + "/" + leaf;
}

}  // namespace

TEST_CASE("e2e: an image with thousands of nested directories runs, commits, exports and is removed", "[e2e][deep]") {
    const std::string driver = GENERATE("overlay", "vfs");
    CAPTURE(driver);
    Sandbox sb;
    auto h = [&](std::vector<std::string> args, const RunOptions& o = RunOptions::withTimeout(std::chrono::seconds(300))) {
        args.insert(args.begin(), {"--storage-driver", driver});
        return sb.hutch(args, o);
    };
    auto must = [&](const std::vector<std::string>& args) {
        Result r = h(args);
        REQUIRE_RC(r, 0);
        return r;
    };
    must({"pull", "-q", "busybox"});
    must({"run", "--name", "base", "busybox", "true"});
    const std::string dir = sb.dir().string();
    must({"export", "-o", dir + "/base.tar", "base"});
    must({"rm", "base"});
    sb.writeFile(sb.dir() / "make.py", kMakeTar);
    sb.writeFile(sb.dir() / "count.py", kCount);
    hostCommand("python3 " + dir + "/make.py " + dir + "/base.tar " + dir + "/deep.tar && chmod 644 " + dir + "/deep.tar");

    Result im = h({"import", dir + "/deep.tar", "deep:1"});
    REQUIRE_RC(im, 0);
    Result run = h({"run", "--name", "c1", "deep:1", "sh", "-c",
                    "cat " + deepPath("bottom") + " && echo hi > " + deepPath("new.txt") + " && ls /locked && ls /ro"});
    CHECK_R(run, (run.rc == 0 && run.out == "deep bottom\nsecret\nfile\n"));

    Result commit = h({"commit", "-q", "c1", "deep:2"});
    REQUIRE_RC(commit, 0);
    Result again = h({"run", "--rm", "deep:2", "cat", deepPath("new.txt")});
    CHECK_R(again, (again.rc == 0 && again.out == "hi\n"));

    Result ex = h({"export", "-o", dir + "/out.tar", "c1"});
    REQUIRE_RC(ex, 0);
    hostCommand("chmod 644 " + dir + "/out.tar");
    // deep/: 1,100 directories, bottom, new.txt; long/: 600 directories and bottom.
    CHECK(hostCommand("python3 " + dir + "/count.py " + dir + "/out.tar") == "1102 601\n");

    Result rm = h({"rm", "c1"});
    CHECK_R(rm, rm.rc == 0);
    Result rmi = h({"rmi", "deep:2", "deep:1"});
    CHECK_R(rmi, rmi.rc == 0);
    Result imgs = h({"images", "--format", "{{.Repository}}:{{.Tag}}"});
    CHECK_R(imgs, (imgs.rc == 0 && !contains(imgs.out, "deep")));

    // system reset with the image, a stopped and a running container of it in the store.
    must({"import", "-q", dir + "/deep.tar", "deep:3"});
    must({"run", "--name", "c2", "deep:3", "sh", "-c", "echo x > " + deepPath("more")});
    must({"run", "-d", "--name", "c3", "deep:3", "sleep", "600"});  // running
    Result reset = h({"system", "reset", "-f"});
    CHECK_R(reset, reset.rc == 0);
    Result after = h({"images", "-q"});
    CHECK_R(after, (after.rc == 0 && after.out.empty()));
    Result ps = h({"ps", "-aq"});
    CHECK_R(ps, (ps.rc == 0 && ps.out.empty()));
    // Nothing of the image is left in the graph root, and the store works again.
    CHECK(hostCommand("find " + sb.storageRoot().string() + " -name 0000000000 | wc -l") == "0\n");
    must({"pull", "-q", "busybox"});
    Result ok = h({"run", "--rm", "busybox", "echo", "usable"});
    CHECK_R(ok, (ok.rc == 0 && ok.out == "usable\n"));
}
