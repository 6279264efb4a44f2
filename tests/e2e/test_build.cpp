// e2e: `hutch build` as the unprivileged user against the local registry's busybox:
// multi-step builds (RUN, COPY with .dockerignore, ENV/WORKDIR/USER/CMD), multi-stage with
// COPY --from, the build cache, RUN failures, --format, -q and --iidfile.
#include "harness.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

size_t count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

std::string busybox() { return testEnv().registry + "/busybox"; }

}  // namespace

TEST_CASE("e2e: build runs RUN, COPY with .dockerignore and config steps, the image runs with them", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "ctx",
                       {{"Dockerfile", "FROM " + busybox() + "\n"
                                       "ENV GREETING=hello DIR=/app\n"
                                       "WORKDIR $DIR\n"
                                       "RUN echo \"$GREETING from run\" > made.txt && echo run-output-line\n"
                                       "COPY . /ctx/\n"
                                       "COPY data/one.txt ./\n"
                                       "USER 1000:1000\n"
                                       "CMD [\"sh\", \"-c\", \"cat made.txt one.txt; id -u; ls /ctx\"]\n"},
                        {".dockerignore", "secret*\n*.log\n"},
                        {"data/one.txt", "one\n"},
                        {"secret.key", "nope\n"},
                        {"build.log", "nope\n"}});
    Result b = sb.hutch({"build", "-t", "multi", dir.string()}, RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "STEP 1/8: FROM " + busybox()));
    CHECK_R(b, contains(b.out, "STEP 4/8: RUN echo \"$GREETING from run\" > made.txt && echo run-output-line"));
    CHECK_R(b, contains(b.out, "run-output-line"));
    CHECK_R(b, contains(b.out, "COMMIT multi"));
    CHECK_R(b, contains(b.out, "Successfully tagged localhost/multi:latest"));
    const std::string id = lastLine(b.out);
    REQUIRE(isHexId(id));
    CHECK_R(b, contains(b.out, "--> " + id.substr(0, 11)));

    Result r = sb.hutch({"run", "--rm", "multi"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, contains(r.out, "hello from run\none\n1000\n"));
    CHECK_R(r, contains(r.out, "Dockerfile"));
    CHECK_R(r, contains(r.out, "data"));
    CHECK_R(r, !contains(r.out, "secret.key"));
    CHECK_R(r, !contains(r.out, "build.log"));

    // Copied files belong to root; the working containers are gone.
    Result own = sb.hutch({"run", "--rm", "--user", "0", "multi", "stat", "-c", "%u:%g %a", "/app/one.txt"});
    REQUIRE_RC(own, 0);
    CHECK_R(own, lastLine(own.out).rfind("0:0 ", 0) == 0);
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, lastLine(ps.out).empty());

    // The build's intermediate images are hidden from `images` unless -a.
    Result imgs = sb.hutch({"images", "-q"});
    REQUIRE_RC(imgs, 0);
    CHECK_R(imgs, lines(imgs.out).size() == 2);  // busybox and multi
    Result all = sb.hutch({"images", "-a", "-q"});
    REQUIRE_RC(all, 0);
    INFO(b.out);
    CHECK_R(all, lines(all.out).size() == 8);  // busybox + one per step after FROM

    Result hist = sb.hutch({"inspect", "--type", "image", "multi"});
    REQUIRE_RC(hist, 0);
    json j = json::parse(hist.out);
    CHECK(j[0]["Config"]["WorkingDir"] == "/app");
    CHECK(j[0]["Config"]["User"] == "1000:1000");
}

