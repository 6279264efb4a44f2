// e2e: `hutch cp` (podman-cp(1)): host <-> container and container <-> container, running
// and exited containers, podman's path rules and errors, tar streams on stdin/stdout,
// --archive owners through the container's id mapping, --overwrite, volumes and mounts,
// and symlinks planted in a container that must never lead outside its root.
// The cases tagged [podman-ref] state podman 4.3's behaviour (the podman-shim run passes).
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace hutch::e2e;

namespace {

/// mkdir -p as the sandbox user.
void mkdirAs(const Sandbox& sb, const fs::path& p) { hostCommand("runuser -u " + sb.user() + " -- mkdir -p '" + p.string() + "'"); }

std::string readHost(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

/// `hutch exec NAME sh -c CMD`, REQUIREd to succeed; its stdout.
std::string sh(const Sandbox& sb, const std::string& name, const std::string& cmd) {
    Result r = sb.hutch({"exec", name, "sh", "-c", cmd});
    REQUIRE_RC(r, 0);
    return r.out;
}

/// `hutch cp ARGS...` REQUIREd to succeed.
void cpOk(const Sandbox& sb, const std::vector<std::string>& args, const RunOptions& opt = {}) {
    std::vector<std::string> a{"cp"};
    a.insert(a.end(), args.begin(), args.end());
    Result r = sb.hutch(a, opt);
    REQUIRE_RC(r, 0);
}

/// An exited container made by `run --name NAME busybox sh -c CMD`.
void exited(const Sandbox& sb, const std::string& name, const std::string& cmd, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> a{"run", "--name", name};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"busybox", "sh", "-c", cmd});
    Result r = sb.hutch(a);
    REQUIRE_RC(r, 0);
}

}  // namespace

