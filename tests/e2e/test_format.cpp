// e2e: --format Go templates (common/gotemplate) in inspect, ps, images and info, compared with
// what podman 4.3 prints for the same templates.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace hutch::e2e;

TEST_CASE("e2e: inspect -f runs Go templates like podman", "[e2e][format]") {
    Sandbox sb;
    Result run = sb.hutch({"run", "-d", "--name", "fmt1", "-e", "A=1", "-e", "B=2", "busybox", "sleep", "100"});
    REQUIRE_RC(run, 0);

    Result r = sb.hutch({"inspect", "-f",
                         "{{if .State.Running}}yes{{else}}no{{end}}|{{json .Config.Cmd}}|{{index .Config.Cmd 0}}|"
                         "{{printf \"%s-%d\" .Name 3}}|{{upper .Name}}|{{.Config.Cmd}}|{{len .Config.Cmd}}",
                         "fmt1"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, r.out == "yes|[\"sleep\",\"100\"]|sleep|fmt1-3|FMT1|[sleep 100]|2\n");

    Result env = sb.hutch({"inspect", "-f", "{{range .Config.Env}}{{.}},{{end}}", "fmt1"});
    REQUIRE_RC(env, 0);
    CHECK_R(env, env.out.find("A=1,B=2,") != std::string::npos);

    Result nope = sb.hutch({"inspect", "-f", "{{.Nope}}", "fmt1"});
    CHECK_R(nope, nope.rc == 125);
    CHECK_R(nope, nope.err.find("can't evaluate field Nope") != std::string::npos);
    Result broken = sb.hutch({"inspect", "-f", "{{.Name", "fmt1"});
    CHECK_R(broken, broken.rc == 125);
    CHECK_R(broken, broken.err.find("template: inspect:1: unclosed action") != std::string::npos);
    Result fn = sb.hutch({"inspect", "-f", "{{foo .Name}}", "fmt1"});
    CHECK_R(fn, fn.rc == 125);
    CHECK_R(fn, fn.err.find("function \"foo\" not defined") != std::string::npos);

    Result ps = sb.hutch({"ps", "--format", "table {{.ID}} {{.Names}}"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, ps.out.rfind("CONTAINER ID  NAMES\n", 0) == 0);
    CHECK_R(ps, ps.out.find("  fmt1\n") != std::string::npos);
    Result psPlain = sb.hutch({"ps", "--format", "{{.Names}}\\t{{if eq .State \"running\"}}up{{end}}"});
    REQUIRE_RC(psPlain, 0);
    CHECK_R(psPlain, psPlain.out == "fmt1\tup\n");

    Result rm = sb.hutch({"rm", "-f", "fmt1"});
    CHECK_R(rm, rm.rc == 0);
}

TEST_CASE("e2e: images and info --format use Go templates and podman's field names", "[e2e][format]") {
    Sandbox sb;
    Result pull = sb.hutch({"pull", "busybox"});
    REQUIRE_RC(pull, 0);

    Result t = sb.hutch({"images", "--format", "table {{.Repository}} {{.Tag}}"});
    REQUIRE_RC(t, 0);
    CHECK_R(t, t.out.rfind("REPOSITORY", 0) == 0);
    CHECK_R(t, t.out.find("TAG\n") != std::string::npos);
    CHECK_R(t, t.out.find("latest") != std::string::npos);

    Result info = sb.hutch({"info", "--format", "{{.Store.GraphRoot}}|{{.Host.Arch}}"});
    REQUIRE_RC(info, 0);
    CHECK_R(info, info.out.find('/') == 0);
    CHECK_R(info, info.out.find("|\n") == std::string::npos);
    Result json = sb.hutch({"info", "--format", "json"});
    REQUIRE_RC(json, 0);
    CHECK_R(json, json.out.find("\"graphRoot\"") != std::string::npos);

    Result bad = sb.hutch({"info", "--format", "{{.Store.Nope}}"});
    CHECK_R(bad, bad.rc == 125);
    CHECK_R(bad, bad.err.find("can't evaluate field Nope") != std::string::npos);
}
