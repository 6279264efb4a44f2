// e2e: hostile or unusual input to the CLI and from images. Long values (never a stack
// overflow, values podman accepts work), bytes that are not UTF-8 (reach the container's execve
// unchanged, never nlohmann's type_error.316), flag values that would break /etc/hosts or
// resolv.conf (exit 125 naming the flag), comma lists of capabilities, deep --format nesting.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace hutch::e2e;

namespace {

const std::string kCafe = "caf\xe9";  // Latin-1 "café": not UTF-8

/// The bytes of $1 as od prints them: " 63 61 66 e9".
const std::vector<std::string> kOdArg = {"sh", "-c", "printf %s \"$1\" | od -An -tx1", "_"};

std::string squash(const std::string& s) {  // od's spacing varies: keep single spaces
    std::string out;
    for (char c : s) {
        if (c == '\n') c = ' ';
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace

TEST_CASE("e2e: arguments and environment that are not UTF-8 reach the container unchanged", "[e2e][bytes]") {
    Sandbox sb;
    pullOk(sb, "busybox");

    SECTION("an argument") {
        auto args = std::vector<std::string>{"run", "--rm", "busybox"};
        args.insert(args.end(), kOdArg.begin(), kOdArg.end());
        args.push_back(kCafe);
        Result r = sb.hutch(args);
        REQUIRE_RC(r, 0);
        CHECK_R(r, squash(r.out) == "63 61 66 e9");
        CHECK_R(r, !contains(r.err, "type_error"));
    }
    SECTION("-e and --env-file values") {
        sb.writeFile(sb.home() / "env.list", "F=" + kCafe + "\n");
        Result r = sb.hutch({"run", "--rm", "-e", "K=\xff", "--env-file", (sb.home() / "env.list").string(), "busybox",
                             "sh", "-c", "printf %s \"$K|$F\" | od -An -tx1"});
        REQUIRE_RC(r, 0);
        CHECK_R(r, squash(r.out) == "ff 7c 63 61 66 e9");
    }
    SECTION("a kept container: inspect shows them, start and exec pass them on") {
        std::string id = runDetached(sb, {"--name", "bytes", "-e", "K=" + kCafe, "busybox", "sleep", "300"});
        Result in = sb.hutch({"inspect", "--format", "json", "bytes"});
        REQUIRE_RC(in, 0);
        CHECK_R(in, contains(in.out, "K=caf\xef\xbf\xbd"));  // U+FFFD, as podman's JSON
        Result ps = sb.hutch({"ps", "--format", "json"});
        REQUIRE_RC(ps, 0);
        Result ex = sb.hutch({"exec", "-e", "X=\xfe", "bytes", "sh", "-c", "printf %s \"$K|$X|$1\" | od -An -tx1", "_",
                              kCafe});
        REQUIRE_RC(ex, 0);
        CHECK_R(ex, squash(ex.out) == "63 61 66 e9 7c fe 7c 63 61 66 e9");
        Result rm = sb.hutch({"rm", "-f", "bytes"});
        REQUIRE_RC(rm, 0);
    }
}

TEST_CASE("e2e: long values: a 64 KB -e value, a 64 KB Env and a 200 KB label from an image", "[e2e][long]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    const std::string big(64 * 1024, 'e');
    Result r = sb.hutch({"run", "--rm", "-e", "BIG=" + big, "busybox", "sh", "-c", "echo ${#BIG}"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, lastLine(r.out) == "65536");

    // An image whose config holds them: built from a Dockerfile (the label is past what one
    // argument may hold; a Dockerfile line has at most 64 KiB, hence the continuation lines),
    // then run, which validates the config as a pulled one is.
    fs::path dir = sb.home() / "ctx";
    std::string label;
    for (int i = 0; i < 8; ++i) label += (i ? "\\\n" : "") + std::string(25 * 1024, 'l');
    sb.writeFile(dir / "Dockerfile", "FROM busybox\nENV BIG=" + std::string(32 * 1024, 'e') + "\\\n" +
                                         std::string(32 * 1024, 'e') + "\nLABEL big=" + label + "\n");
    Result b = sb.hutch({"build", "-q", "-t", "longvals", dir.string()}, RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(b, 0);
    Result run = sb.hutch({"run", "--rm", "longvals", "sh", "-c", "echo ${#BIG}"});
    REQUIRE_RC(run, 0);
    CHECK_R(run, lastLine(run.out) == "65536");
    Result in = sb.hutch({"image", "inspect", "--format", "{{len .Labels.big}}", "longvals"});
    REQUIRE_RC(in, 0);
    CHECK_R(in, lastLine(in.out) == std::to_string(200 * 1024));
}

TEST_CASE("e2e: a 100 KB image reference or --filter, a 120 KB --format is an error, not a crash", "[e2e][long]") {
    Sandbox sb;
    Result ref = sb.hutch({"pull", std::string(100 * 1024, 'a')});
    CHECK_R(ref, ref.rc == 125);
    CHECK_R(ref, contains(ref.err, "must not be more than 255 characters"));
    Result ref2 = sb.hutch({"pull", "a:" + std::string(100 * 1024, 'b')});
    CHECK_R(ref2, ref2.rc == 125);

    Result vc = sb.hutch({"volume", "create", "vol1"});
    REQUIRE_RC(vc, 0);
    Result f = sb.hutch({"volume", "ls", "-q", "--filter", "name=" + std::string(100 * 1024, 'v')});
    CHECK_R(f, f.rc == 125);
    CHECK_R(f, contains(f.err, "--filter name="));
    CHECK_R(f, contains(f.err, "102400 bytes"));
    Result ok = sb.hutch({"volume", "ls", "-q", "--filter", "name=^vol\\d$"});
    REQUIRE_RC(ok, 0);
    CHECK_R(ok, lines(ok.out) == std::vector<std::string>{"vol1"});

    std::string deep;  // one argument holds at most 128 KiB
    for (int i = 0; i < 15000; ++i) deep += "{{if 1}}";
    Result t = sb.hutch({"volume", "ls", "--format", deep});
    CHECK_R(t, t.rc == 125);
    CHECK_R(t, contains(t.err, "nesting deeper than 100"));
    Result p = sb.hutch({"ps", "--format", "{{" + std::string(60000, '(') + "1" + std::string(60000, ')') + "}}"});
    CHECK_R(p, p.rc == 125);
    CHECK_R(p, contains(p.err, "nesting deeper than 100"));
}

TEST_CASE("e2e: flag values that would break /etc/hosts or resolv.conf fail with 125 naming the flag", "[e2e][input]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    struct Case {
        std::vector<std::string> flags;
        std::string flag;
    };
    for (const auto& c : {Case{{"--add-host", "evil\n6.6.6.6 good:1.2.3.4"}, "--add-host"},
                          Case{{"--add-host", "foo:notip"}, "--add-host"},
                          Case{{"--dns-search", "a\nnameserver 6.6.6.6"}, "--dns-search"},
                          Case{{"--dns-option", "ndots:1\nnameserver 6.6.6.6"}, "--dns-option"},
                          Case{{"-h", "x250\n6.6.6.6 evil"}, "--hostname"},
                          Case{{"--dns", "not-an-ip"}, "--dns"},
                          Case{{"--stop-timeout", "-5"}, "--stop-timeout"}}) {
        std::vector<std::string> args{"run", "--rm"};
        args.insert(args.end(), c.flags.begin(), c.flags.end());
        args.insert(args.end(), {"busybox", "true"});
        Result r = sb.hutch(args);
        CHECK_R(r, r.rc == 125);
        CHECK_R(r, contains(r.err, c.flag));
    }
    Result ls = sb.hutch({"ps", "-a", "-q"});
    REQUIRE_RC(ls, 0);
    CHECK_R(ls, ls.out.empty());  // nothing was created

    Result ok = sb.hutch({"run", "--rm", "-h", "x250.home", "--add-host", "db.local:10.0.0.5", "--dns-search",
                          "example.com", "--dns", "192.0.2.53", "busybox", "sh", "-c",
                          "hostname; grep db.local /etc/hosts; grep -c search /etc/resolv.conf"});
    REQUIRE_RC(ok, 0);
    auto ls2 = lines(ok.out);
    REQUIRE(ls2.size() == 3);
    CHECK(ls2[0] == "x250.home");
    CHECK(contains(ls2[1], "10.0.0.5"));
    CHECK(ls2[2] == "1");
}

TEST_CASE("e2e: --cap-add and --cap-drop take comma lists, any case, CAP_ prefix, ALL", "[e2e][caps]") {
    Sandbox sb;
    pullOk(sb, "busybox");
    // CapEff of the container's process: NET_ADMIN is bit 12, NET_RAW bit 13, CHOWN bit 0.
    Result r = sb.hutch({"run", "--rm", "--cap-add", "NET_ADMIN,net_raw", "--cap-drop", "cap_chown,KILL", "busybox", "sh",
                         "-c", "grep CapEff /proc/self/status"});
    REQUIRE_RC(r, 0);
    std::string hex = lastLine(r.out).substr(lastLine(r.out).find_first_of("0123456789abcdef", 7));
    unsigned long long eff = std::stoull(hex, nullptr, 16);
    CHECK_R(r, (eff >> 12 & 1) == 1);
    CHECK_R(r, (eff >> 13 & 1) == 1);
    CHECK_R(r, (eff & 1) == 0);
    CHECK_R(r, (eff >> 5 & 1) == 0);  // KILL
    Result all = sb.hutch({"run", "--rm", "--cap-drop", "all", "--cap-add", "ALL,chown", "busybox", "true"});
    REQUIRE_RC(all, 0);
    Result bad = sb.hutch({"run", "--rm", "--cap-add", "NET_ADMIN,", "busybox", "true"});
    CHECK_R(bad, bad.rc == 125);
    CHECK_R(bad, contains(bad.err, "\"CAP_\": unknown capability"));
}