TEST_CASE("e2e: build multi-stage with COPY --from a stage name and an index, --target", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "ms",
                       {{"Containerfile", "ARG BASE=" + busybox() + "\n"
                                          "FROM $BASE AS builder\n"
                                          "ARG MSG=default\n"
                                          "RUN mkdir /out && echo \"art $MSG\" > /out/artifact\n"
                                          "FROM ${BASE} AS second\n"
                                          "RUN echo second > /second\n"
                                          "FROM $BASE\n"
                                          "COPY --from=builder /out/artifact /artifact\n"
                                          "COPY --from=1 /second /second\n"
                                          "CMD cat /artifact /second\n"}});
    Result b = sb.hutch({"build", "--build-arg", "MSG=given", "-t", "ms", dir.string()},
                        RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "[1/3] STEP 1/3: FROM " + busybox() + " AS builder"));
    CHECK_R(b, contains(b.out, "[3/3] STEP 2/4: COPY --from=builder /out/artifact /artifact"));
    CHECK_R(b, contains(b.out, "[3/3] COMMIT ms"));
    Result r = sb.hutch({"run", "--rm", "ms"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "art given\nsecond\n");
    // Only the target is tagged; no working container is left.
    Result imgs = sb.hutch({"images", "--format", "{{.Repository}}:{{.Tag}}"});
    REQUIRE_RC(imgs, 0);
    CHECK_R(imgs, count(imgs.out, "localhost/") == 1);
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, lastLine(ps.out).empty());

    SECTION("--target stops at the named stage") {
        Result t = sb.hutch({"build", "--target", "builder", "-t", "onlybuilder", dir.string()});
        REQUIRE_RC(t, 0);
        CHECK_R(t, !contains(t.out, "[2/"));
        CHECK_R(t, contains(t.out, "STEP 3/3: RUN"));
        Result r2 = sb.hutch({"run", "--rm", "onlybuilder", "cat", "/out/artifact"});
        REQUIRE_RC(r2, 0);
        CHECK_R(r2, r2.out == "art default\n");  // another build arg value: not the cached step
    }
    SECTION("an unknown --from stage fails with the Dockerfile line") {
        sb.writeFile(dir / "Bad", "FROM " + busybox() + "\nCOPY --from=nosuch /a /b\n");
        Result bad = sb.hutch({"build", "-f", (dir / "Bad").string(), dir.string()});
        REQUIRE_RC(bad, 125);
        CHECK_R(bad, contains(bad.err, "Bad:2"));
        CHECK_R(bad, contains(bad.err, "--from=nosuch"));
    }
}

TEST_CASE("e2e: build cache: a rebuild uses the cache, a changed COPY source reruns from that step", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "cache",
                       {{"Dockerfile", "FROM " + busybox() + "\n"
                                       "RUN echo first > /first\n"
                                       "COPY a.txt /a.txt\n"
                                       "RUN cat /a.txt > /copy && echo ran-after-copy\n"
                                       "ENV DONE=1\n"},
                        {"a.txt", "version 1\n"}});
    auto build = [&] { return sb.hutch({"build", "-t", "cached", dir.string()}, RunOptions::withTimeout(std::chrono::seconds(180))); };
    Result b1 = build();
    REQUIRE_RC(b1, 0);
    CHECK_R(b1, !contains(b1.out, "Using cache"));
    const std::string id1 = lastLine(b1.out);

    Result b2 = build();
    REQUIRE_RC(b2, 0);
    CHECK_R(b2, count(b2.out, "--> Using cache ") == 4);
    CHECK_R(b2, !contains(b2.out, "\nran-after-copy\n"));  // no container ran
    CHECK_R(b2, lastLine(b2.out) == id1);

    sb.writeFile(dir / "a.txt", "version 2\n");
    Result b3 = build();
    REQUIRE_RC(b3, 0);
    CHECK_R(b3, count(b3.out, "--> Using cache ") == 1);  // only the first RUN
    CHECK_R(b3, contains(b3.out, "\nran-after-copy\n"));
    CHECK_R(b3, lastLine(b3.out) != id1);
    Result r = sb.hutch({"run", "--rm", "cached", "cat", "/copy"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "version 2\n");

    Result nc = sb.hutch({"build", "--no-cache", "-t", "cached", dir.string()});
    REQUIRE_RC(nc, 0);
    CHECK_R(nc, !contains(nc.out, "Using cache"));
    CHECK_R(nc, contains(nc.out, "\nran-after-copy\n"));
}