TEST_CASE("e2e: cp host -> container, podman's destination rules, running and exited", "[e2e][cp][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    const fs::path src = sb.dir() / "src";
    sb.writeFile(src / "hostfile0", "content-0\n");
    sb.writeFile(src / "hostfile1", "content-1\n");
    sb.writeFile(src / "dir" / "sub" / "f", "in-dir\n");
    // -w: a directory the image has (podman 4.3 refuses a missing one).
    runDetached(sb, {"--name", "run1", "-w", "/home", "busybox", "sleep", "600"});
    sh(sb, "run1", "mkdir -p /home/subdir");

    // destination as given -> where the file lands (relative paths: the working directory).
    const std::vector<std::pair<std::string, std::string>> table = {
        {"/", "/hostfile0"},
        {"/anotherbase.txt", "/anotherbase.txt"},
        {"/tmp", "/tmp/hostfile0"},
        {"/tmp/.", "/tmp/hostfile0"},
        {"/tmp/new.txt", "/tmp/new.txt"},
        {".", "/home/hostfile0"},
        {"rel.txt", "/home/rel.txt"},
        {"subdir", "/home/subdir/hostfile0"},
    };
    for (const auto& [dest, landed] : table) {
        INFO("cp hostfile0 run1:" << dest);
        cpOk(sb, {(src / "hostfile0").string(), "run1:" + dest});
        CHECK(sh(sb, "run1", "cat " + landed + " && rm " + landed) == "content-0\n");
    }
    // A file onto an existing file replaces its content.
    sh(sb, "run1", "echo old > /tmp/existing");
    cpOk(sb, {(src / "hostfile1").string(), "run1:/tmp/existing"});
    CHECK(sh(sb, "run1", "cat /tmp/existing") == "content-1\n");

    // Directories: into an existing one, as a new one, and DIR/. (its content).
    cpOk(sb, {(src / "dir").string(), "run1:/tmp"});
    cpOk(sb, {(src / "dir").string() + "/", "run1:/newdir1"});
    cpOk(sb, {(src / "dir").string() + "/.", "run1:/home/subdir"});
    cpOk(sb, {(src / "dir").string() + "/.", "run1:/newdir2"});
    CHECK(sh(sb, "run1", "cat /tmp/dir/sub/f /newdir1/sub/f /home/subdir/sub/f /newdir2/sub/f") == "in-dir\nin-dir\nin-dir\nin-dir\n");

    // Errors: missing source (named), destination "DIR/" that does not exist, a directory
    // onto a file, a missing container.
    Result miss = sb.hutch({"cp", (src / "IdoNotExist").string(), "run1:/tmp"});
    CHECK_R(miss, (miss.rc == 125 && contains(miss.err, "Error: \"" + (src / "IdoNotExist").string() + "\" could not be found on the host")));
    Result slash = sb.hutch({"cp", (src / "hostfile0").string(), "run1:/IdoNotExist/"});
    CHECK_R(slash, (slash.rc == 125 && slash.err == "Error: \"/IdoNotExist/\" could not be found on container run1: no such file or directory\n"));
    Result noparent = sb.hutch({"cp", (src / "hostfile0").string(), "run1:/tmp/d2/x"});
    CHECK_R(noparent, (noparent.rc == 125 && contains(noparent.err, "\"/tmp/d2/x\" could not be found on container run1")));
    Result dirOnFile = sb.hutch({"cp", src.string(), "run1:/etc/passwd"});
    CHECK_R(dirOnFile, (dirOnFile.rc == 125 && dirOnFile.err == "Error: destination must be a directory when copying a directory\n"));
    Result nosuch = sb.hutch({"cp", (src / "hostfile0").string(), "nosuch:/tmp"});
    CHECK_R(nosuch, (nosuch.rc == 125 && nosuch.err == "Error: container \"nosuch\" does not exist\n"));

    // An exited container: the copy is there when it starts again.
    exited(sb, "stopped", "cat /tmp/hostfile0 /home/x.txt 2>/dev/null; true", {"-w", "/home"});
    cpOk(sb, {(src / "hostfile0").string(), "stopped:/tmp"});
    cpOk(sb, {(src / "hostfile1").string(), "stopped:x.txt"});
    hutchOk(sb, {"start", "stopped"});
    hutchOk(sb, {"wait", "stopped"});
    Result logs = sb.hutch({"logs", "stopped"});
    CHECK_R(logs, (logs.rc == 0 && logs.out == "content-0\ncontent-1\n"));
    hutchOk(sb, {"rm", "-f", "-t", "0", "run1"});
}

