// e2e: run/create flags that shape the container's record and environment (--label,
// --annotation, --cidfile, --replace, --rmi, --env-host, --unsetenv[-all], --tz,
// --no-hostname), ps --filter/--last, --noheading, and pflag's "-t=false" spellings.
// Expectations are podman 4.3's; the cases tagged [podman-ref] run against podman too. The
// others differ from podman 4.3 where hutch is stricter or newer: --tz and --rmi are checked
// at create (4.3 fails at start, has no --rmi), --unsetenv-all also drops HOME and HOSTNAME,
// logs -t prints the RFC 3339 time hutch records.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace hutch::e2e;

TEST_CASE("e2e: --label and --annotation are recorded; ps --filter label= selects by them", "[e2e][runflags][podman-ref]") {
    Sandbox sb;
    sb.writeFile(sb.dir() / "labels", "# comment\nfrom.file=yes\n\nteam=ops\n");
    REQUIRE(sb.hutch({"create", "--name", "lab", "--label", "team=dev", "-l", "empty", "--label-file",
                      (sb.dir() / "labels").string(), "--annotation", "note=hi there", "busybox", "true"})
                .rc == 0);
    REQUIRE(sb.hutch({"create", "--name", "other", "--label", "team=qa", "busybox", "true"}).rc == 0);
    Result l = sb.hutch({"inspect", "--format", "{{.Config.Labels.team}} {{.Config.Labels.from.file}}|{{index .Config.Labels \"from.file\"}}|{{.Config.Annotations.note}}", "lab"});
    REQUIRE_RC(l, 0);
    // --label wins over the label file; annotations keep spaces.
    CHECK_R(l, contains(l.out, "dev"));
    CHECK_R(l, contains(l.out, "|yes|hi there"));
    Result f = sb.hutch({"ps", "-a", "--filter", "label=team=dev", "--format", "{{.Names}}"});
    CHECK_R(f, f.rc == 0);
    CHECK_R(f, f.out == "lab\n");
    Result k = sb.hutch({"ps", "-a", "--filter", "label=team", "--format", "{{.Names}}"});
    CHECK_R(k, lines(k.out).size() == 2);
    Result n = sb.hutch({"ps", "-a", "--filter", "name=oth", "--format", "{{.Names}}"});
    CHECK_R(n, n.out == "other\n");
    Result both = sb.hutch({"ps", "-a", "--filter", "name=lab", "--filter", "name=other", "--format", "{{.Names}}"});
    CHECK_R(both, lines(both.out).size() == 2);  // one key: either value
    Result none = sb.hutch({"ps", "-a", "--filter", "name=lab", "--filter", "label=team=qa", "-q"});
    CHECK_R(none, none.out.empty());  // two keys: both must hold
    Result st = sb.hutch({"ps", "-a", "--filter", "status=created", "-q"});
    CHECK_R(st, lines(st.out).size() == 2);
    Result bad = sb.hutch({"ps", "--filter", "bogus=1"});
    CHECK_R(bad, bad.rc == 125);
    Result last = sb.hutch({"ps", "-a", "--last", "1", "--format", "{{.Names}}"});
    CHECK_R(last, last.out == "other\n");
    Result anno = sb.hutch({"create", "--annotation", "novalue", "busybox"});
    CHECK_R(anno, anno.rc == 125);
}

TEST_CASE("e2e: --cidfile writes the id and refuses an existing file; --replace replaces", "[e2e][runflags]") {
    Sandbox sb;
    std::string cid = (sb.dir() / "cid").string();
    Result c = sb.hutch({"create", "--cidfile", cid, "--name", "c1", "busybox", "true"});
    REQUIRE(c.rc == 0);
    CHECK(hostCommand("cat " + cid) == lastLine(c.out));
    Result again = sb.hutch({"create", "--cidfile", cid, "busybox", "true"});
    CHECK_R(again, again.rc == 125);
    CHECK_R(again, contains(again.err, "container id file exists"));
    Result dup = sb.hutch({"run", "-d", "--name", "c1", "busybox", "sleep", "30"});
    CHECK_R(dup, dup.rc == 125);
    Result rep = sb.hutch({"run", "-d", "--replace", "--name", "c1", "busybox", "sleep", "30"});
    REQUIRE_RC(rep, 0);
    CHECK_R(rep, lastLine(rep.out) != lastLine(c.out));
    Result ids = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ids, lines(ids.out).size() == 1);
    REQUIRE(sb.hutch({"rm", "-f", "-t", "0", "c1"}).rc == 0);
}