TEST_CASE("e2e: build fails on a failing RUN with its exit status and removes the working container", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "fail", {{"Dockerfile", "FROM " + busybox() + "\nRUN echo before\nRUN exit 3\n"}});
    Result b = sb.hutch({"build", dir.string()});
    REQUIRE_RC(b, 3);
    CHECK_R(b, contains(b.err, "Error: building at STEP \"RUN exit 3\": while running runtime: exit status 3"));
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, lastLine(ps.out).empty());

    SECTION("a missing COPY source names the Dockerfile line") {
        sb.writeFile(dir / "Dockerfile", "FROM " + busybox() + "\n\nCOPY nosuch /x\n");
        Result c = sb.hutch({"build", dir.string()});
        REQUIRE_RC(c, 125);
        CHECK_R(c, contains(c.err, "Dockerfile:3"));
        CHECK_R(c, contains(c.err, "nosuch: no such file or directory"));
    }
    SECTION("an unset ${V:?} names the line") {
        sb.writeFile(dir / "Dockerfile", "FROM " + busybox() + "\nENV X=${V:?}\n");
        Result c = sb.hutch({"build", dir.string()});
        REQUIRE_RC(c, 125);
        CHECK_R(c, contains(c.err, "Dockerfile:2"));
        CHECK_R(c, contains(c.err, "V: is not allowed to be unset"));
    }
    SECTION("an unknown instruction and a bad flag exit 125") {
        sb.writeFile(dir / "Dockerfile", "FROM " + busybox() + "\nFOO bar\n");
        Result c = sb.hutch({"build", dir.string()});
        REQUIRE_RC(c, 125);
        CHECK_R(c, contains(c.err, "Dockerfile:2"));
        Result f = sb.hutch({"build", "--bogus", dir.string()});
        REQUIRE_RC(f, 125);
    }
}

TEST_CASE("e2e: build --format docker vs oci, -q and --iidfile", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "fmt",
                       {{"Dockerfile", "FROM " + busybox() + "\nHEALTHCHECK CMD true\nRUN touch /made\n"}});
    Result oci = sb.hutch({"build", "-q", "--iidfile", (sb.dir() / "iid").string(), "-t", "fmt-oci", dir.string()});
    REQUIRE_RC(oci, 0);
    CHECK_R(oci, lines(oci.out).size() == 1);
    CHECK_R(oci, isHexId(oci.out));
    CHECK_R(oci, contains(oci.err, "HEALTHCHECK is not supported for OCI image format"));
    CHECK(readFile(sb.dir() / "iid") == "sha256:" + lastLine(oci.out));

    Result dock = sb.hutch({"build", "--format", "docker", "-t", "fmt-docker", dir.string()});
    REQUIRE_RC(dock, 0);
    CHECK_R(dock, lastLine(dock.out) != lastLine(oci.out));

    Result io = sb.hutch({"inspect", "--type", "image", "fmt-oci"});
    REQUIRE_RC(io, 0);
    json jo = json::parse(io.out)[0];
    CHECK(jo.value("ManifestType", "") == "application/vnd.oci.image.manifest.v1+json");
    CHECK_FALSE(jo["Config"].contains("Healthcheck"));
    Result id = sb.hutch({"inspect", "--type", "image", "fmt-docker"});
    REQUIRE_RC(id, 0);
    json jd = json::parse(id.out)[0];
    CHECK(jd.value("ManifestType", "") == "application/vnd.docker.distribution.manifest.v2+json");
    CHECK(jd["Config"].contains("Healthcheck"));
}

