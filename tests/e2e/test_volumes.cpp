// e2e: volumes and mounts (issue 4) as the unprivileged test user: the volume verbs and
// their podman 4.3 output, tmpfs volumes, copy-up, persistence, bind mounts and ownership,
// --tmpfs, image VOLUMEs, rm -v, volume rm of a volume in use, bad input.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

using namespace hutch::e2e;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The host path of volume `name` (volume inspect's Mountpoint).
std::string mountpoint(const Sandbox& sb, const std::string& name) {
    Result r = sb.hutch({"volume", "inspect", "--format", "{{.Mountpoint}}", name});
    REQUIRE_RC(r, 0);
    return lastLine(r.out);
}

/// First subordinate uid of `user` from /etc/subuid.
long subuidStart(const std::string& user) {
    std::ifstream f("/etc/subuid");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(user + ":", 0) == 0) return std::stol(line.substr(user.size() + 1));
    return -1;
}

struct stat statOf(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

/// Makes a directory in the sandbox owned by the sandbox user.
std::string userDir(const Sandbox& sb, const std::string& name) {
    fs::path p = sb.dir() / name;
    fs::create_directories(p);
    REQUIRE(::chown(p.c_str(), sb.uid(), static_cast<gid_t>(-1)) == 0);
    return p.string();
}

}  // namespace

TEST_CASE("e2e: volume create, ls, inspect, exists, rm in podman's format", "[e2e][volumes]") {
    Sandbox sb;
    Result c = sb.hutch({"volume", "create", "--label", "app=web", "--label", "tier", "--opt", "type=tmpfs", "--opt",
                         "device=tmpfs", "--opt", "o=size=2M,uid=1000", "tv"});
    REQUIRE_RC(c, 0);
    CHECK_R(c, c.out == "tv\n");
    Result gen = sb.hutch({"volume", "create"});
    REQUIRE_RC(gen, 0);
    std::string genName = lastLine(gen.out);
    CHECK_R(gen, isHexId(genName));

    Result ls = sb.hutch({"volume", "ls"});
    REQUIRE_RC(ls, 0);
    auto rows = lines(ls.out);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] == "DRIVER      VOLUME NAME");
    CHECK(rows[1] == "local       " + genName);
    CHECK(rows[2] == "local       tv");
    Result q = sb.hutch({"volume", "ls", "-q", "--filter", "label=app=web"});
    CHECK_R(q, q.out == "tv\n");
    Result byName = sb.hutch({"volume", "ls", "--format", "{{.Name}} {{.Driver}} {{.Labels}}", "--filter", "name=^t"});
    CHECK_R(byName, byName.out == "tv local map[app:web tier:]\n");

    Result in = sb.hutch({"volume", "inspect", "tv"});
    REQUIRE_RC(in, 0);
    CHECK_R(in, in.out.rfind("[\n     {\n          \"Name\": \"tv\",", 0) == 0);  // podman's 5-space indent
    auto j = nlohmann::ordered_json::parse(in.out);
    REQUIRE(j.size() == 1);
    CHECK(j[0]["Driver"] == "local");
    CHECK(j[0]["Scope"] == "local");
    CHECK(j[0]["Labels"]["app"] == "web");
    CHECK(j[0]["Options"]["type"] == "tmpfs");
    CHECK(j[0]["Options"]["o"] == "size=2M,uid=1000");
    CHECK(j[0]["UID"] == 1000);
    CHECK(j[0]["MountCount"] == 0);
    CHECK(j[0]["NeedsCopyUp"] == true);
    CHECK(has(j[0]["Mountpoint"].get<std::string>(), "/volumes/tv/_data"));
    CHECK(has(j[0]["CreatedAt"].get<std::string>(), "T"));
    std::vector<std::string> keys;
    for (auto it = j[0].begin(); it != j[0].end(); ++it) keys.push_back(it.key());
    CHECK(keys == std::vector<std::string>{"Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope", "Options",
                                           "UID", "MountCount", "NeedsCopyUp"});

    CHECK(sb.hutch({"volume", "exists", "tv"}).rc == 0);
    CHECK(sb.hutch({"volume", "exists", "nope"}).rc == 1);
    Result dup = sb.hutch({"volume", "create", "tv"});
    CHECK_R(dup, dup.rc == 125);
    CHECK_R(dup, has(dup.err, "volume with name tv already exists"));

    Result rm = sb.hutch({"volume", "rm", "tv", genName});
    REQUIRE_RC(rm, 0);
    CHECK_R(rm, rm.out == "tv\n" + genName + "\n");
    Result missing = sb.hutch({"volume", "rm", "tv"});
    CHECK_R(missing, missing.rc == 1);
    CHECK_R(missing, has(missing.err, "no volume with name \"tv\" found: no such volume"));
    Result inspMissing = sb.hutch({"volume", "inspect", "tv"});
    CHECK_R(inspMissing, inspMissing.rc == 125);
    CHECK_R(inspMissing, has(inspMissing.err, "no such volume tv"));
    Result empty = sb.hutch({"volume", "ls"});
    CHECK_R(empty, empty.out.empty());
}

