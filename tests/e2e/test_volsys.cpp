// e2e: `volume export`/`volume import` (a volume's content as a tar and back: files, a
// symlink, a non-ASCII name, owners; merging; hostile archives never write outside the
// volume), `search` against the seeded registry's catalog and tag lists, and `system check`
// (rootless readiness: all ok for the test user, the subuid check fails with its fix for the
// user without ranges).
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace hutch::e2e;

namespace {

/// A python helper run as root on the host: `make KIND OUT` writes a test tar, `list TAR`
/// prints one canonical line per entry (name, type, mode, uid, gid, link target, content).
constexpr const char* kTarTool = R"PY(
import io, sys, tarfile
def add(t, name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data); ti.mtime = 1700000000; ti.mode = kw.pop("mode", 0o644)
    for k, v in kw.items(): setattr(ti, k, v)
    t.addfile(ti, io.BytesIO(data) if ti.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else None)
cmd = sys.argv[1]
if cmd == "make":
    kind, out = sys.argv[2], sys.argv[3]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        if kind == "content":
            add(t, "d", type=tarfile.DIRTYPE, mode=0o755)
            add(t, "d/f", b"hello\n")
            add(t, "l", type=tarfile.SYMTYPE, linkname="d/f", mode=0o777)
            add(t, "\u00e9t\u00e9-\u00fc.txt", b"unicode\n")
            add(t, "owned", b"mine\n", uid=1000, gid=1001, mode=0o640)
        elif kind == "merge":
            add(t, "d/f", b"replaced\n")
            add(t, ".wh.owned", b"plain\n")
        elif kind == "dotdot":
            add(t, "../escape-dotdot", b"x")
        elif kind == "abs":
            add(t, sys.argv[4] + "/escape-abs", b"x")
        elif kind == "symlink":
            add(t, "lnk", type=tarfile.SYMTYPE, linkname=sys.argv[4], mode=0o777)
            add(t, "lnk/escape-symlink", b"x")
            add(t, "up", type=tarfile.SYMTYPE, linkname="../../../../../../..", mode=0o777)
            add(t, "up" + sys.argv[4] + "/escape-up", b"x")
        elif kind == "hardlink":
            add(t, "hl", type=tarfile.LNKTYPE, linkname="../../../../../../../etc/passwd")
elif cmd == "list":
    rows = []
    with tarfile.open(sys.argv[2]) as t:
        for m in t.getmembers():
            data = t.extractfile(m).read().decode() if m.isfile() else ""
            rows.append("%s|%s|%o|%d:%d|%s|%s" % (m.name.rstrip("/"), m.type.decode(), m.mode & 0o7777, m.uid, m.gid, m.linkname, data.strip()))
    print("\n".join(sorted(rows)))
)PY";

/// Writes the helper into the sandbox and returns the command prefix that runs it.
std::string tarTool(const Sandbox& sb) {
    fs::path p = sb.dir() / "tartool.py";
    sb.writeFile(p, kTarTool);
    return "python3 " + p.string();
}

/// Makes `kind` (see kTarTool) at sandbox/NAME.tar, readable by the user; returns its path.
std::string makeTar(const Sandbox& sb, const std::string& kind, const std::string& extra = "") {
    std::string out = (sb.dir() / (kind + ".tar")).string();
    hostCommand(tarTool(sb) + " make " + kind + " " + out + (extra.empty() ? "" : " '" + extra + "'") + " && chmod 644 " + out);
    return out;
}

/// `volume create NAME`, REQUIREd to succeed.
void createVolume(const Sandbox& sb, const std::string& name) {
    Result r = sb.hutch({"volume", "create", name});
    REQUIRE_RC(r, 0);
}

std::string mountpoint(const Sandbox& sb, const std::string& name) {
    Result r = sb.hutch({"volume", "inspect", "--format", "{{.Mountpoint}}", name});
    REQUIRE_RC(r, 0);
    return lastLine(r.out);
}

/// First subordinate id of `user` in `file` (/etc/subuid, /etc/subgid).
long subidStart(const std::string& file, const std::string& user) {
    std::ifstream f(file);
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(user + ":", 0) == 0) return std::stol(line.substr(user.size() + 1));
    return -1;
}