TEST_CASE("e2e: an image built by hutch runs under podman, and one built by podman runs under hutch", "[e2e][build][push]") {
    // Through the registry: hutch build + push, podman pull + run; podman build + push,
    // hutch pull + run. podman runs as root in a private vfs store of the sandbox (with
    // ulimits this host allows: runc cannot raise root's here).
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string pod = "podman --root " + (sb.dir() / "podman-root").string() + " --runroot " +
                            (sb.dir() / "podman-run").string() + " --storage-driver vfs";
    const std::string ulimits = " --ulimit nofile=1024:1024 --ulimit nproc=1024:1024";

    const std::string ours = reg + "/interop/hutch-built:" + uniqueTag();
    auto dir = writeTree(sb, "ours",
                       {{"Dockerfile", "FROM " + busybox() + "\nCOPY msg /msg\nRUN echo built-by-hutch >> /msg && rm /bin/vi\n"
                                       "CMD [\"cat\", \"/msg\"]\n"},
                        {"msg", "hello\n"}});
    Result b = sb.hutch({"build", "-q", "-t", ours, dir.string()});
    REQUIRE_RC(b, 0);
    Result p = sb.hutch({"push", "--tls-verify=false", ours}, RunOptions::withTimeout(std::chrono::seconds(300)));
    REQUIRE_RC(p, 0);
    hostCommand(pod + " pull -q --tls-verify=false " + ours);
    std::string out = hostCommand(pod + " run --rm" + ulimits + " " + ours);
    CHECK(out == "hello\nbuilt-by-hutch\n");
    out = hostCommand(pod + " run --rm" + ulimits + " " + ours + " sh -c 'test -e /bin/vi && echo vi-there || echo vi-gone'");
    CHECK(out == "vi-gone\n");  // the RUN's whiteout holds under podman too

    const std::string theirs = reg + "/interop/podman-built:" + uniqueTag();
    auto pdir = writeTree(sb, "theirs",
                        {{"Dockerfile", "FROM " + busybox() + "\nRUN echo built-by-podman > /m && rm /bin/vi\nCMD [\"cat\", \"/m\"]\n"}});
    hostCommand(pod + " build -q --tls-verify=false --network host" + ulimits + " -t " + theirs + " " + pdir.string());
    hostCommand(pod + " push -q --tls-verify=false " + theirs);
    pullOk(sb, theirs);
    Result r = sb.hutch({"run", "--rm", theirs});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "built-by-podman\n");
    Result vi = sb.hutch({"run", "--rm", theirs, "sh", "-c", "test -e /bin/vi && echo vi-there || echo vi-gone"});
    CHECK_R(vi, vi.out == "vi-gone\n");
    hostCommand(pod + " rmi -a -f >/dev/null 2>&1; true");
}

TEST_CASE("e2e: build the issue's nginx example on the systemd image and run it", "[e2e][build][slow][network]") {
    testEnv();
    const char* sys = std::getenv("HUTCH_TEST_SYSTEMD_IMAGE");
    if (!sys || !*sys) {
        WARN("HUTCH_TEST_SYSTEMD_IMAGE is not set: the nginx build example is not run");
        return;
    }
    Sandbox sb;
    auto dir = writeTree(sb, "nginx",
                       {{"Dockerfile", std::string("FROM ") + sys + "\n"
                                       "RUN set -xe \\\n"
                                       "    && apt-get update \\\n"
                                       "    && apt-get install -y --no-install-recommends nginx \\\n"
                                       "    && rm -rf /var/lib/apt/lists/*\n"
                                       "COPY site.conf /etc/nginx/sites-enabled/default\n"
                                       "CMD [\"/bin/systemd\"]\n"},
                        {"site.conf", "server {\n  listen 80 default_server;\n  root /var/www/html;\n"
                                      "  location / { return 200 'hutch-built\\n'; }\n}\n"}});
    Result b = sb.hutch({"build", "--format=docker", "-f", (dir / "Dockerfile").string(), "-t", "pkgtest", dir.string()},
                        RunOptions::withTimeout(std::chrono::seconds(600)));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "Successfully tagged localhost/pkgtest:latest"));
    Result d = sb.hutch({"run", "-d", "--name", "t", "pkgtest"});
    REQUIRE_RC(d, 0);
    Result active;
    for (int i = 0; i < 100; ++i) {
        active = sb.hutch({"exec", "t", "systemctl", "is-active", "nginx"});
        if (lastLine(active.out) == "active") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    CHECK_R(active, lastLine(active.out) == "active");
    Result stop = sb.hutch({"rm", "-f", "t"}, RunOptions::withTimeout(std::chrono::seconds(60)));
    CHECK_R(stop, stop.rc == 0);
}

namespace {

/// A one-file ustar archive (`name` with `data`, mode 0644, owner 0:0).
std::string ustar(const std::string& name, const std::string& data) {
    std::string h(512, '\0');
    auto put = [&](size_t off, const std::string& s) { h.replace(off, s.size(), s); };
    auto octal = [](uint64_t v, int width) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%0*llo", width - 1, static_cast<unsigned long long>(v));
        return std::string(buf);
    };
    put(0, name);
    put(100, octal(0644, 8));
    put(108, octal(0, 8));
    put(116, octal(0, 8));
    put(124, octal(data.size(), 12));
    put(136, octal(1700000000, 12));
    put(148, "        ");
    h[156] = '0';
    put(257, "ustar");
    put(263, "00");
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    put(148, octal(sum, 7));
    std::string body = data + std::string((512 - data.size() % 512) % 512, '\0');
    return h + body + std::string(1024, '\0');
}

}  // namespace