TEST_CASE("e2e: volume create rejects a name with a slash and unknown options", "[e2e][volumes]") {
    Sandbox sb;
    Result slash = sb.hutch({"volume", "create", "a/b"});
    CHECK_R(slash, slash.rc == 125);
    CHECK_R(slash, (has(slash.err, "volume name \"a/b\"") && has(slash.err, "[a-zA-Z0-9][a-zA-Z0-9_.-]*")));
    Result opt = sb.hutch({"volume", "create", "--opt", "foo=bar", "x"});
    CHECK_R(opt, opt.rc == 125);
    CHECK_R(opt, has(opt.err, "invalid mount option foo for driver 'local'"));
    Result tmpfsOpt = sb.hutch({"volume", "create", "--opt", "type=tmpfs", "--opt", "o=bogus", "y"});
    CHECK_R(tmpfsOpt, tmpfsOpt.rc == 125);
    CHECK_R(tmpfsOpt, has(tmpfsOpt.err, "unknown tmpfs option \"bogus\""));
    Result ls = sb.hutch({"volume", "ls", "-q"});
    CHECK_R(ls, ls.out.empty());  // nothing half-made
}

TEST_CASE("e2e: the issue's tmpfs volume with exec on /tmp of the systemd image", "[e2e][volumes][systemd]") {
    testEnv();
    const char* image = std::getenv("HUTCH_TEST_SYSTEMD_IMAGE");
    if (!image || !*image) {
        WARN("HUTCH_TEST_SYSTEMD_IMAGE is not set: systemd volume test not run");
        return;
    }
    Sandbox sb;
    auto boot = RunOptions::withTimeout(std::chrono::seconds(180));
    Result c = sb.hutch({"volume", "create", "--opt", "type=tmpfs", "--opt", "device=local", "--opt", "o=rw,exec", "tmp_ynh"});
    REQUIRE_RC(c, 0);
    Result run = sb.hutch({"run", "-d", "--name", "deb", "-h", "x250.home", "--mount",
                           "type=volume,source=tmp_ynh,target=/tmp", image},
                          boot);
    REQUIRE_RC(run, 0);
    Result ex = sb.hutch({"exec", "deb", "sh", "-c", "printf \"#!/bin/sh\\necho ran\\n\" >/tmp/x; chmod +x /tmp/x; /tmp/x"});
    REQUIRE_RC(ex, 0);
    CHECK_R(ex, ex.out == "ran\n");
    Result fs = sb.hutch({"exec", "deb", "sh", "-c", "grep ' /tmp ' /proc/self/mounts"});
    CHECK_R(fs, (has(fs.out, "tmpfs /tmp tmpfs") && !has(fs.out, "noexec")));
    Result rm = sb.hutch({"rm", "-f", "deb"}, boot);
    REQUIRE_RC(rm, 0);
    CHECK(sb.hutch({"volume", "exists", "tmp_ynh"}).rc == 0);  // a named volume survives its container
}