TEST_CASE("e2e: cp container -> host and container -> container, running and exited", "[e2e][cp][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    const std::string setup =
        "mkdir -p /home/subdir && echo c0 > /home/containerfile0 && echo c1 > /home/subdir/containerfile1 && "
        "ln -s /home /tmp/weirdlink";
    runDetached(sb, {"--name", "src", "-w", "/home", "busybox", "sleep", "600"});
    sh(sb, "src", setup);
    exited(sb, "srcx", setup, {"-w", "/home"});
    runDetached(sb, {"--name", "dst", "busybox", "sleep", "600"});

    for (const std::string c : {"src", "srcx"}) {
        INFO("source container " << c);
        const fs::path out = sb.dir() / ("out-" + c);
        mkdirAs(sb, out);
        cpOk(sb, {c + ":/home/containerfile0", out.string()});         // into a directory
        cpOk(sb, {c + ":subdir/containerfile1", (out / "renamed").string()});  // relative, new name
        cpOk(sb, {c + ":/home", out.string()});                         // a directory
        cpOk(sb, {c + ":/home/.", (out / "content").string()});         // DIR/. onto a new directory
        cpOk(sb, {c + ":/tmp/weirdlink", (out / "vialink").string()});  // a symlinked directory: its target
        CHECK(readHost(out / "containerfile0") == "c0\n");
        CHECK(readHost(out / "renamed") == "c1\n");
        CHECK(readHost(out / "home" / "subdir" / "containerfile1") == "c1\n");
        CHECK(readHost(out / "content" / "containerfile0") == "c0\n");
        CHECK(readHost(out / "vialink" / "subdir" / "containerfile1") == "c1\n");
        // Files written on the host are the caller's.
        CHECK(hostCommand("stat -c %U " + (out / "home" / "subdir" / "containerfile1").string()) == sb.user() + "\n");

        // container -> container (running destination), into a dir and with DIR/.
        cpOk(sb, {c + ":/home/containerfile0", "dst:/tmp/from-" + c});
        cpOk(sb, {c + ":/home/.", "dst:/tmp"});
        CHECK(sh(sb, "dst", "cat /tmp/from-" + c + " /tmp/subdir/containerfile1") == "c0\nc1\n");
    }
    Result dirOnFile = sb.hutch({"cp", "srcx:/home", (sb.dir() / "out-src" / "containerfile0").string()});
    CHECK_R(dirOnFile, (dirOnFile.rc == 125 && contains(dirOnFile.err, "destination must be a directory when copying a directory")));
    Result miss = sb.hutch({"cp", "src:/tmp/*", sb.dir().string()});  // no globbing
    CHECK_R(miss, (miss.rc == 125 && contains(miss.err, "Error: \"/tmp/*\" could not be found on container src")));

    // running -> exited destination: there once it runs.
    exited(sb, "dstx", "cat /tmp/containerfile0 2>/dev/null; true");
    cpOk(sb, {"src:/home/containerfile0", "dstx:/tmp/"});
    hutchOk(sb, {"start", "dstx"});
    hutchOk(sb, {"wait", "dstx"});
    Result logs = sb.hutch({"logs", "dstx"});
    CHECK_R(logs, (logs.rc == 0 && logs.out == "c0\n"));
    hutchOk(sb, {"rm", "-f", "-t", "0", "src", "dst"});
}

TEST_CASE("e2e: cp - (a tar on stdin) into a container, and a container path to stdout as a tar", "[e2e][cp][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    runDetached(sb, {"--name", "c", "busybox", "sleep", "600"});
    const fs::path tree = sb.dir() / "tree";
    sb.writeFile(tree / "d" / "in-tar.txt", "from-tar\n");
    const fs::path tar = sb.dir() / "in.tar";
    hostCommand("tar -C " + tree.string() + " -cf " + tar.string() + " d && gzip -k " + tar.string() + " && chmod 644 " + tar.string() + "*");
    RunOptions in;
    in.stdinFile = tar.string();
    cpOk(sb, {"-", "c:/tmp"}, in);
    in.stdinFile = tar.string() + ".gz";  // compressed works too
    sh(sb, "c", "mkdir /srv");
    cpOk(sb, {"-", "c:/srv"}, in);
    CHECK(sh(sb, "c", "cat /tmp/d/in-tar.txt /srv/d/in-tar.txt") == "from-tar\nfrom-tar\n");

    in.stdinFile = (tree / "d" / "in-tar.txt").string();
    Result notTar = sb.hutch({"cp", "-", "c:/tmp"}, in);
    CHECK_R(notTar, (notTar.rc == 125 && notTar.err == "Error: source must be a (compressed) tar archive when copying from stdin\n"));
    in.stdinFile = tar.string();
    sh(sb, "c", "touch /tmp/file.txt");
    Result ontoFile = sb.hutch({"cp", "-", "c:/tmp/file.txt"}, in);
    CHECK_R(ontoFile, (ontoFile.rc == 125 && ontoFile.err == "Error: destination must be a directory when copying from stdin\n"));
    Result absent = sb.hutch({"cp", "-", "c:/tmp/IdoNotExist"}, in);
    CHECK_R(absent, (absent.rc == 125 && absent.err == "Error: destination must be a directory when copying from stdin\n"));

    // To stdout: a file by its name, a directory with its name.
    sh(sb, "c", "echo rand > /tmp/file.txt && touch /tmp/empty.txt");
    Result one = sb.hutch({"cp", "c:/tmp/file.txt", "-"});
    REQUIRE_RC(one, 0);
    const fs::path outTar = sb.dir() / "out.tar";
    { std::ofstream(outTar) << one.out; }
    CHECK(hostCommand("tar -tf " + outTar.string()) == "file.txt\n");
    CHECK(hostCommand("tar -xOf " + outTar.string() + " file.txt") == "rand\n");
    Result dir = sb.hutch({"cp", "c:/tmp", "-"});
    REQUIRE_RC(dir, 0);
    { std::ofstream(outTar) << dir.out; }
    CHECK(hostCommand("tar -xOf " + outTar.string() + " tmp/file.txt") == "rand\n");
    CHECK(contains(hostCommand("tar -tf " + outTar.string()), "tmp/empty.txt\n"));
    hutchOk(sb, {"rm", "-f", "-t", "0", "c"});
}