TEST_CASE("e2e: build ADD extracts a local tar and fetches a URL, COPY --chown, RUN --network none", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "add",
                       {{"Dockerfile", "FROM " + busybox() + "\n"
                                       "ADD files.tar /unpacked/\n"
                                       "ADD http://" + testEnv().registry + "/v2/ /fetched/\n"
                                       "COPY --chown=1000:1001 --chmod=600 plain.txt /owned.txt\n"
                                       "RUN --network=none cat /unpacked/inside.txt && ls /fetched\n"},
                        {"plain.txt", "plain\n"}});
    sb.writeFile(dir / "files.tar", ustar("inside.txt", "from the tar\n"));
    Result b = sb.hutch({"build", "-t", "added", dir.string()}, RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "from the tar\n"));
    CHECK_R(b, (contains(b.out, "\nv2\n") || contains(b.out, "download\n")));
    Result r = sb.hutch({"run", "--rm", "added", "stat", "-c", "%u:%g %a", "/owned.txt"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, lastLine(r.out) == "1000:1001 600");
    Result net = sb.hutch({"inspect", "--type", "image", "added", "--format", "{{json .History}}"});
    REQUIRE_RC(net, 0);
    CHECK_R(net, contains(net.out, "ADD file:"));
    CHECK_R(net, contains(net.out, "COPY file:"));

    sb.writeFile(dir / "Sum", "FROM " + busybox() + "\nADD --checksum=sha256:" + std::string(64, '0') + " http://" +
                                  testEnv().registry + "/v2/ /x\n");
    Result bad = sb.hutch({"build", "-f", (dir / "Sum").string(), dir.string()});
    REQUIRE_RC(bad, 125);
    CHECK_R(bad, contains(bad.err, "Sum:2"));
    CHECK_R(bad, contains(bad.err, "digest mismatch"));
}

TEST_CASE("e2e: build --squash makes the build's layers one layer on the base", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "sq",
                       {{"Dockerfile", "FROM " + busybox() + "\n"
                                       "RUN echo a > /a && mkdir -p /d && echo gone > /d/gone\n"
                                       "RUN rm /d/gone && echo b > /b\n"
                                       "COPY f.txt /f.txt\n"},
                        {"f.txt", "f\n"}});
    Result plain = sb.hutch({"build", "-t", "unsquashed", dir.string()});
    REQUIRE_RC(plain, 0);
    Result b = sb.hutch({"build", "--squash", "-t", "squashed", dir.string()});
    REQUIRE_RC(b, 0);
    auto layers = [&](const std::string& name) {
        Result i = sb.hutch({"inspect", "--type", "image", name});
        REQUIRE_RC(i, 0);
        return json::parse(i.out)[0]["RootFS"]["Layers"].size();
    };
    CHECK(layers("unsquashed") == 4);
    CHECK(layers("squashed") == 2);
    Result r = sb.hutch({"run", "--rm", "squashed", "sh", "-c", "cat /a /b /f.txt; ls /d; test -e /d/gone || echo no-gone"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "a\nb\nf\nno-gone\n");
}