TEST_CASE("e2e: tmpfs volume size limit gives ENOSPC, uid, gid and mode apply", "[e2e][volumes]") {
    Sandbox sb;
    Result c = sb.hutch({"volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt",
                         "o=size=1M,uid=1000,gid=1001,mode=0710", "small"});
    REQUIRE_RC(c, 0);
    Result r = sb.hutch({"run", "--rm", "-v", "small:/v", "busybox", "sh", "-c",
                         "stat -c '%u %g %a' /v; dd if=/dev/zero of=/v/f bs=1k count=512 2>/dev/null && echo half-ok; "
                         "dd if=/dev/zero of=/v/g bs=1k count=2048; echo dd=$?"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, has(r.out, "1000 1001 710\n"));
    CHECK_R(r, has(r.out, "half-ok"));
    CHECK_R(r, has(r.out, "dd=1"));
    CHECK_R(r, has(r.err, "No space left on device"));

    SECTION("--mount type=tmpfs with tmpfs-size too") {
        Result m = sb.hutch({"run", "--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777", "busybox",
                             "sh", "-c", "stat -c %a /t; dd if=/dev/zero of=/t/f bs=1k count=2048; echo dd=$?"});
        REQUIRE_RC(m, 0);
        CHECK_R(m, has(m.out, "1777\n"));
        CHECK_R(m, has(m.out, "dd=1"));
        CHECK_R(m, has(m.err, "No space left on device"));
    }
}

TEST_CASE("e2e: copy-up of image content into an empty named volume, owners and links kept", "[e2e][volumes]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "cat /etc/passwd | head -1"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, has(r.out, "root:"));
    std::string mp = mountpoint(sb, "etcvol");
    struct stat st = statOf(mp + "/passwd");
    CHECK(st.st_uid == sb.uid());  // container root = the user on the host
    CHECK((st.st_mode & 0777) == 0644);
    Result again = sb.hutch({"volume", "inspect", "--format", "{{.NeedsCopyUp}}", "etcvol"});
    CHECK_R(again, lastLine(again.out) == "false");

    // hardlinks and symlinks of the layered image (l3/a and l3/b are one inode)
    Result l = sb.hutch({"run", "--rm", "-v", "l3vol:/l3", "layered", "sh", "-c",
                         "[ $(stat -c %i /l3/a) = $(stat -c %i /l3/b) ] && echo same-inode; readlink /l3/link"});
    REQUIRE_RC(l, 0);
    CHECK_R(l, l.out == "same-inode\n../data/keep.txt\n");
    std::string l3 = mountpoint(sb, "l3vol");
    CHECK(statOf(l3 + "/a").st_ino == statOf(l3 + "/b").st_ino);
    CHECK(S_ISLNK(statOf(l3 + "/link").st_mode));
}

TEST_CASE("e2e: no copy-up into a non-empty volume, nor with nocopy", "[e2e][volumes]") {
    Sandbox sb;
    Result c = sb.hutch({"volume", "create", "full"});
    REQUIRE_RC(c, 0);
    std::string mp = mountpoint(sb, "full");
    {
        std::ofstream(mp + "/mine") << "mine\n";
    }
    REQUIRE(::chown((mp + "/mine").c_str(), sb.uid(), static_cast<gid_t>(-1)) == 0);
    Result r = sb.hutch({"run", "--rm", "-v", "full:/etc", "busybox", "sh", "-c", "cat /etc/mine; test -e /etc/passwd && echo copied; true"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "mine\n");
    CHECK_FALSE(fs::exists(mp + "/passwd"));

    Result nc = sb.hutch({"run", "--rm", "-v", "nc:/etc:nocopy", "busybox", "sh", "-c", "test -e /etc/passwd && echo copied; echo done"});
    REQUIRE_RC(nc, 0);
    CHECK_R(nc, nc.out == "done\n");
}

// Issue 13: a first mount over a path the image lacks used to mark the copy-up done.
TEST_CASE("e2e: copy-up stays pending after a mount over a missing or empty path", "[e2e][volumes]") {
    Sandbox sb;
    Result c = sb.hutch({"volume", "create", "later"});
    REQUIRE_RC(c, 0);
    Result first = sb.hutch({"run", "--rm", "-v", "later:/no/such/dir", "busybox", "true"});
    REQUIRE_RC(first, 0);
    Result empty = sb.hutch({"run", "--rm", "-v", "later:/mnt", "busybox", "true"});  // busybox's /mnt is empty
    REQUIRE_RC(empty, 0);
    Result second = sb.hutch({"run", "--rm", "-v", "later:/etc", "busybox", "sh", "-c", "test -e /etc/passwd && echo copied"});
    REQUIRE_RC(second, 0);
    CHECK_R(second, second.out == "copied\n");
    CHECK(fs::exists(mountpoint(sb, "later") + "/passwd"));
}

TEST_CASE("e2e: a named volume's data survives rm and is used by a second container", "[e2e][volumes]") {
    Sandbox sb;
    Result w = sb.hutch({"run", "--name", "writer", "-v", "keep:/data", "busybox", "sh", "-c",
                         "echo persisted > /data/f; chown 1000:1000 /data/f"});
    REQUIRE_RC(w, 0);
    Result insp = sb.hutch({"inspect", "writer"});
    REQUIRE_RC(insp, 0);
    auto mounts = nlohmann::json::parse(insp.out)[0]["Mounts"];
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0]["Type"] == "volume");
    CHECK(mounts[0]["Name"] == "keep");
    CHECK(mounts[0]["Destination"] == "/data");
    CHECK(mounts[0]["Source"] == mountpoint(sb, "keep"));
    CHECK(mounts[0]["RW"] == true);
    Result rm = sb.hutch({"rm", "-v", "writer"});  // -v: anonymous volumes only
    REQUIRE_RC(rm, 0);
    Result r = sb.hutch({"run", "--rm", "-v", "keep:/again:ro", "busybox", "sh", "-c",
                         "cat /again/f; stat -c '%u' /again/f; touch /again/x 2>&1; echo touch=$?"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, has(r.out, "persisted\n1000\n"));
    CHECK_R(r, has(r.out, "Read-only file system"));
    CHECK_R(r, has(r.out, "touch=1"));
    // container uid 1000 is host subuid start + 999
    long start = subuidStart(sb.user());
    REQUIRE(start > 0);
    CHECK(statOf(mountpoint(sb, "keep") + "/f").st_uid == static_cast<uid_t>(start + 999));
}

TEST_CASE("e2e: bind mount of a host directory, user's files as root, ro enforced", "[e2e][volumes]") {
    Sandbox sb;
    std::string dir = userDir(sb, "shared");
    sb.writeFile(fs::path(dir) / "hello.txt", "hello\n");
    Result ro = sb.hutch({"run", "--rm", "-v", dir + ":/h:ro", "busybox", "sh", "-c",
                          "stat -c '%u %g' /h/hello.txt; cat /h/hello.txt; (echo x > /h/new) 2>&1; echo w=$?"});
    REQUIRE_RC(ro, 0);
    CHECK_R(ro, has(ro.out, "0 0\nhello\n"));
    CHECK_R(ro, has(ro.out, "Read-only file system"));
    CHECK_R(ro, has(ro.out, "w=1"));
    CHECK_FALSE(fs::exists(fs::path(dir) / "new"));

    Result rw = sb.hutch({"run", "--rm", "--mount", "type=bind,source=" + dir + ",target=/h", "busybox", "sh", "-c",
                          "echo from-container > /h/new"});
    REQUIRE_RC(rw, 0);
    CHECK(statOf(dir + "/new").st_uid == sb.uid());

    Result missing = sb.hutch({"run", "--rm", "-v", dir + "/nonexistent:/h", "busybox", "true"});
    CHECK_R(missing, missing.rc == 125);
    CHECK_R(missing, has(missing.err, "statfs " + dir + "/nonexistent: no such file or directory"));
}

TEST_CASE("e2e: --tmpfs is noexec by default, exec when asked", "[e2e][volumes]") {
    Sandbox sb;
    Result d = sb.hutch({"run", "--rm", "--tmpfs", "/t", "busybox", "sh", "-c",
                         "cp /bin/busybox /t/bb; /t/bb true; echo rc=$?; grep ' /t ' /proc/self/mounts"});
    REQUIRE_RC(d, 0);
    CHECK_R(d, has(d.out, "rc=126"));
    CHECK_R(d, (has(d.out, "noexec") && has(d.out, "nosuid") && has(d.out, "nodev")));
    Result e = sb.hutch({"run", "--rm", "--tmpfs", "/t:exec,size=8m", "busybox", "sh", "-c",
                         "cp /bin/busybox /t/busybox; /t/busybox echo ran"});
    REQUIRE_RC(e, 0);
    CHECK_R(e, e.out == "ran\n");
}

TEST_CASE("e2e: image VOLUMEs get anonymous volumes with copy-up, rm -v removes only those", "[e2e][volumes]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--name", "c", "-v", "named:/named", "layered-volume", "sh", "-c",
                         "cat /data/keep.txt; cat /l3/a; echo more > /data/more"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, has(r.out, "keep\nhard\n"));
    Result ls = sb.hutch({"volume", "ls", "-q"});
    auto names = lines(ls.out);
    CHECK_R(ls, names.size() == 3);  // two anonymous (/data, /l3) + named
    int anon = 0;
    for (const auto& n : names) anon += isHexId(n) ? 1 : 0;
    CHECK(anon == 2);

    SECTION("a mount on the VOLUME path replaces its anonymous volume") {
        Result m = sb.hutch({"run", "--rm", "-v", "mine:/data", "layered-volume", "cat", "/data/keep.txt"});
        REQUIRE_RC(m, 0);
        CHECK_R(m, m.out == "keep\n");  // copied up into the named volume
        Result ls2 = sb.hutch({"volume", "ls", "-q"});
        // + mine; the anonymous volume made for /l3 went with --rm
        CHECK_R(ls2, lines(ls2.out).size() == 4);
        CHECK_R(ls2, has(ls2.out, "mine\n"));
    }
    SECTION("rm -v") {
        Result rm = sb.hutch({"rm", "-v", "c"});
        REQUIRE_RC(rm, 0);
        Result after = sb.hutch({"volume", "ls", "-q"});
        CHECK_R(after, after.out == "named\n");
    }
}