TEST_CASE("e2e: cp --archive chowns to the container's user, --archive=false keeps the tar's owners", "[e2e][cp][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    sb.writeFile(sb.dir() / "hostfile", "x\n");
    runDetached(sb, {"--name", "u", "--user", "1234:2345", "busybox", "sleep", "600"});
    cpOk(sb, {(sb.dir() / "hostfile").string(), "u:/tmp/hostfile"});
    CHECK(sh(sb, "u", "stat -c %u:%g /tmp/hostfile") == "1234:2345\n");

    const fs::path t = sb.dir() / "t";
    sb.writeFile(t / "a.txt", "");
    hostCommand("tar -C " + t.string() + " --owner=1042 --group=1043 -cf " + (sb.dir() / "a.tar").string() +
                " a.txt && chmod 644 " + (sb.dir() / "a.tar").string());
    RunOptions in;
    in.stdinFile = (sb.dir() / "a.tar").string();
    cpOk(sb, {"-a=false", "-", "u:/tmp/"}, in);
    CHECK(sh(sb, "u", "stat -c %u:%g /tmp/a.txt") == "1042:1043\n");
    cpOk(sb, {"--archive=false", (sb.dir() / "hostfile").string(), "u:/tmp/mine"});  // the caller's file: container root
    CHECK(sh(sb, "u", "stat -c %u:%g /tmp/mine") == "0:0\n");

    // A container with its own id mapping: container root is the first subordinate id on
    // the host, and a copied file is the container's root inside, that id outside.
    runDetached(sb, {"--name", "m", "--uidmap", "0:1:65536", "--gidmap", "0:1:65536", "busybox", "sleep", "600"});
    cpOk(sb, {(sb.dir() / "hostfile").string(), "m:/tmp/hostfile"});
    CHECK(sh(sb, "m", "stat -c %u:%g /tmp/hostfile") == "0:0\n");
    Result pid = sb.hutch({"inspect", "--format", "{{.State.Pid}}", "m"});
    REQUIRE_RC(pid, 0);
    const std::string sub = hostCommand("awk -F: '$1==\"" + sb.user() + "\"{print $2; exit}' /etc/subuid");
    CHECK(hostCommand("stat -c %u /proc/" + lastLine(pid.out) + "/root/tmp/hostfile") == sub);
    hutchOk(sb, {"rm", "-f", "-t", "0", "u", "m"});
}

