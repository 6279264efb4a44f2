// e2e: save | load round trips (docker-archive and oci-archive), stdin/stdout, and errors.
#include "harness.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace hutch::e2e;

namespace {

}  // namespace

TEST_CASE("e2e: save, rmi, load and run round trip", "[e2e][save]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string name = reg + "/layered";
    const std::string id = pullOk(sb, name);
    const std::string format = GENERATE(std::string("docker-archive"), std::string("oci-archive"));
    INFO("format " << format);
    const std::string archive = (sb.home() / "img.tar").string();

    Result s = sb.hutch({"save", "--format", format, "-o", archive, name});
    REQUIRE_RC(s, 0);
    CHECK_R(s, contains(s.err, "Copying blob"));
    {
        Result r1 = sb.hutch({"rmi", name});
        REQUIRE_RC(r1, 0);
    }

    Result l = sb.hutch({"load", "-i", archive});
    REQUIRE_RC(l, 0);
    CHECK_R(l, contains(l.out, "Loaded image: " + name + ":latest"));
    Result first = sb.hutch({"inspect", "--format", "{{.Id}}", name});
    REQUIRE_RC(first, 0);
    const std::string loadedId = lastLine(first.out);
    REQUIRE(isHexId(loadedId));
    // The layer tars are regenerated from storage (they may differ from the registry's, and
    // then the config's diff_ids and the id change); doing it again gives the same bytes.
    const std::string again = (sb.home() / "again.tar").string();
    {
        Result r2 = sb.hutch({"save", "-q", "--format", format, "-o", again, name});
        REQUIRE_RC(r2, 0);
    }
    {
        Result r3 = sb.hutch({"rmi", name});
        REQUIRE_RC(r3, 0);
    }
    Result l2 = sb.hutch({"load", "-q", "-i", again});
    REQUIRE_RC(l2, 0);
    Result second = sb.hutch({"inspect", "--format", "{{.Id}}", name});
    REQUIRE_RC(second, 0);
    CHECK(lastLine(second.out) == loadedId);
    (void)id;

    Result run = sb.hutch({"run", "--rm", name, "sh", "-c", "ls / && echo loaded-ok"});
    REQUIRE_RC(run, 0);
    CHECK_R(run, contains(run.out, "loaded-ok"));
}

TEST_CASE("e2e: save to stdout and load from stdin", "[e2e][save]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    pullOk(sb, reg + "/busybox");
    {
        Result r4 = sb.hutch({"tag", reg + "/busybox", "mybox:1"});
        REQUIRE_RC(r4, 0);
    }
    Result s = sb.hutch({"save", "-q", "mybox:1"});
    REQUIRE_RC(s, 0);
    CHECK_R(s, s.err.empty());
    REQUIRE(s.out.size() > 1000000);
    sb.writeFile(sb.home() / "stdout.tar", s.out);

    Sandbox other;
    RunOptions ro;
    ro.stdinFile = (sb.home() / "stdout.tar").string();
    Result l = other.hutch({"load"}, ro);
    REQUIRE_RC(l, 0);
    CHECK_R(l, contains(l.out, "Loaded image: localhost/mybox:1"));
    Result run = other.hutch({"run", "--rm", "localhost/mybox:1", "echo", "from-stdin"});
    REQUIRE_RC(run, 0);
    CHECK_R(run, contains(run.out, "from-stdin"));
}

TEST_CASE("e2e: save and load errors", "[e2e][save]") {
    Sandbox sb;
    Result missing = sb.hutch({"save", "-o", (sb.home() / "x.tar").string(), "nosuch"});
    REQUIRE_RC(missing, 125);
    CHECK_R(missing, contains(missing.err, "nosuch: image not known"));
    Result fmt = sb.hutch({"save", "--format", "foo", "-o", (sb.home() / "x.tar").string(), "nosuch"});
    REQUIRE_RC(fmt, 125);
    CHECK_R(fmt, contains(fmt.err, "format value must be one of"));
    sb.writeFile(sb.home() / "junk.tar", "this is not an archive at all");
    Result junk = sb.hutch({"load", "-i", (sb.home() / "junk.tar").string()});
    REQUIRE_RC(junk, 125);
    CHECK_R(junk, contains(junk.err, "payload does not match any of the supported image formats"));
    Result nofile = sb.hutch({"load", "-i", (sb.home() / "nonexistent.tar").string()});
    REQUIRE_RC(nofile, 125);
    CHECK_R(nofile, contains(nofile.err, "nonexistent.tar"));
    Result dir = sb.hutch({"load", "-i", sb.home().string()});
    REQUIRE_RC(dir, 125);
    CHECK_R(dir, contains(dir.err, "read " + sb.home().string() + ": is a directory"));
}