TEST_CASE("e2e: volume rm of a volume in use fails naming the container, -f removes it", "[e2e][volumes]") {
    Sandbox sb;
    Result run = sb.hutch({"run", "--name", "user1", "-v", "busy:/b", "busybox", "true"});
    REQUIRE_RC(run, 0);
    Result id = sb.hutch({"ps", "-a", "-q", "--no-trunc"});
    std::string cid = lastLine(id.out);
    Result rm = sb.hutch({"volume", "rm", "busy"});
    CHECK_R(rm, rm.rc == 2);
    CHECK_R(rm, has(rm.err, "volume busy is being used by the following container(s): " + cid));
    Result prune = sb.hutch({"volume", "prune", "-f"});
    REQUIRE_RC(prune, 0);
    CHECK(sb.hutch({"volume", "exists", "busy"}).rc == 0);
    Result force = sb.hutch({"volume", "rm", "-f", "busy"});
    REQUIRE_RC(force, 0);
    CHECK(sb.hutch({"volume", "exists", "busy"}).rc == 1);
    Result ps = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ps, ps.out.empty());
}

// Issue 13: `volume rm -f` racing `rm -f` of its containers could exit 0 and leave the
// volume (the container it was removing vanished, which read as "no such volume").
TEST_CASE("e2e: volume rm -f racing rm -f of its containers never exits 0 leaving the volume", "[e2e][volumes]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    for (int round = 0; round < 6; ++round) {
        std::string vol = "race" + std::to_string(round);
        std::vector<std::string> names;
        for (int i = 0; i < 4; ++i) {
            names.push_back(vol + "-c" + std::to_string(i));
            Result c = sb.hutch({"run", "--name", names.back(), "-v", vol + ":/v", "busybox", "true"});
            REQUIRE_RC(c, 0);
        }
        std::vector<std::string> rmArgs = {"rm", "-f"};
        rmArgs.insert(rmArgs.end(), names.rbegin(), names.rend());
        Child rmc = sb.spawn(rmArgs);
        Result vrm = sb.hutch({"volume", "rm", "-f", vol});
        Result crm = rmc.wait();
        INFO("round " << round);
        CHECK_R(vrm, vrm.rc == 0);
        CHECK(sb.hutch({"volume", "exists", vol}).rc == 1);
    }
}