TEST_CASE("e2e: cp --overwrite lets a file replace a directory and the other way round", "[e2e][cp][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    runDetached(sb, {"--name", "f", "busybox", "sleep", "600"});
    runDetached(sb, {"--name", "d", "busybox", "sleep", "600"});
    sh(sb, "f", "echo file > /tmp/foo");
    sh(sb, "d", "mkdir /tmp/foo && echo dir > /tmp/foo/file.txt");

    Result noOver = sb.hutch({"cp", "f:/tmp/foo", "d:/tmp"});
    CHECK_R(noOver, (noOver.rc == 125 && contains(noOver.err, "error creating \"/tmp/foo\": ") && contains(noOver.err, "file exists")));
    CHECK(sh(sb, "d", "cat /tmp/foo/file.txt") == "dir\n");  // untouched
    cpOk(sb, {"--overwrite", "f:/tmp/foo", "d:/tmp"});
    CHECK(sh(sb, "d", "cat /tmp/foo") == "file\n");

    sh(sb, "d", "rm -rf /tmp/foo && mkdir /tmp/foo && echo dir > /tmp/foo/file.txt");
    Result noOver2 = sb.hutch({"cp", "d:/tmp/foo", "f:/tmp"});
    CHECK_R(noOver2, (noOver2.rc == 125 && contains(noOver2.err, "error creating \"/tmp/foo\": ") && contains(noOver2.err, "file exists")));
    cpOk(sb, {"--overwrite", "d:/tmp/foo", "f:/tmp"});
    CHECK(sh(sb, "f", "cat /tmp/foo/file.txt") == "dir\n");

    // container -> host the same way.
    const fs::path host = sb.dir() / "host";
    mkdirAs(sb, host / "foo");
    Result toHost = sb.hutch({"cp", "f:/tmp/foo/file.txt", (host / "foo").string()});  // a file into a dir: fine
    REQUIRE_RC(toHost, 0);
    sb.writeFile(host / "bar", "hostfile\n");
    sh(sb, "d", "mkdir /tmp/bar && echo dirbar > /tmp/bar/x");
    Result dirOverFile = sb.hutch({"cp", "d:/tmp/bar", host.string()});
    CHECK_R(dirOverFile, (dirOverFile.rc == 125 && contains(dirOverFile.err, "file exists")));
    cpOk(sb, {"--overwrite", "d:/tmp/bar", host.string()});
    CHECK(readHost(host / "bar" / "x") == "dirbar\n");
    hutchOk(sb, {"rm", "-f", "-t", "0", "f", "d"});
}

TEST_CASE("e2e: cp writes into a container's volumes, bind mounts and tmpfs", "[e2e][cp][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    sb.writeFile(sb.dir() / "hostfile", "into-volume\n");
    const fs::path bind = sb.dir() / "bind";
    mkdirAs(sb, bind);
    hutchOk(sb, {"volume", "create", "v1"});
    Result mp = sb.hutch({"volume", "inspect", "--format", "{{.Mountpoint}}", "v1"});
    REQUIRE_RC(mp, 0);
    const std::string v1 = lastLine(mp.out);

    // Exited: the volume's directory and the bind source are written, not the rootfs below.
    exited(sb, "x", "true", {"-v", "v1:/data", "-v", bind.string() + ":/data/bind"});
    cpOk(sb, {(sb.dir() / "hostfile").string(), "x:/data"});
    cpOk(sb, {(sb.dir() / "hostfile").string(), "x:/data/bind/"});
    CHECK(hostCommand("cat " + v1 + "/hostfile") == "into-volume\n");
    CHECK(readHost(bind / "hostfile") == "into-volume\n");

    // Running: a tmpfs mount and the volume, read back both ways.
    runDetached(sb, {"--name", "r", "--mount", "type=tmpfs,dst=/scratch", "-v", "v1:/data", "busybox", "sleep", "600"});
    cpOk(sb, {(sb.dir() / "hostfile").string(), "r:/scratch"});
    CHECK(sh(sb, "r", "cat /scratch/hostfile") == "into-volume\n");
    sh(sb, "r", "echo written-inside > /data/inside");
    const fs::path out = sb.dir() / "out";
    mkdirAs(sb, out);
    cpOk(sb, {"r:/data/inside", out.string()});
    CHECK(readHost(out / "inside") == "written-inside\n");
    hutchOk(sb, {"rm", "-f", "-t", "0", "r", "x"});
}