TEST_CASE("e2e: build heredocs, build args in RUN, SHELL with --format docker, FROM scratch", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "misc",
                       {{"Dockerfile", "FROM " + busybox() + " AS base\n"
                                       "ARG WHO=nobody\n"
                                       "ENV FIXED=env-wins\n"
                                       "ARG FIXED=arg-loses\n"
                                       "RUN <<EOF\n"
                                       "echo \"script for $WHO $FIXED\" > /script.out\n"
                                       "EOF\n"
                                       "COPY <<EOT /inline.txt\n"
                                       "inline $WHO\n"
                                       "EOT\n"
                                       "SHELL [\"/bin/sh\", \"-e\", \"-c\"]\n"
                                       "RUN cat /script.out /inline.txt > /all.txt\n"
                                       "FROM scratch\n"
                                       "COPY --from=base /all.txt /bin/busybox /\n"
                                       "ENTRYPOINT [\"/busybox\", \"cat\"]\n"
                                       "CMD [\"/all.txt\"]\n"}});
    Result b = sb.hutch({"build", "--format", "docker", "--build-arg", "WHO=me", "--build-arg", "UNUSED=1", "-t", "misc",
                         dir.string()});
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.err, "UNUSED"));
    Result r = sb.hutch({"run", "--rm", "misc"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "script for me env-wins\ninline me\n");
    Result i = sb.hutch({"inspect", "--type", "image", "misc"});
    REQUIRE_RC(i, 0);
    CHECK(json::parse(i.out)[0]["RootFS"]["Layers"].size() == 1);
    // RUN's history names the build args it saw (buildah's "|N K=V" prefix; ENV wins over FIXED).
    Result base = sb.hutch({"images", "-a", "--no-trunc", "-q"});
    REQUIRE_RC(base, 0);
    bool found = false;
    std::string all;
    for (const auto& id : lines(base.out)) {
        Result h = sb.hutch({"inspect", "--type", "image", id.substr(7), "--format", "{{json .History}}"});
        all += h.out;
        if (h.out.find("|1 WHO=me /bin/sh -c cat /script.out /inline.txt") != std::string::npos) found = true;
    }
    INFO(all);
    CHECK(found);
}

TEST_CASE("e2e: build runs the base image's ONBUILD triggers (docker format)", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "onb",
                       {{"Parent", "FROM " + busybox() + "\nONBUILD RUN echo triggered > /trig\n"},
                        {"Child", "FROM parent\nRUN cat /trig\n"}});
    Result p = sb.hutch({"build", "--format", "docker", "-f", (dir / "Parent").string(), "-t", "parent", dir.string()});
    REQUIRE_RC(p, 0);
    Result c = sb.hutch({"build", "--format", "docker", "-f", (dir / "Child").string(), "-t", "child", dir.string()});
    REQUIRE_RC(c, 0);
    CHECK_R(c, contains(c.out, "\ntriggered\n"));
    Result i = sb.hutch({"inspect", "--type", "image", "child"});
    REQUIRE_RC(i, 0);
    CHECK_FALSE(json::parse(i.out)[0]["Config"].contains("OnBuild"));
}