TEST_CASE("e2e: bad mount input is a 125 naming the flag and field", "[e2e][volumes]") {
    Sandbox sb;
    struct Case {
        std::vector<std::string> flags;
        std::string expect;
    };
    std::vector<Case> cases = {
        {{"-v", "foo:bar"}, "invalid container path \"bar\", must be an absolute path"},
        {{"--mount", "type=volume,source=a,target=/x,bogus=1"}, "bogus: invalid mount option"},
        {{"--mount", "type=volume,source=a"}, "must set volume destination"},
        {{"--mount", "type=nfs,target=/x"}, "invalid filesystem type \"nfs\""},
        {{"--mount", "type=volume,source=a/b,target=/x"}, "names must match"},
        {{"--tmpfs", "rel"}, "--tmpfs \"rel\": invalid container path"},
        {{"-v", "a:/x", "--tmpfs", "/x"}, "\"/x\": duplicate mount destination"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args{"run", "--rm"};
        args.insert(args.end(), c.flags.begin(), c.flags.end());
        args.insert(args.end(), {"busybox", "true"});
        Result r = sb.hutch(args);
        CHECK_R(r, r.rc == 125);
        CHECK_R(r, has(r.err, c.expect));
    }
    Result ls = sb.hutch({"volume", "ls", "-q"});
    CHECK_R(ls, ls.out.empty());  // no volume made by a failed run
    Result ps = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ps, ps.out.empty());
}