TEST_CASE("e2e: cp never follows a container's symlinks out of its root", "[e2e][cp]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    // A host directory and file the links name, which the container does not have.
    const std::string tag = uniqueTag();
    const fs::path hostDir = fs::path("/tmp") / ("hutch-cp-" + tag);
    mkdirAs(sb, hostDir);
    sb.writeFile(hostDir / "secret", "HOST SECRET\n");
    struct Cleanup {
        fs::path p;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{hostDir};
    sb.writeFile(sb.dir() / "payload", "payload\n");
    const std::string links = "ln -s / /escape && ln -s ../../../.. /up && ln -s " + hostDir.string() +
                              " /hostlink && mkdir -p /tmp && echo CONTAINER > /etc/marker";

    runDetached(sb, {"--name", "r", "busybox", "sleep", "600"});
    sh(sb, "r", links);
    exited(sb, "x", links + " && ls -la /tmp/");
    for (const std::string c : {"r", "x"}) {
        INFO("container " << c);
        // Writes through /escape land in the container's /tmp.
        cpOk(sb, {(sb.dir() / "payload").string(), c + ":/escape/tmp/x-" + tag});
        cpOk(sb, {(sb.dir() / "payload").string(), c + ":/up/tmp/y-" + tag});
        CHECK_FALSE(fs::exists("/tmp/x-" + tag));
        CHECK_FALSE(fs::exists("/tmp/y-" + tag));
        const fs::path out = sb.dir() / ("out-" + c);
        mkdirAs(sb, out);
        cpOk(sb, {c + ":/escape/tmp/x-" + tag, out.string()});
        CHECK(readHost(out / ("x-" + tag)) == "payload\n");
        // An absolute link to a host path resolves in the container, where it does not exist.
        Result w = sb.hutch({"cp", (sb.dir() / "payload").string(), c + ":/hostlink/secret"});
        CHECK_R(w, w.rc == 125);
        CHECK(readHost(hostDir / "secret") == "HOST SECRET\n");
        Result rd = sb.hutch({"cp", c + ":/hostlink/secret", out.string()});
        CHECK_R(rd, (rd.rc == 125 && contains(rd.err, "could not be found on container " + c)));
        CHECK_FALSE(fs::exists(out / "secret"));
        // ".." above the root stays at the container's root.
        cpOk(sb, {c + ":/up/etc/marker", out.string()});
        CHECK(readHost(out / "marker") == "CONTAINER\n");
        Result up = sb.hutch({"cp", c + ":/up" + hostDir.string() + "/secret", out.string()});  // the host has it
        CHECK_R(up, (up.rc == 125 && contains(up.err, "could not be found on container " + c)));
        CHECK_FALSE(fs::exists(out / "secret"));
    }
    // A tar whose symlink entry points out, then an entry through it: stays inside.
    const fs::path tar = sb.dir() / "evil.tar";
    hostCommand("python3 - <<'EOF'\nimport tarfile, io\nt = tarfile.open('" + tar.string() +
                "', 'w')\nl = tarfile.TarInfo('esc'); l.type = tarfile.SYMTYPE; l.linkname = '/'; t.addfile(l)\n"
                "f = tarfile.TarInfo('esc/tmp/z-" + tag + "'); d = b'tar\\n'; f.size = len(d); t.addfile(f, io.BytesIO(d))\n"
                "t.close()\nEOF\nchmod 644 " + tar.string());
    RunOptions in;
    in.stdinFile = tar.string();
    cpOk(sb, {"-", "r:/tmp"}, in);
    CHECK_FALSE(fs::exists("/tmp/z-" + tag));
    CHECK(sh(sb, "r", "cat /tmp/z-" + tag) == "tar\n");
    hutchOk(sb, {"rm", "-f", "-t", "0", "r", "x"});
}