TEST_CASE("e2e: a save that fails leaves an existing output file alone", "[e2e][save]") {
    Sandbox sb;
    const fs::path keep = sb.home() / "keep.tar";
    sb.writeFile(keep, "precious");
    Result missing = sb.hutch({"save", "-o", keep.string(), "nosuch"});
    REQUIRE_RC(missing, 125);
    CHECK_R(missing, contains(missing.err, "nosuch: image not known"));
    REQUIRE(fs::exists(keep));
    std::ifstream f(keep);
    CHECK(std::string(std::istreambuf_iterator<char>(f), {}) == "precious");
}

TEST_CASE("e2e: save to stdout is quiet without -q (as podman)", "[e2e][save]") {
    Sandbox sb;
    pullOk(sb, testEnv().registry + "/busybox");
    Result s = sb.hutch({"save", testEnv().registry + "/busybox"});
    REQUIRE_RC(s, 0);
    CHECK_R(s, s.err.empty());
    CHECK(s.out.size() > 1000000);
}

TEST_CASE("e2e: archives move between podman and hutch", "[e2e][save]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string name = reg + "/layered";
    const std::string format = GENERATE(std::string("docker-archive"), std::string("oci-archive"));
    INFO("format " << format);
    const std::string pod = "podman --root " + (sb.dir() / "podman-root").string() + " --runroot " +
                            (sb.dir() / "podman-run").string() + " --storage-driver vfs";
    hostCommand(pod + " pull -q --tls-verify=false " + name);
    const std::string fromPodman = (sb.dir() / "from-podman.tar").string();
    hostCommand(pod + " save -q --format " + format + " -o " + fromPodman + " " + name);
    ::chmod(fromPodman.c_str(), 0644);

    // podman's archive (docker-archive: with the legacy <id>/layer.tar symlinks) loads into hutch.
    Result l = sb.hutch({"load", "-i", fromPodman});
    REQUIRE_RC(l, 0);
    CHECK_R(l, contains(l.out, "Loaded image: " + name + ":latest"));
    Result run = sb.hutch({"run", "--rm", name, "sh", "-c", "echo from-podman"});
    REQUIRE_RC(run, 0);
    CHECK_R(run, contains(run.out, "from-podman"));

    // hutch's archive loads into podman with the id hutch gives it when loading it back (the
    // layers are regenerated, so the config, and the id, may differ from the stored one).
    const std::string fromHutch = (sb.home() / "from-hutch.tar").string();
    Result s = sb.hutch({"save", "-q", "--format", format, "-o", fromHutch, name});
    REQUIRE_RC(s, 0);
    Sandbox other;
    Result l2 = other.hutch({"load", "-q", "-i", fromHutch});
    REQUIRE_RC(l2, 0);
    Result idr = other.hutch({"inspect", "--format", "{{.Id}}", name});
    REQUIRE_RC(idr, 0);
    hostCommand(pod + " rmi -a -f >/dev/null");
    hostCommand(pod + " load -q -i " + fromHutch);
    std::string ids = hostCommand(pod + " images --no-trunc --format '{{.ID}}'");
    CHECK(contains(ids, lastLine(idr.out)));
    hostCommand(pod + " rmi -a -f >/dev/null 2>&1; true");
}