/// tests/fixtures/fake_registry.py run as root on the host (plain http on 127.0.0.1), with
/// `args`; killed (by its pid) at the end of the scope.
class FakeRegistry {
public:
    explicit FakeRegistry(const std::vector<std::string>& args) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            ::close(fds[0]);
            ::close(fds[1]);
            std::vector<std::string> argv{"python3", std::string(HUTCH_FIXTURES_DIR) + "/fake_registry.py"};
            argv.insert(argv.end(), args.begin(), args.end());
            std::vector<char*> c;
            for (auto& a : argv) c.push_back(a.data());
            c.push_back(nullptr);
            ::execvp("python3", c.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        FILE* f = ::fdopen(fds[0], "r");
        int port2 = 0;
        bool started = std::fscanf(f, "PORT %d %d", &port_, &port2) == 2;
        std::fclose(f);
        REQUIRE(started);
    }
    ~FakeRegistry() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace

TEST_CASE("e2e: volume import then export round-trips files, a symlink, a non-ASCII name and owners",
          "[e2e][volsys][podman-ref]") {
    Sandbox sb;
    const std::string in = makeTar(sb, "content");
    createVolume(sb, "v1");
    Result im = sb.hutch({"volume", "import", "v1", in});
    REQUIRE_RC(im, 0);
    CHECK_R(im, im.out.empty());

    // On disk: the symlink as stored, the content, and the owner mapped through the session
    // (session id N>0 is subordinate id start+N-1 on the host).
    const std::string mp = mountpoint(sb, "v1");
    char link[256] = {};
    REQUIRE(::readlink((mp + "/l").c_str(), link, sizeof link - 1) > 0);
    CHECK(std::string(link) == "d/f");
    std::ifstream uni(mp + "/\u00e9t\u00e9-\u00fc.txt");
    std::string word;
    uni >> word;
    CHECK(word == "unicode");
    struct stat st {};
    REQUIRE(::lstat((mp + "/owned").c_str(), &st) == 0);
    CHECK(static_cast<long>(st.st_uid) == subidStart("/etc/subuid", sb.user()) + 999);
    CHECK(static_cast<long>(st.st_gid) == subidStart("/etc/subgid", sb.user()) + 1000);
    CHECK((st.st_mode & 07777) == 0640);

    // Exported, the tar holds what was imported: names, types, modes (podman writes the
    // type bits too), owners as the session sees them, link, content.
    const std::string out = (sb.dir() / "out.tar").string();
    Result ex = sb.hutch({"volume", "export", "-o", out, "v1"});
    REQUIRE_RC(ex, 0);
    CHECK_R(ex, ex.out.empty());
    const std::string tool = tarTool(sb);
    hostCommand("chmod 644 " + out);
    const std::string listing = hostCommand(tool + " list " + out);
    CHECK(listing == hostCommand(tool + " list " + in));
    CHECK(contains(listing, "owned|0|640|1000:1001||mine\n"));
    CHECK(contains(listing, "l|2|777|0:0|d/f|\n"));

    // Into a second volume from stdin: its export lists the same entries.
    createVolume(sb, "v2");
    RunOptions fromStdin;
    fromStdin.stdinFile = out;
    Result fromPipe = sb.hutch({"volume", "import", "v2", "-"}, fromStdin);
    REQUIRE_RC(fromPipe, 0);
    const std::string out2 = (sb.dir() / "out2.tar").string();
    Result ex2 = sb.hutch({"volume", "export", "--output", out2, "v2"});
    REQUIRE_RC(ex2, 0);
    hostCommand("chmod 644 " + out2);
    CHECK(hostCommand(tool + " list " + out2) == listing);
}

TEST_CASE("e2e: volume import merges into the content; .wh. names are ordinary files; an empty stream imports nothing",
          "[e2e][volsys][podman-ref]") {
    Sandbox sb;
    createVolume(sb, "m");
    Result first = sb.hutch({"volume", "import", "m", makeTar(sb, "content")});
    REQUIRE_RC(first, 0);
    Result second = sb.hutch({"volume", "import", "m", makeTar(sb, "merge")});
    REQUIRE_RC(second, 0);
    const std::string mp = mountpoint(sb, "m");
    std::ifstream f(mp + "/d/f");
    std::string word;
    f >> word;
    CHECK(word == "replaced");                 // the archive's entry wins
    CHECK(fs::exists(mp + "/owned"));          // not a whiteout: nothing removed
    CHECK(fs::exists(mp + "/.wh.owned"));      // extracted as it is
    CHECK(fs::exists(mp + "/\u00e9t\u00e9-\u00fc.txt"));  // earlier content kept
    const std::string empty = (sb.dir() / "empty.tar").string();
    sb.writeFile(empty, "");
    Result e = sb.hutch({"volume", "import", "m", empty});
    CHECK_R(e, e.rc == 0);
}

TEST_CASE("e2e: volume export/import errors: missing volume, missing file, bad archive, wrong arguments",
          "[e2e][volsys][podman-ref]") {
    Sandbox sb;
    Result ex = sb.hutch({"volume", "export", "-o", (sb.dir() / "x.tar").string(), "nosuch"});
    CHECK_R(ex, ex.rc == 125);
    CHECK_R(ex, contains(ex.err, "no such volume nosuch"));
    CHECK_FALSE(fs::exists(sb.dir() / "x.tar"));
    Result im = sb.hutch({"volume", "import", "nosuch", makeTar(sb, "content")});
    CHECK_R(im, im.rc == 125);
    CHECK_R(im, contains(im.err, "no such volume nosuch"));

    createVolume(sb, "e");
    Result missing = sb.hutch({"volume", "import", "e", (sb.dir() / "missing.tar").string()});
    CHECK_R(missing, missing.rc == 125);
    CHECK_R(missing, contains(missing.err, "missing.tar"));
    const std::string junk = (sb.dir() / "junk.txt").string();
    sb.writeFile(junk, std::string(4096, 'j'));
    Result bad = sb.hutch({"volume", "import", "e", junk});
    CHECK_R(bad, bad.rc == 125);
    Result oneArg = sb.hutch({"volume", "import", "e"});
    CHECK_R(oneArg, oneArg.rc == 125);
    CHECK_R(oneArg, contains(oneArg.err, "accepts 2 arg(s), received 1"));
    Result noOut = sb.hutch({"volume", "export", "--output", "", "e"});
    CHECK_R(noOut, noOut.rc == 125);
    CHECK_R(noOut, contains(noOut.err, "expects output path, use --output=[path]"));
}

// Not [podman-ref]: podman 4.3 opens /dev/stdout, which the harness's pipe (root's) refuses
// to the user, and writes the tar to a terminal.
TEST_CASE("e2e: volume export writes to a redirected stdout and refuses a terminal", "[e2e][volsys]") {
    Sandbox sb;
    createVolume(sb, "t");
    Result im = sb.hutch({"volume", "import", "t", makeTar(sb, "content")});
    REQUIRE_RC(im, 0);
    const std::string out = (sb.dir() / "out.tar").string();
    Result toFile = sb.hutch({"volume", "export", "-o", out, "t"});
    REQUIRE_RC(toFile, 0);
    Result toStdout = sb.hutch({"volume", "export", "t"});
    REQUIRE_RC(toStdout, 0);
    std::ifstream f(out, std::ios::binary);
    std::string fileBytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(toStdout.out == fileBytes);
    RunOptions tty;
    tty.pty = true;
    Result r = sb.hutch({"volume", "export", "t"}, tty);
    CHECK_R(r, r.rc == 125);
    CHECK_R(r, contains(r.out, "cannot write to terminal, use command-line redirection or the --output flag"));
}

TEST_CASE("e2e: volume import of hostile archives never writes outside the volume", "[e2e][volsys]") {
    Sandbox sb;
    createVolume(sb, "h");
    const std::string mp = mountpoint(sb, "h");
    // A directory outside the volume the user could write to: nothing may land in it.
    const fs::path outside = sb.dir() / "outside";
    fs::create_directories(outside);
    REQUIRE(::chown(outside.c_str(), sb.uid(), static_cast<gid_t>(-1)) == 0);
    auto escaped = [&] {
        return fs::exists(outside / "escape-abs") || fs::exists(outside / "escape-symlink") ||
               fs::exists(outside / "escape-up") || fs::exists(fs::path(mp).parent_path() / "escape-dotdot") ||
               fs::exists(sb.dir() / "escape-dotdot");
    };

    Result dotdot = sb.hutch({"volume", "import", "h", makeTar(sb, "dotdot")});
    CHECK_R(dotdot, dotdot.rc == 125);
    CHECK_R(dotdot, contains(dotdot.err, "../escape-dotdot"));
    Result hard = sb.hutch({"volume", "import", "h", makeTar(sb, "hardlink")});
    CHECK_R(hard, hard.rc == 125);
    CHECK_FALSE(fs::exists(mp + "/hl"));
    // An absolute name and names through absolute or climbing symlinks resolve inside.
    Result abs = sb.hutch({"volume", "import", "h", makeTar(sb, "abs", outside.string())});
    CHECK_R(abs, abs.rc == 0);
    CHECK(fs::exists(mp + outside.string() + "/escape-abs"));
    Result sym = sb.hutch({"volume", "import", "h", makeTar(sb, "symlink", outside.string())});
    CHECK_R(sym, sym.rc == 0);
    CHECK(fs::exists(mp + outside.string() + "/escape-symlink"));
    CHECK(fs::exists(mp + outside.string() + "/escape-up"));
    CHECK_FALSE(escaped());
}

TEST_CASE("e2e: search lists the registry's repositories that contain the term", "[e2e][volsys][podman-ref]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    Result r = sb.hutch({"search", reg + "/busybox"});
    REQUIRE_RC(r, 0);
    auto ls = lines(r.out);
    REQUIRE(ls.size() >= 2);
    CHECK(ls[0].rfind("NAME ", 0) == 0);
    CHECK(contains(ls[0], " DESCRIPTION"));
    CHECK(ls[1].rfind(reg + "/busybox ", 0) == 0);  // the exact match first
    for (size_t i = 1; i < ls.size(); ++i) CHECK(contains(ls[i], "busybox"));
    // The DESCRIPTION column starts where the header's does (the catalog has no descriptions).
    CHECK(ls[1].size() == ls[0].find("DESCRIPTION"));

    // A short term searches the unqualified-search registries (the sandbox's: the test registry).
    Result shortTerm = sb.hutch({"search", "--format", "{{.Name}}|{{.Index}}|{{.Stars}}|{{.Official}}|{{.Description}}", "layer"});
    REQUIRE_RC(shortTerm, 0);
    CHECK_R(shortTerm, contains(shortTerm.out, reg + "/layered|" + reg + "|0||\n"));

    Result one = sb.hutch({"search", "--limit", "1", reg + "/busybox"});
    REQUIRE_RC(one, 0);
    CHECK_R(one, lines(one.out).size() == 2);

    Result json = sb.hutch({"search", "--format", "json", reg + "/layered"});
    REQUIRE_RC(json, 0);
    auto arr = nlohmann::json::parse(json.out);
    REQUIRE(arr.is_array());
    REQUIRE(!arr.empty());
    CHECK(arr[0]["Name"] == reg + "/layered");
    CHECK(arr[0]["Index"] == reg);
    CHECK(arr[0]["Stars"] == 0);
    CHECK(arr[0]["Tag"] == "");

    Result none = sb.hutch({"search", reg + "/no-such-repository-anywhere"});
    REQUIRE_RC(none, 0);
    CHECK_R(none, none.out.empty());
}

TEST_CASE("e2e: search --list-tags lists a repository's tags", "[e2e][volsys][podman-ref]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    Result r = sb.hutch({"search", "--list-tags", reg + "/layered"});
    REQUIRE_RC(r, 0);
    auto ls = lines(r.out);
    REQUIRE(ls.size() >= 2);
    const std::string name = reg + "/layered";
    CHECK(ls[0] == "NAME" + std::string(name.size() + 2 - 4, ' ') + "TAG");
    CHECK(std::find(ls.begin(), ls.end(), name + "  latest") != ls.end());

    Result json = sb.hutch({"search", "--list-tags", "--format", "json", reg + "/layered"});
    REQUIRE_RC(json, 0);
    auto arr = nlohmann::json::parse(json.out);
    REQUIRE(arr.size() == 1);
    CHECK(arr[0]["Name"] == name);
    CHECK(std::find(arr[0]["Tags"].begin(), arr[0]["Tags"].end(), "latest") != arr[0]["Tags"].end());

    Result missing = sb.hutch({"search", "--list-tags", reg + "/no-such-repository-anywhere"});
    CHECK_R(missing, missing.rc == 125);
    CHECK_R(missing, contains(missing.err, "getting repository tags: fetching tags list: invalid status code from registry 404 (Not Found)"));
}

TEST_CASE("e2e: search errors: a registry without a catalog, an unreachable one", "[e2e][volsys][podman-ref]") {
    Sandbox sb;
    FakeRegistry fake({"--no-catalog"});
    Result r = sb.hutch({"search", "--tls-verify=false", fake.host() + "/img"});
    CHECK_R(r, r.rc == 125);
    CHECK_R(r, contains(r.err, "couldn't search registry \"" + fake.host() +
                                   "\": invalid status code from registry 404 (Not Found)"));
    Result down = sb.hutch({"search", "--tls-verify=false", "127.0.0.1:1/img"});
    CHECK_R(down, down.rc == 125);
    CHECK_R(down, contains(down.err, "couldn't search registry \"127.0.0.1:1\""));
    CHECK_R(down, contains(down.err, "127.0.0.1:1"));
}

TEST_CASE("e2e: search follows the catalog's pages", "[e2e][volsys][podman-ref]") {
    Sandbox sb;
    FakeRegistry fake({"--catalog", "a/find-me,b/skip,c/find-me-too,d/skip", "--page-size", "1"});
    Result r = sb.hutch({"search", "--tls-verify=false", "--format", "{{.Name}}", fake.host() + "/find-me"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == fake.host() + "/a/find-me\n" + fake.host() + "/c/find-me-too\n");
}

TEST_CASE("e2e: system check passes for a user ready for rootless containers", "[e2e][volsys]") {
    Sandbox sb;
    Result r = sb.hutch({"system", "check"}, RunOptions{});
    REQUIRE_RC(r, 0);
    auto ls = lines(r.out);
    std::vector<std::string> names;
    for (const auto& l : ls) {
        CHECK_R(r, (l.rfind("ok ", 0) == 0 || l.rfind("note ", 0) == 0));
        auto colon = l.find(':');
        REQUIRE(colon != std::string::npos);
        names.push_back(hutch::e2e::lastLine(l.substr(0, colon).substr(9)));
    }
    CHECK(names == std::vector<std::string>{"subuid", "subgid", "newuidmap", "newgidmap", "cgroup", "network",
                                            "overlay", "ports", "userns", "apparmor"});
    CHECK(contains(r.out, "ok       subuid: " + sb.user() + " has 65536 ids in /etc/subuid"));
}

TEST_CASE("e2e: system check names the missing subuid range and its fix", "[e2e][volsys]") {
    Sandbox sb(testEnv().nosubUser);
    Result r = sb.hutch({"system", "check"});
    CHECK_R(r, r.rc == 1);
    const std::string user = testEnv().nosubUser;
    std::string line;
    for (const auto& l : lines(r.out))
        if (l.rfind("problem  subuid: ", 0) == 0) line = l;
    INFO(r.describe());
    CHECK(line.rfind("problem  subuid: no range for " + user + " in /etc/subuid; fix: sudo usermod --add-subuids ", 0) == 0);
    CHECK(contains(line, " " + user + " && hutch system migrate"));
    CHECK(contains(r.out, "problem  subgid: no range for " + user + " in /etc/subgid; fix: sudo usermod --add-subgids "));
    // The checks that do not depend on the user still pass.
    CHECK(contains(r.out, "ok       newuidmap: "));
}
