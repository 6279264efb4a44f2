// e2e: `create` + `start` (-a, -i, --all), `container|image exists`, the `container X` /
// `image X` names of the verbs, and what a container learns about its engine
// (/run/.containerenv, container=podman). Expectations are podman 4.3's; the cases tagged
// [podman-ref] run against podman too (scripts/test.sh step 4a).
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace hutch::e2e;

TEST_CASE("e2e: create makes a container without starting it; start -a runs it attached", "[e2e][create][podman-ref]") {
    Sandbox sb;
    Result c = sb.hutch({"create", "--name", "made", "-e", "GREETING=hi", "busybox", "sh", "-c",
                         "echo out-$GREETING; echo err-line >&2; exit 3"});
    REQUIRE(c.rc == 0);
    std::string id = lastLine(c.out);
    CHECK_R(c, isHexId(id));
    Result st = sb.hutch({"inspect", "--format", "{{.State.Status}}", "made"});
    CHECK_R(st, lastLine(st.out) == "created");
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
    CHECK_R(ps, contains(ps.out, "made Created"));

    Result a = sb.hutch({"start", "-a", "made"});
    CHECK_R(a, a.rc == 3);  // the container's exit code
    CHECK_R(a, a.out == "out-hi\n");
    CHECK_R(a, contains(a.err, "err-line"));
    Result st2 = sb.hutch({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "made"});
    CHECK_R(st2, lastLine(st2.out) == "exited 3");

    // The same name again is refused, nothing else is made.
    Result dup = sb.hutch({"create", "--name", "made", "busybox"});
    CHECK_R(dup, dup.rc == 125);
    CHECK_R(dup, contains(dup.err, "already in use"));
}

TEST_CASE("e2e: start -ai relays stdin to a created -i container", "[e2e][create][podman-ref]") {
    Sandbox sb;
    REQUIRE(sb.hutch({"create", "-i", "--name", "cat", "busybox", "sh", "-c", "read x; echo got-$x"}).rc == 0);
    sb.writeFile(sb.dir() / "in.txt", "hello\n");
    RunOptions o;
    o.stdinFile = (sb.dir() / "in.txt").string();
    Result a = sb.hutch({"start", "-a", "-i", "cat"}, o);
    CHECK_R(a, a.rc == 0);
    CHECK_R(a, a.out == "got-hello\n");
}

TEST_CASE("e2e: start prints each name, --all starts every stopped one, bad arguments are 125", "[e2e][create][podman-ref]") {
    Sandbox sb;
    for (const char* n : {"one", "two"})
        REQUIRE(sb.hutch({"create", "--name", n, "busybox", "sleep", "30"}).rc == 0);
    Result s = sb.hutch({"start", "one"});
    CHECK_R(s, s.rc == 0);
    CHECK_R(s, lastLine(s.out) == "one");
    Result all = sb.hutch({"start", "--all"});
    CHECK_R(all, all.rc == 0);
    Result ps = sb.hutch({"ps", "--format", "{{.Names}}"});
    CHECK_R(ps, contains(ps.out, "one"));
    CHECK_R(ps, contains(ps.out, "two"));

    Result both = sb.hutch({"start", "--all", "one"});
    CHECK_R(both, both.rc == 125);
    Result multi = sb.hutch({"start", "-a", "one", "two"});
    CHECK_R(multi, multi.rc == 125);
    Result none = sb.hutch({"start", "nosuch"});
    CHECK_R(none, none.rc == 125);
    CHECK_R(none, contains(none.err, "nosuch"));
    Result noImage = sb.hutch({"create"});
    CHECK_R(noImage, noImage.rc == 125);
    REQUIRE(sb.hutch({"rm", "-f", "-t", "0", "one", "two"}).rc == 0);
}

TEST_CASE("e2e: container exists and image exists answer with 0 or 1", "[e2e][create][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    REQUIRE(sb.hutch({"create", "--name", "there", "busybox"}).rc == 0);
    CHECK(sb.hutch({"container", "exists", "there"}).rc == 0);
    CHECK(sb.hutch({"container", "exists", "nothere"}).rc == 1);
    CHECK(sb.hutch({"image", "exists", "busybox"}).rc == 0);
    CHECK(sb.hutch({"image", "exists", "no-such-image"}).rc == 1);
    Result q = sb.hutch({"container", "exists"});
    CHECK_R(q, q.rc == 125);
}

TEST_CASE("e2e: container ls/rm and image ls/rm are ps/rm and images/rmi", "[e2e][create][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    REQUIRE(sb.hutch({"container", "create", "--name", "viaalias", "busybox", "true"}).rc == 0);
    Result ls = sb.hutch({"container", "ls", "-a", "--format", "{{.Names}}"});
    CHECK_R(ls, ls.rc == 0);
    CHECK_R(ls, contains(ls.out, "viaalias"));
    Result run = sb.hutch({"container", "run", "--rm", "busybox", "echo", "aliased"});
    CHECK_R(run, lastLine(run.out) == "aliased");
    CHECK(sb.hutch({"container", "rm", "viaalias"}).rc == 0);
    CHECK(sb.hutch({"container", "exists", "viaalias"}).rc == 1);
    Result il = sb.hutch({"image", "ls", "--format", "{{.Repository}}"});
    CHECK_R(il, contains(il.out, "busybox"));
    Result rm = sb.hutch({"image", "rm", "busybox"});
    CHECK_R(rm, rm.rc == 0);
    CHECK(sb.hutch({"image", "exists", "busybox"}).rc == 1);
}

TEST_CASE("e2e: a container sees container=podman and /run/.containerenv", "[e2e][create][podman-ref]") {
    Sandbox sb;
    Result env = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "echo $container; test -f /run/.containerenv && echo has-file"});
    REQUIRE_RC(env, 0);
    CHECK_R(env, contains(env.out, "podman\nhas-file\n"));
    // --privileged: the file names the container (toolbox and distrobox read it).
    Result priv = sb.hutch({"run", "--rm", "--privileged", "--name", "envpriv", "busybox", "cat", "/run/.containerenv"});
    REQUIRE_RC(priv, 0);
    CHECK_R(priv, contains(priv.out, "name=\"envpriv\"\n"));
    CHECK_R(priv, contains(priv.out, "rootless=1\n"));
    CHECK_R(priv, contains(priv.out, "imageid=\""));
}