TEST_CASE("e2e: archive names (oci ref.name and docker RepoTags) go under localhost/ when short (as podman)", "[e2e][save]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    struct Case {
        std::string format, ref, name;
    };
    for (const Case& c : {Case{"oci-archive", "a/b:c", "localhost/a/b:c"},
                          Case{"oci-archive", "bareref", "localhost/bareref:latest"},
                          Case{"oci-archive", "quay.io/a/b:c", "quay.io/a/b:c"},
                          // docker save's familiar "busybox:latest" form
                          Case{"docker-archive", "mybox:1", "localhost/mybox:1"},
                          Case{"docker-archive", "quay.io/x/y:2", "quay.io/x/y:2"}}) {
        INFO(c.format << " " << c.ref);
        const std::string archive = (sb.dir() / "skopeo.tar").string();
        ::unlink(archive.c_str());
        hostCommand("skopeo copy -q --src-tls-verify=false docker://" + reg + "/busybox " + c.format + ":" + archive +
                    ":" + c.ref);
        if (c.format == "docker-archive" && c.ref == "mybox:1") {
            // skopeo writes docker.io/library/mybox:1; make it the short form docker save writes.
            hostCommand("cd " + sb.dir().string() + " && rm -rf x && mkdir x && tar -C x -xf skopeo.tar && "
                        "sed -i 's|docker.io/library/mybox:1|mybox:1|' x/manifest.json && "
                        "grep -q '\"mybox:1\"' x/manifest.json && tar -C x -cf skopeo.tar . && rm -rf x");
        }
        ::chmod(archive.c_str(), 0644);
        Result l = sb.hutch({"load", "-q", "-i", archive});
        REQUIRE_RC(l, 0);
        CHECK_R(l, contains(l.out, "Loaded image: " + c.name + "\n"));
        Result i = sb.hutch({"inspect", "--format", "{{.Id}}", c.name});
        CHECK_R(i, i.rc == 0);
    }
}

TEST_CASE("e2e: a load killed half-way leaves a temporary directory that the next load removes", "[e2e][save]") {
    Sandbox sb;
    // What a SIGKILLed load leaves in the store: an unlocked .load-* directory, not recent.
    const fs::path stale = sb.storageRoot() / ".load-Stale1";
    sb.writeFile(stale / "blobs" / "x.tar", std::string(4096, 'x'));
    // One a running load holds (locked) stays, however old.
    const fs::path live = sb.storageRoot() / ".load-Live01";
    sb.writeFile(live / "manifest.json", "[]");
    for (const fs::path& p : {stale, live}) {
        struct timespec old[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
        REQUIRE(::utimensat(AT_FDCWD, p.c_str(), old, 0) == 0);
    }
    int liveFd = ::open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(liveFd >= 0);
    REQUIRE(::flock(liveFd, LOCK_EX | LOCK_NB) == 0);

    sb.writeFile(sb.home() / "junk.tar", "not an archive");
    Result l = sb.hutch({"load", "-i", (sb.home() / "junk.tar").string()});
    CHECK_R(l, l.rc == 125);
    CHECK(!fs::exists(stale));
    CHECK(fs::exists(live / "manifest.json"));
    ::close(liveFd);
    // The failed load removed its own directory too.
    int loadDirs = 0;
    for (const auto& e : fs::directory_iterator(sb.storageRoot()))
        if (e.path().filename().string().rfind(".load-", 0) == 0) ++loadDirs;
    CHECK(loadDirs == 1);
}

TEST_CASE("e2e: an oci-archive saved with extra names has one image and loads into podman", "[e2e][save]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    pullOk(sb, reg + "/busybox");
    const std::string archive = (sb.home() / "extra.tar").string();
    Result s = sb.hutch({"save", "-q", "--format", "oci-archive", "-o", archive, reg + "/busybox", "extra:1"});
    REQUIRE_RC(s, 0);
    // podman refuses an index with more than one manifest ("more than one image in oci").
    nlohmann::json index = nlohmann::json::parse(hostCommand("tar -xOf " + archive + " index.json"));
    REQUIRE(index["manifests"].size() == 1);
    CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == reg + "/busybox:latest");
    const std::string pod = "podman --root " + (sb.dir() / "podman-root").string() + " --runroot " +
                            (sb.dir() / "podman-run").string() + " --storage-driver vfs";
    std::string out = hostCommand(pod + " load -q -i " + archive);
    CHECK(out.find("Loaded image: " + reg + "/busybox:latest") != std::string::npos);
    hostCommand(pod + " rmi -a -f >/dev/null 2>&1; true");
}