TEST_CASE("e2e: a new volume is chowned to the container's user, U chowns, volumes are nosuid,nodev", "[e2e][volumes]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "-u", "1000:1000", "-v", "home:/home/u", "busybox", "sh", "-c",
                         "stat -c '%u:%g' /home/u; touch /home/u/f && echo wrote; grep ' /home/u ' /proc/self/mounts"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, has(r.out, "1000:1000\nwrote\n"));
    CHECK_R(r, (has(r.out, "nosuid") && has(r.out, "nodev")));

    std::string dir = userDir(sb, "owned");
    sb.writeFile(fs::path(dir) / "f", "x\n");
    Result u = sb.hutch({"run", "--rm", "-u", "1000:1000", "-v", dir + ":/o:U", "busybox", "sh", "-c",
                         "stat -c '%u:%g' /o /o/f; echo y > /o/f && echo wrote"});
    REQUIRE_RC(u, 0);
    CHECK_R(u, u.out == "1000:1000\n1000:1000\nwrote\n");
    long start = subuidStart(sb.user());
    CHECK(statOf(dir + "/f").st_uid == static_cast<uid_t>(start + 999));
}

TEST_CASE("e2e: a volume of a type an unprivileged user cannot mount is a clear error", "[e2e][volumes]") {
    Sandbox sb;
    Result c = sb.hutch({"volume", "create", "--opt", "type=ext4", "--opt", "device=/dev/vda", "disk"});
    REQUIRE_RC(c, 0);
    Result r = sb.hutch({"run", "--rm", "-v", "disk:/d", "busybox", "true"});
    CHECK_R(r, r.rc == 125);
    CHECK_R(r, has(r.err, "volume disk: --opt type=ext4: an unprivileged user cannot mount ext4"));
}

TEST_CASE("e2e: --rm removes anonymous volumes, foreground and detached, named ones stay", "[e2e][volumes]") {
    Sandbox sb;
    Result fg = sb.hutch({"run", "--rm", "-v", "stay:/stay", "-v", "/anon", "layered-volume", "true"});
    REQUIRE_RC(fg, 0);
    Result ls = sb.hutch({"volume", "ls", "-q"});
    CHECK_R(ls, ls.out == "stay\n");

    Result bg = sb.hutch({"run", "-d", "--rm", "--name", "bg", "layered-volume", "sh", "-c", "sleep 0.3"});
    REQUIRE_RC(bg, 0);
    Result after;
    for (int i = 0; i < 100; ++i) {
        after = sb.hutch({"volume", "ls", "-q"});
        if (after.out == "stay\n") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK_R(after, after.out == "stay\n");
    Result ps = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ps, ps.out.empty());
}

TEST_CASE("e2e: a relative bind source is resolved from the working directory", "[e2e][volumes]") {
    // hutch runs in the sandbox home; joining the rootless session must not lose that
    // directory (setns into a mount namespace moves a process to its root).
    Sandbox sb;
    sb.writeFile(sb.home() / "reldata" / "x", "relative-ok\n");
    Result r = sb.hutch({"run", "--rm", "-v", "./reldata:/d:ro", "busybox", "cat", "/d/x"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "relative-ok\n");
}
