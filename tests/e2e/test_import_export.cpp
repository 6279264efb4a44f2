// e2e: `hutch export` (a container's root filesystem as one tar) and `hutch import` (a root
// filesystem tar, plain or compressed, from a file or stdin, as a one-layer image), and the
// round trip between them; bad input names the file, a failed export clobbers nothing.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace hutch::e2e;
using nlohmann::json;

TEST_CASE("e2e: export a container, import the tar (plain, gzip, stdin) and run it", "[e2e][import]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    Result made = sb.hutch({"run", "--name", "src", "busybox", "sh", "-c", "echo exported > /hello.txt && rm /bin/vi"});
    REQUIRE_RC(made, 0);
    const std::string tar = (sb.dir() / "src.tar").string();
    Result ex = sb.hutch({"export", "-o", tar, "src"});
    REQUIRE_RC(ex, 0);
    const std::string listing = hostCommand("tar -tvf " + tar);
    CHECK(contains(listing, " hello.txt\n"));
    CHECK_FALSE(contains(listing, " bin/vi\n"));  // deleted in the container: not in its rootfs
    CHECK(contains(listing, " bin/busybox\n"));

    Result im = sb.hutch({"import", "-c", "CMD [\"cat\", \"/hello.txt\"]", "-m", "from e2e", tar, "imported:1"});
    REQUIRE_RC(im, 0);
    const std::string id = lastLine(im.out);
    REQUIRE(id.rfind("sha256:", 0) == 0);
    CHECK(isHexId(id.substr(7)));
    CHECK(contains(im.err, "Writing manifest to image destination"));
    Result run = sb.hutch({"run", "--rm", "imported:1"});  // the CMD from -c
    CHECK_R(run, (run.rc == 0 && run.out == "exported\n"));
    Result vi = sb.hutch({"run", "--rm", "imported:1", "ls", "/bin/vi"});
    CHECK_R(vi, vi.rc != 0);
    Result hist = sb.hutch({"history", "--format", "{{.CreatedBy}}|{{.Comment}}", "imported:1"});
    REQUIRE_RC(hist, 0);
    CHECK_R(hist, contains(hist.out, "#(nop) ADD file:"));
    CHECK_R(hist, contains(hist.out, "|from e2e"));
    Result layers = sb.hutch({"image", "inspect", "--format", "{{len .RootFS.Layers}}", "imported:1"});
    CHECK_R(layers, (layers.rc == 0 && layers.out == "1\n"));

    // gzip-compressed, and from stdin: the same layer (same diffID), the image runs.
    hostCommand("gzip -c " + tar + " > " + tar + ".gz && chmod 644 " + tar + ".gz");
    Result gz = sb.hutch({"import", "-q", tar + ".gz", "imported:gz"});
    REQUIRE_RC(gz, 0);
    CHECK(gz.err.empty());
    RunOptions fromStdin;
    fromStdin.stdinFile = tar;
    Result in = sb.hutch({"import", "-", "imported:stdin"}, fromStdin);
    REQUIRE_RC(in, 0);
    Result l1 = sb.hutch({"image", "inspect", "--format", "{{index .RootFS.Layers 0}}", "imported:1"});
    Result l2 = sb.hutch({"image", "inspect", "--format", "{{index .RootFS.Layers 0}}", "imported:gz"});
    Result l3 = sb.hutch({"image", "inspect", "--format", "{{index .RootFS.Layers 0}}", "imported:stdin"});
    CHECK_R(l2, (l2.rc == 0 && l2.out == l1.out));
    CHECK_R(l3, (l3.rc == 0 && l3.out == l1.out));
    Result run2 = sb.hutch({"run", "--rm", "imported:stdin", "cat", "/hello.txt"});
    CHECK_R(run2, (run2.rc == 0 && run2.out == "exported\n"));

    // A running container exports too (its rootfs stays mounted for it).
    Result bg = sb.hutch({"run", "-d", "--name", "live", "busybox", "sh", "-c", "echo live > /live.txt; sleep 60"});
    REQUIRE_RC(bg, 0);
    Result exLive;
    for (int i = 0; i < 50; ++i) {
        exLive = sb.hutch({"export", "-o", tar + ".live", "live"});
        if (exLive.rc == 0 && contains(hostCommand("tar -tf " + tar + ".live"), "live.txt")) break;
        ::usleep(100 * 1000);
    }
    REQUIRE_RC(exLive, 0);
    CHECK(contains(hostCommand("tar -tf " + tar + ".live"), "live.txt"));
    Result again = sb.hutch({"exec", "live", "cat", "/live.txt"});
    CHECK_R(again, (again.rc == 0 && again.out == "live\n"));
    sb.hutch({"rm", "-f", "-t", "0", "live"});
}

TEST_CASE("e2e: import and export refuse bad input with its name, and clobber nothing", "[e2e][import]") {
    Sandbox sb;
    const std::string junk = (sb.dir() / "junk.txt").string();
    sb.writeFile(junk, "this is not a tar archive\n");
    Result bad = sb.hutch({"import", junk, "junk:1"});
    CHECK_R(bad, bad.rc == 125);
    CHECK_R(bad, contains(bad.err, junk));
    Result missing = sb.hutch({"import", (sb.dir() / "nope.tar").string()});
    CHECK_R(missing, missing.rc == 125);
    CHECK_R(missing, contains(missing.err, "nope.tar"));
    Result images = sb.hutch({"images", "-q"});
    CHECK_R(images, (images.rc == 0 && images.out.empty()));  // nothing half-imported

    // export of a missing container: the existing output file is left as it was.
    const std::string keep = (sb.dir() / "keep.tar").string();
    sb.writeFile(keep, "precious");
    Result ex = sb.hutch({"export", "-o", keep, "no-such-container"});
    CHECK_R(ex, ex.rc == 125);
    CHECK_R(ex, contains(ex.err, "no-such-container"));
    std::ifstream f(keep);
    std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(content == "precious");
}