TEST_CASE("e2e: --env-host, --unsetenv, --unsetenv-all", "[e2e][runflags]") {
    Sandbox sb;
    RunOptions o;
    o.extraEnv = {"FROM_HOST=h1"};
    Result eh = sb.hutch({"run", "--rm", "--env-host", "-e", "FROM_HOST=over", "busybox", "sh", "-c", "echo $FROM_HOST"}, o);
    CHECK_R(eh, lastLine(eh.out) == "over");
    Result eh2 = sb.hutch({"run", "--rm", "--env-host", "busybox", "sh", "-c", "echo $FROM_HOST"}, o);
    CHECK_R(eh2, lastLine(eh2.out) == "h1");
    Result un = sb.hutch({"run", "--rm", "--unsetenv", "container", "--unsetenv", "HOSTNAME", "busybox", "env"});
    REQUIRE_RC(un, 0);
    CHECK_R(un, !contains(un.out, "container="));
    CHECK_R(un, !contains(un.out, "HOSTNAME="));
    CHECK_R(un, contains(un.out, "PATH="));
    Result all = sb.hutch({"run", "--rm", "--unsetenv-all", "-e", "ONLY=1", "busybox", "/bin/env"});
    REQUIRE_RC(all, 0);
    CHECK_R(all, all.out == "ONLY=1\n");
}

TEST_CASE("e2e: --tz sets /etc/localtime, --no-hostname leaves /etc/hostname alone", "[e2e][runflags]") {
    Sandbox sb;
    Result tz = sb.hutch({"run", "--rm", "--tz", "Asia/Tokyo", "busybox", "date", "+%Z"});
    REQUIRE_RC(tz, 0);
    CHECK_R(tz, lastLine(tz.out) == "JST");
    Result bad = sb.hutch({"run", "--rm", "--tz", "../../../etc/passwd", "busybox", "true"});
    CHECK_R(bad, bad.rc == 125);
    Result nope = sb.hutch({"run", "--rm", "--tz", "Mars/Olympus", "busybox", "true"});
    CHECK_R(nope, nope.rc == 125);
    Result nh = sb.hutch({"run", "--rm", "--no-hostname", "busybox", "sh", "-c", "grep -c ' /etc/hostname ' /proc/self/mountinfo; true"});
    CHECK_R(nh, lastLine(nh.out) == "0");
    Result h = sb.hutch({"run", "--rm", "busybox", "sh", "-c", "grep -c ' /etc/hostname ' /proc/self/mountinfo"});
    CHECK_R(h, lastLine(h.out) == "1");
}

TEST_CASE("e2e: --rmi removes the image after the container", "[e2e][runflags]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    Result r = sb.hutch({"run", "--rmi", "busybox", "echo", "bye"});
    CHECK_R(r, r.rc == 0);
    CHECK_R(r, contains(r.out, "bye"));
    CHECK(sb.hutch({"image", "exists", "busybox"}).rc == 1);
    Result ps = sb.hutch({"ps", "-a", "-q"});
    CHECK_R(ps, ps.out.empty());  // --rmi implies --rm
}

TEST_CASE("e2e: pflag spellings -t=false, -e=K=V and --noheading", "[e2e][runflags][podman-ref]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "--rm", "-t=false", "-i=false", "-e=K=V", "busybox", "sh", "-c", "echo $K; test -t 1 || echo notty"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "V\nnotty\n");
    REQUIRE(sb.hutch({"create", "--name", "nh", "busybox"}).rc == 0);
    Result ps = sb.hutch({"ps", "-a", "--noheading"});
    CHECK_R(ps, ps.rc == 0);
    CHECK_R(ps, !contains(ps.out, "CONTAINER ID"));
    CHECK_R(ps, contains(ps.out, "nh"));
    Result im = sb.hutch({"images", "-n"});
    CHECK_R(im, im.rc == 0);
    CHECK_R(im, !contains(im.out, "REPOSITORY"));
    CHECK_R(im, contains(im.out, "busybox"));
}