TEST_CASE("e2e: build takes a relative context, -f and --iidfile from the working directory", "[e2e][build]") {
    Sandbox sb;  // hutch runs in the sandbox's home directory (harness.cpp)
    auto dir = writeTree(sb, "home/rel", {{"Containerfile", "FROM " + busybox() + "\nCOPY x /x\n"}, {"x", "x\n"},
                                        {"other/Alt", "FROM " + busybox() + "\nCOPY x /alt\n"}});
    Result b = sb.hutch({"build", "--iidfile", "rel/iid", "-t", "relative", "rel"});
    REQUIRE_RC(b, 0);
    CHECK(readFile(dir / "iid") == "sha256:" + lastLine(b.out));
    Result f = sb.hutch({"build", "-f", "rel/other/Alt", "-t", "alt", "rel"});
    REQUIRE_RC(f, 0);
    Result r = sb.hutch({"run", "--rm", "alt", "cat", "/alt"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "x\n");
}

TEST_CASE("e2e: the next build removes the working container a killed build left", "[e2e][build][crash]") {
    Sandbox sb;
    auto dir = writeTree(sb, "killed", {{"Dockerfile", "FROM " + busybox() + "\nRUN sleep 120\n"}});
    Child build = sb.spawn({"build", dir.string()});
    auto buildNames = [&] {
        Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
        std::vector<std::string> out;
        for (const auto& l : lines(ps.out))
            if (l.rfind("hutch-build-", 0) == 0) out.push_back(l);
        return out;
    };
    std::vector<std::string> left;
    for (int i = 0; i < 100 && left.empty(); ++i) {
        left = buildNames();
        if (left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(left.size() == 1);  // the RUN step's container
    build.killGroup(SIGKILL);
    build.wait(std::chrono::seconds(10));
    CHECK(buildNames() == left);  // SIGKILL: nothing could remove it
    // A build's marker directory is trusted for 10 s after it is made (fsutil::TempDir).
    std::this_thread::sleep_for(std::chrono::seconds(11));
    auto next = writeTree(sb, "next", {{"Dockerfile", "FROM " + busybox() + "\nRUN true\n"}});
    Result b = sb.hutch({"build", next.string()});
    REQUIRE_RC(b, 0);
    CHECK(buildNames().empty());
}

// Issue 13: `RUN touch /Főtanúsítvány.pem` could not be committed ("Can't translate pathname
// ... to UTF-8"); Debian's ca-certificates makes such names. A name is any byte string: UTF-8
// or not, it survives commit, push + pull (and podman's reading of the layer), save + load
// and export.
TEST_CASE("e2e: non-ASCII and non-UTF-8 file names through build, push, podman, save, load, export", "[e2e][build][push]") {
    Sandbox sb;
    const std::string utf8 = "F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem";
    const std::string latin1 = "caf\xe9";
    auto dir = writeTree(sb, "names",
                       {{"Dockerfile", "FROM " + busybox() + "\nRUN mkdir /n && touch /n/" + utf8 +
                                           " \"/n/$(printf 'caf\\351')\" && ln -s " + utf8 + " /n/link\n"}});
    Result b = sb.hutch({"build", "-q", "-t", "names", dir.string()});
    REQUIRE_RC(b, 0);
    // busybox ls shows '?' for bytes it cannot print; a shell glob gives them as they are
    const std::vector<std::string> list = {"sh", "-c", "for f in /n/*; do echo \"${f#/n/}\"; done"};
    const std::string want = utf8 + "\n" + latin1 + "\nlink\n";
    std::vector<std::string> args = {"run", "--rm", "names"};
    args.insert(args.end(), list.begin(), list.end());
    Result ls = sb.hutch(args);
    REQUIRE_RC(ls, 0);
    CHECK_R(ls, ls.out == want);
    Result target = sb.hutch({"run", "--rm", "names", "readlink", "/n/link"});
    CHECK_R(target, target.out == utf8 + "\n");

    // push, pull into a fresh store, and podman reads the same names
    const std::string ref = testEnv().registry + "/names:" + uniqueTag();
    Result tag = sb.hutch({"tag", "names", ref});
    REQUIRE_RC(tag, 0);
    Result push = sb.hutch({"push", "--tls-verify=false", ref}, RunOptions::withTimeout(std::chrono::seconds(300)));
    REQUIRE_RC(push, 0);
    {
        Sandbox fresh;
        pullOk(fresh, ref);
        std::vector<std::string> a = {"run", "--rm", ref};
        a.insert(a.end(), list.begin(), list.end());
        Result r = fresh.hutch(a);
        CHECK_R(r, r.out == want);
    }
    const std::string pod = "podman --root " + (sb.dir() / "podman-root").string() + " --runroot " +
                            (sb.dir() / "podman-run").string() + " --storage-driver vfs";
    std::string out = hostCommand(pod + " run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --tls-verify=false " +
                                  ref + " sh -c 'for f in /n/*; do echo \"${f#/n/}\"; done'");
    CHECK(out == want);
    hostCommand(pod + " rmi -a -f >/dev/null 2>&1; true");

    // save, rmi, load: the same names
    const std::string archive = (sb.dir() / "names.tar").string();
    Result save = sb.hutch({"save", "-o", archive, "names"});
    REQUIRE_RC(save, 0);
    Result rmi = sb.hutch({"rmi", "-f", "names", ref});
    REQUIRE_RC(rmi, 0);
    Result load = sb.hutch({"load", "-i", archive});
    REQUIRE_RC(load, 0);
    std::vector<std::string> a2 = {"run", "--name", "exp", "names"};
    a2.insert(a2.end(), list.begin(), list.end());
    Result again = sb.hutch(a2);
    CHECK_R(again, again.out == want);

    // export: the names are in the tar as they are
    const std::string exported = (sb.dir() / "exp.tar").string();
    Result ex = sb.hutch({"export", "-o", exported, "exp"});
    REQUIRE_RC(ex, 0);
    std::string tar = readFile(exported);
    CHECK(contains(tar, "n/" + utf8));
    CHECK(contains(tar, "n/" + latin1));
}

TEST_CASE("e2e: rmi of a built image removes its untagged parents, not a tagged base or a shared parent",
          "[e2e][build][rmi]") {
    Sandbox sb;
    auto dir = writeTree(sb, "rmi",
                       {{"A", "FROM " + busybox() + "\nENV SHARED=1\nRUN echo a > /a\nCOPY --chown=12 f.txt /f\n"},
                        {"B", "FROM " + busybox() + "\nENV SHARED=1\nRUN echo b > /b\n"},
                        {"f.txt", "f\n"}});
    auto build = [&](const std::string& file, const std::string& tag) {
        Result b = sb.hutch({"build", "-f", (dir / file).string(), "-t", tag, dir.string()},
                            RunOptions::withTimeout(std::chrono::seconds(180)));
        REQUIRE_RC(b, 0);
        return lastLine(b.out);
    };
    auto all = [&] {
        Result r = sb.hutch({"images", "-a", "-q", "--no-trunc"});
        REQUIRE_RC(r, 0);
        return lines(r.out);
    };
    build("A", "ra");
    REQUIRE(all().size() == 4);  // busybox, ENV, RUN, ra
    build("B", "rb");            // its ENV step comes from the cache: a parent shared with ra
    REQUIRE(all().size() == 5);
    // COPY --chown=12 gives 12:12 (a numeric user without a group: gid = uid, as buildah).
    Result own = sb.hutch({"run", "--rm", "ra", "stat", "-c", "%u:%g", "/f"});
    REQUIRE_RC(own, 0);
    CHECK_R(own, lastLine(own.out) == "12:12");

    Result rm = sb.hutch({"rmi", "ra"});
    REQUIRE_RC(rm, 0);
    CHECK_R(rm, count(rm.out, "Deleted: ") == 2);  // ra and its RUN step; the ENV step has rb below it
    CHECK(all().size() == 3);
    Result rm2 = sb.hutch({"rmi", "rb"});
    REQUIRE_RC(rm2, 0);
    CHECK_R(rm2, count(rm2.out, "Deleted: ") == 2);  // rb and the ENV step; busybox is tagged
    auto left = all();
    CHECK(left.size() == 1);
    Result bb = sb.hutch({"images", "--format", "{{.Repository}}"});
    REQUIRE_RC(bb, 0);
    CHECK_R(bb, contains(bb.out, busybox()));

    // A parent used by a container stays.
    Result again = sb.hutch({"build", "-f", (dir / "A").string(), "-t", "ra", dir.string()},
                            RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(again, 0);
    std::vector<std::string> stepIds;  // "--> ID" after each step: ENV, RUN, COPY
    for (const auto& l : lines(again.out))
        if (l.rfind("--> ", 0) == 0 && l.find("Using cache") == std::string::npos) stepIds.push_back(l.substr(4));
    INFO(again.out);
    REQUIRE(stepIds.size() == 3);
    Result c = sb.hutch({"run", "--name", "user", stepIds[1], "true"});
    REQUIRE_RC(c, 0);
    Result rm3 = sb.hutch({"rmi", "ra"});
    REQUIRE_RC(rm3, 0);
    CHECK_R(rm3, count(rm3.out, "Deleted: ") == 1);
    CHECK(all().size() == 3);  // busybox, ENV, the RUN step the container uses
}

TEST_CASE("e2e: build .dockerignore `**` with `!keep.txt` copies keep.txt only", "[e2e][build]") {
    Sandbox sb;
    auto dir = writeTree(sb, "ign",
                       {{"Dockerfile", "FROM " + busybox() + "\nCOPY . /ctx/\nRUN find /ctx | sort\n"},
                        {".dockerignore", "**\n!./keep.txt\n"},
                        {"keep.txt", "k\n"},
                        {"secret.txt", "s\n"},
                        {"secrets/id_rsa", "key\n"}});
    Result b = sb.hutch({"build", "-t", "ign", dir.string()}, RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "/ctx/keep.txt"));
    CHECK_R(b, !contains(b.out, "secret"));
    CHECK_R(b, !contains(b.out, "/ctx/Dockerfile"));
}