TEST_CASE("e2e: images --filter reference=, dangling=, and images IMAGE", "[e2e][runflags][podman-ref]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    pullOk(sb, "layered");
    Result f = sb.hutch({"images", "--filter", "reference=busybox", "--format", "{{.Repository}}"});
    CHECK_R(f, f.rc == 0);
    CHECK_R(f, lines(f.out).size() == 1);
    CHECK_R(f, contains(f.out, "busybox"));
    Result g = sb.hutch({"images", "--filter", "reference=*box*", "-q"});
    CHECK_R(g, lines(g.out).size() == 1);
    Result p = sb.hutch({"images", "layered", "--format", "{{.Repository}}"});
    CHECK_R(p, lines(p.out).size() == 1);
    CHECK_R(p, contains(p.out, "layered"));
    Result none = sb.hutch({"images", "--filter", "reference=nomatch", "-q"});
    CHECK_R(none, none.rc == 0);
    CHECK_R(none, none.out.empty());
    Result d = sb.hutch({"images", "--filter", "dangling=true", "-q"});
    CHECK_R(d, d.out.empty());
    Result bad = sb.hutch({"images", "--filter", "nokey=1"});
    CHECK_R(bad, bad.rc == 125);
}

TEST_CASE("e2e: logs -t, --since and --until select lines by their time", "[e2e][runflags]") {
    Sandbox sb;
    Result r = sb.hutch({"run", "-d", "--name", "lg", "busybox", "sh", "-c", "echo first; sleep 1.2; echo second"});
    REQUIRE_RC(r, 0);
    Result w = sb.hutch({"wait", "lg"});
    REQUIRE_RC(w, 0);
    Result t = sb.hutch({"logs", "-t", "lg"});
    REQUIRE_RC(t, 0);
    auto ls = lines(t.out);
    REQUIRE(ls.size() == 2);
    CHECK(ls[0].substr(ls[0].find(' ') + 1) == "first");
    std::string firstAt = ls[0].substr(0, ls[0].find(' ')), secondAt = ls[1].substr(0, ls[1].find(' '));
    Result since = sb.hutch({"logs", "--since", secondAt, "lg"});  // both ends included, as podman
    CHECK_R(since, since.out == "second\n");
    Result until = sb.hutch({"logs", "--until", firstAt, "lg"});
    CHECK_R(until, until.out == "first\n");
    Result recent = sb.hutch({"logs", "--since", "10m", "lg"});
    CHECK_R(recent, recent.out == "first\nsecond\n");
    Result bad = sb.hutch({"logs", "--since", "yesterday-ish", "lg"});
    CHECK_R(bad, bad.rc == 125);
}

TEST_CASE("e2e: --log-driver none keeps no log; --log-opt path= and max-size= shape the k8s-file log", "[e2e][runflags][podman-ref]") {
    Sandbox sb;
    Result none = sb.hutch({"run", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "unseen"});
    CHECK_R(none, none.rc == 0);
    Result logs = sb.hutch({"logs", "quiet"});
    CHECK_R(logs, logs.rc == 125);
    CHECK_R(logs, contains(logs.err, "'none' log driver"));
    const std::string path = (sb.dir() / "my.log").string();
    REQUIRE(sb.hutch({"run", "-d", "--name", "tolog", "--log-opt", "path=" + path, "busybox", "sh", "-c",
                      "for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"})
                .rc == 0);
    Result w = sb.hutch({"wait", "tolog"});
    CHECK_R(w, lastLine(w.out) == "0");
    CHECK(contains(hostCommand("cat " + path), "line-10"));
    Result l = sb.hutch({"logs", "tolog"});
    CHECK_R(l, lines(l.out).size() == 10);
    Result f = sb.hutch({"inspect", "--format", "{{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Path}}", "tolog"});
    CHECK_R(f, lastLine(f.out) == "k8s-file " + path);
    Result bad = sb.hutch({"run", "--rm", "--log-driver", "bogus", "busybox", "true"});
    CHECK_R(bad, bad.rc == 125);
}
