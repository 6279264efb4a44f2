// Typed instructions, heredocs and error locations (buildkit instructions/parse_test.go
// cases from ../shared/conformance README section 1c, plus hutch's own).
#include <catch2/catch.hpp>

#include "hutch/builder/instructions.hpp"
#include "hutch/common/error.hpp"

using namespace hutch;
using namespace hutch::builder;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

/// The error message of loading `df` as file "Dockerfile", "" if it loads.
std::string loadError(const std::string& df) {
    try {
        loadDockerfile(df);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("buildkit instruction-level errors (parse_test.go)", "[instructions][conformance]") {
    CHECK_THAT(loadError("FROM busybox\nCOPY   \t \n"), Contains("COPY requires at least two arguments"));
    CHECK_THAT(loadError("FROM busybox\nONBUILD FROM scratch\n"), Contains("FROM isn't allowed as an ONBUILD trigger"));
    CHECK_THAT(loadError("FROM busybox\nONBUILD MAINTAINER x\n"), Contains("MAINTAINER isn't allowed as an ONBUILD trigger"));
    CHECK_THAT(loadError("FROM busybox\nMAINTAINER --boo joe@example.com\n"), Contains("unknown flag: --boo"));
    CHECK_THAT(loadError("FROM busybox\nONBUILD ONBUILD RUN touch foobar\n"),
               Contains("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"));
    CHECK_THAT(loadError("FROM busybox\nFOO bar\n"), Equals("Dockerfile:2: unknown instruction: FOO"));
    CHECK_THAT(loadError("FROM busybox\nfoo bar\n"), Equals("Dockerfile:2: unknown instruction: foo"));
}

TEST_CASE("errors carry file and line", "[instructions]") {
    CHECK_THAT(loadError("FROM busybox\n\n# c\nWORKDIR\n"), Equals("Dockerfile:4: WORKDIR requires exactly one argument"));
    CHECK(loadError("FROM busybox\nWORKDIR /a b\n") == "");  // the rest of the line is the path
    CHECK_THAT(loadError("FROM busybox\nUSER\n"), Equals("Dockerfile:2: USER requires exactly one argument"));
    CHECK_THAT(loadError("FROM a b\n"), Equals("Dockerfile:1: FROM requires either one or three arguments"));
    CHECK_THAT(loadError("FROM a AS 1x\n"), Contains("invalid name for build stage: \"1x\""));
    CHECK_THAT(loadError("FROM busybox\nRUN\n"), Equals("Dockerfile:2: RUN requires at least one argument"));
    CHECK_THAT(loadError("FROM busybox\nCOPY --from=a x\n"),
               Contains("Dockerfile:2: COPY requires at least two arguments, but only one was provided"));
    CHECK_THAT(loadError("FROM busybox\nCOPY --frm=a x y\n"), Equals("Dockerfile:2: unknown flag: --frm"));
    CHECK_THAT(loadError("FROM busybox\nCOPY --from x y\n"), Equals("Dockerfile:2: missing a value on flag: --from"));
    CHECK_THAT(loadError("FROM busybox\nCOPY --link=maybe x y\n"),
               Equals("Dockerfile:2: expecting boolean value for flag --link, not: maybe"));
    CHECK_THAT(loadError("FROM busybox\nSHELL /bin/sh -c\n"), Equals("Dockerfile:2: SHELL requires the arguments to be in JSON form"));
    CHECK_THAT(loadError("FROM busybox\nEXPOSE\n"), Equals("Dockerfile:2: EXPOSE requires at least one argument"));
    CHECK_THAT(loadError("FROM busybox\nSTOPSIGNAL\n"), Equals("Dockerfile:2: STOPSIGNAL requires exactly one argument"));
    CHECK_THAT(loadError("RUN x\nFROM busybox\n"), Equals("Dockerfile:1: no build stage in current context"));
    CHECK_THAT(loadError("FROM busybox\nRUN a \\\n  b\nFOO\n"), Equals("Dockerfile:4: unknown instruction: FOO"));
    CHECK_THAT(loadError("FROM busybox\nRUN <<EOF\necho hi\n"), Contains("Dockerfile:2: unterminated heredoc"));
    CHECK_THAT(loadError("FROM busybox\nENV A\n"), Equals("Dockerfile:2: ENV must have two arguments"));
    CHECK_THAT(loadError("FROM busybox\nLABEL a=b c\n"), Contains("Dockerfile:2: Syntax error - can't find = in \"c\""));
    CHECK_THAT(loadError("FROM busybox\nCMD [\"a\", 1]\n"),
               Contains("Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only"));
    CHECK_THAT(loadError("# escape=x\nFROM busybox\n"), Contains("Dockerfile:1: invalid escape token 'x'"));
    CHECK_THAT(loadError("# escape=`\n# escape=\\\nFROM busybox\n"), Contains("Dockerfile:2: only one escape parser directive"));
    CHECK_THAT(loadError("FROM busybox\nCOPY <<EOF <<B\nx\nEOF\ny\nB\n"), Contains("cannot accept a heredoc as a destination"));
}

TEST_CASE("stages split at FROM, meta ARGs before the first", "[instructions]") {
    auto df = loadDockerfile(
        "ARG BASE=busybox V\n"
        "FROM --platform=linux/amd64 $BASE AS Build\n"
        "ARG V\n"
        "RUN make\n"
        "FROM scratch\n"
        "COPY --from=build --chown=1:2 --chmod=0755 /out/a /out/b /bin/\n"
        "CMD [\"/bin/a\"]\n");
    REQUIRE(df.metaArgs.size() == 2);
    CHECK(df.metaArgs[0].key == "BASE");
    CHECK(df.metaArgs[0].value == std::optional<std::string>("busybox"));
    CHECK_FALSE(df.metaArgs[1].value.has_value());
    REQUIRE(df.stages.size() == 2);
    CHECK(df.stages[0].from.image == "$BASE");
    CHECK(df.stages[0].from.stageName == "build");
    CHECK(df.stages[0].from.platform == "linux/amd64");
    CHECK(df.stages[0].line == 2);
    REQUIRE(df.stages[0].commands.size() == 2);
    CHECK(df.stages[0].commands[1].as<RunInstr>()->cmd.args == std::vector<std::string>{"make"});
    CHECK(df.stages[0].commands[1].as<RunInstr>()->cmd.prependShell);
    const auto* c = df.stages[1].commands[0].as<CopyInstr>();
    REQUIRE(c);
    CHECK(c->from == "build");
    CHECK(c->chown == "1:2");
    CHECK(c->chmod == "0755");
    CHECK(c->sources == std::vector<std::string>{"/out/a", "/out/b"});
    CHECK(c->dest == "/bin/");
    const auto* cmd = df.stages[1].commands[1].as<CmdInstr>();
    CHECK(cmd->cmd.args == std::vector<std::string>{"/bin/a"});
    CHECK_FALSE(cmd->cmd.prependShell);
}

TEST_CASE("every instruction has a typed form", "[instructions]") {
    auto df = loadDockerfile(
        "FROM busybox\n"
        "ENTRYPOINT [\"/init\"]\n"
        "ADD --chown=app a.tar /x/\n"
        "ENV A=1 B=\"two words\"\n"
        "ENV C three words\n"
        "WORKDIR /w\n"
        "USER app:app\n"
        "LABEL a=b \"c d\"=e\n"
        "EXPOSE 80/tcp 443\n"
        "VOLUME [\"/data\", \"/logs\"]\n"
        "STOPSIGNAL SIGTERM\n"
        "HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD curl -f http://x/\n"
        "SHELL [\"/bin/bash\", \"-c\"]\n"
        "ONBUILD RUN echo hi\n"
        "MAINTAINER me <me@x>\n"
        "HEALTHCHECK NONE\n"
        "HEALTHCHECK CMD [\"/bin/check\", \"-q\"]\n");
    const auto& cmds = df.stages.at(0).commands;
    REQUIRE(cmds.size() == 16);
    CHECK(cmds[0].as<EntrypointInstr>()->cmd.args == std::vector<std::string>{"/init"});
    CHECK(cmds[1].as<AddInstr>()->chown == "app");
    CHECK(cmds[1].as<AddInstr>()->sources == std::vector<std::string>{"a.tar"});
    auto env = cmds[2].as<EnvInstr>()->env;
    REQUIRE(env.size() == 2);
    CHECK((env[1].key == "B" && env[1].value == "\"two words\""));
    CHECK(cmds[3].as<EnvInstr>()->env.at(0).value == "three words");
    CHECK(cmds[4].as<WorkdirInstr>()->path == "/w");
    CHECK(cmds[5].as<UserInstr>()->user == "app:app");
    CHECK(cmds[6].as<LabelInstr>()->labels.at(1).key == "\"c d\"");
    CHECK(cmds[7].as<ExposeInstr>()->ports == std::vector<std::string>{"80/tcp", "443"});
    CHECK(cmds[8].as<VolumeInstr>()->volumes == std::vector<std::string>{"/data", "/logs"});
    CHECK(cmds[9].as<StopSignalInstr>()->signal == "SIGTERM");
    const auto* h = cmds[10].as<HealthcheckInstr>();
    CHECK(h->test == std::vector<std::string>{"CMD-SHELL", "curl -f http://x/"});
    CHECK(h->intervalNs == 5'000'000'000LL);
    CHECK(h->timeoutNs == 90'000'000'000LL);
    CHECK(h->retries == 3);
    CHECK(cmds[11].as<ShellInstr>()->shell == std::vector<std::string>{"/bin/bash", "-c"});
    CHECK(cmds[12].as<OnbuildInstr>()->expression == "RUN echo hi");
    CHECK(cmds[13].as<MaintainerInstr>()->maintainer == "me <me@x>");
    CHECK(cmds[14].as<HealthcheckInstr>()->test == std::vector<std::string>{"NONE"});
    CHECK(cmds[15].as<HealthcheckInstr>()->test == std::vector<std::string>{"CMD", "/bin/check", "-q"});
}

TEST_CASE("HEALTHCHECK validation", "[instructions]") {
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK\n"), Contains("HEALTHCHECK requires at least one argument"));
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK CMD\n"), Contains("Missing command after HEALTHCHECK CMD"));
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK NONE x\n"), Contains("HEALTHCHECK NONE takes no arguments"));
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK CONNECT TCP 7000\n"), Contains("Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)"));
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK --interval=1us CMD x\n"), Contains("cannot be less than 1ms"));
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK --interval=-1s CMD x\n"), Contains("cannot be negative"));
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK --retries=-1 CMD x\n"), Contains("--retries cannot be negative (-1)"));
    CHECK_THAT(loadError("FROM b\nHEALTHCHECK --timeout=5 CMD x\n"), Contains("missing unit in duration"));
    CHECK(loadError("FROM b\nHEALTHCHECK --start-period=0s --interval=0s --timeout=0s --retries=0 CMD [\"foo\"]\n") == "");
    CHECK(parseGoDuration("1h2m3.5s") == 3723'500'000'000LL);
    CHECK(parseGoDuration("250ms") == 250'000'000LL);
    CHECK_THROWS_AS(parseGoDuration("1x"), InvalidArgument);
}

TEST_CASE("heredocs: RUN, COPY, <<-, quoted delimiters, several per line", "[instructions][heredoc]") {
    auto df = loadDockerfile(
        "FROM busybox\n"
        "RUN <<EOF\n"
        "echo $HOME\n"
        "EOF\n"
        "RUN <<-'END' bash\n"
        "\t\techo tabbed\n"
        "\tEND\n"
        "COPY <<a.txt <<\"b.txt\" /dst/\n"
        "alpha $X\n"
        "a.txt\n"
        "beta\n"
        "b.txt\n"
        "RUN cat <<EOF1 > /a && cat 3<<EOF2\n"
        "one\n"
        "EOF1\n"
        "two\n"
        "EOF2\n"
        "RUN [\"echo\", \"<<EOF\"]\n"
        "CMD done\n");
    const auto& cmds = df.stages.at(0).commands;
    REQUIRE(cmds.size() == 6);
    CHECK(cmds[0].startLine == 2);
    CHECK(cmds[0].endLine == 4);
    const auto& r0 = cmds[0].as<RunInstr>()->cmd;
    CHECK(r0.args == std::vector<std::string>{"<<EOF"});
    REQUIRE(r0.files.size() == 1);
    CHECK(r0.files[0].name == "EOF");
    CHECK(r0.files[0].content == "echo $HOME\n");
    CHECK(r0.files[0].expand);

    const auto& r1 = cmds[1].as<RunInstr>()->cmd;
    REQUIRE(r1.files.size() == 1);
    CHECK(r1.files[0].name == "END");
    CHECK(r1.files[0].chomp);
    CHECK_FALSE(r1.files[0].expand);
    CHECK(r1.files[0].content == "echo tabbed\n");

    const auto* c = cmds[2].as<CopyInstr>();
    CHECK(c->sources.empty());
    REQUIRE(c->inlineFiles.size() == 2);
    CHECK(c->inlineFiles[0].path == "a.txt");
    CHECK(c->inlineFiles[0].data == "alpha $X\n");
    CHECK(c->inlineFiles[0].expand);
    CHECK(c->inlineFiles[1].path == "b.txt");
    CHECK(c->inlineFiles[1].data == "beta\n");
    CHECK_FALSE(c->inlineFiles[1].expand);
    CHECK(c->dest == "/dst/");

    const auto& r3 = cmds[3].as<RunInstr>()->cmd;
    REQUIRE(r3.files.size() == 2);
    CHECK(r3.files[0].content == "one\n");
    CHECK(r3.files[1].content == "two\n");
    CHECK(r3.files[1].fd == 3);
    CHECK(cmds[3].startLine == 13);
    CHECK(cmds[3].endLine == 17);

    // Exec form never takes heredocs: the next line is an instruction again.
    CHECK(cmds[4].as<RunInstr>()->cmd.files.empty());
    CHECK(cmds[5].as<CmdInstr>()->cmd.args == std::vector<std::string>{"done"});
}

TEST_CASE("heredoc behind ONBUILD and with the backtick escape", "[heredoc]") {
    auto r = parseDockerfile("# escape=`\nFROM x\nONBUILD RUN <<EOF\nhi\nEOF\nRUN a `\n  b\n");
    REQUIRE(r.root.children.size() == 3);
    REQUIRE(r.root.children[1].heredocs.size() == 1);
    CHECK(r.root.children[1].heredocs[0].content == "hi\n");
    CHECK(r.root.children[2].dump() == "run \"a   b\"");
    CHECK(r.escapeToken == '`');
}

TEST_CASE("unterminated heredoc names the start line", "[heredoc]") {
    CHECK_THAT(loadError("FROM b\n\nCOPY <<EOF /x\nabc\n"), Equals("Dockerfile:3: unterminated heredoc \"EOF\" (started on line 3)"));
    CHECK_THAT(loadError("FROM b\nRUN <<-EOF\nabc\n  EOF\n"), Contains("unterminated heredoc"));  // only tabs are stripped
}

TEST_CASE("parser details: BOM, CRLF, directives only at the top, comments kept", "[parser]") {
    auto r = parseDockerfile("\xEF\xBB\xBF# syntax=docker/dockerfile:1\r\n# escape=`\r\n# my base\r\nFROM a `\r\n  AS b\r\n");
    REQUIRE(r.root.children.size() == 1);
    CHECK(r.root.children[0].dump() == "from \"a\" \"AS\" \"b\"");
    // Like buildkit, directive lines count as the comments above the first instruction.
    CHECK(r.root.children[0].comments == std::vector<std::string>{"syntax=docker/dockerfile:1", "escape=`", "my base"});
    auto late = parseDockerfile("FROM a\n# escape=`\nRUN a \\\n b\n");
    CHECK(late.escapeToken == '\\');
    CHECK(late.root.children[1].dump() == "run \"a  b\"");
}

TEST_CASE("expandInstruction expands the fields Docker expands", "[instructions][shell]") {
    auto df = loadDockerfile(
        "FROM busybox\n"
        "ENV A=\"x y\" B=$HOME\n"
        "LABEL \"k $N\"=\"v $N\"\n"
        "WORKDIR /src/${N}\n"
        "USER ${U:-nobody}\n"
        "EXPOSE $PORTS 22\n"
        "VOLUME [\"/v/$N\"]\n"
        "COPY --from=$STAGE --chown=$U:$U <<EOF <<'RAW' a${N}.txt /d/$N/\n"
        "hello $N \"q\" 'r'\n"
        "EOF\n"
        "keep $N\n"
        "RAW\n"
        "RUN echo $N\n"
        "ARG X=\"$N-1\"\n"
        "STOPSIGNAL ${SIG}\n");
    std::map<std::string, std::string> env = {{"HOME", "/root"}, {"N", "7"}, {"PORTS", "80 443/udp"},
                                              {"STAGE", "build"}, {"SIG", "SIGINT"}};
    auto& cmds = df.stages.at(0).commands;
    for (auto& c : cmds) expandInstruction(c, ShellLexer{}, envFromMap(env));
    auto e = cmds[0].as<EnvInstr>()->env;
    CHECK(e[0].value == "x y");
    CHECK(e[1].value == "/root");
    CHECK(cmds[1].as<LabelInstr>()->labels[0].key == "k 7");
    CHECK(cmds[1].as<LabelInstr>()->labels[0].value == "v 7");
    CHECK(cmds[2].as<WorkdirInstr>()->path == "/src/7");
    CHECK(cmds[3].as<UserInstr>()->user == "nobody");
    CHECK(cmds[4].as<ExposeInstr>()->ports == std::vector<std::string>{"80", "443/udp", "22"});
    CHECK(cmds[5].as<VolumeInstr>()->volumes == std::vector<std::string>{"/v/7"});
    const auto* c = cmds[6].as<CopyInstr>();
    CHECK(c->from == "build");
    CHECK(c->chown == ":");
    CHECK(c->sources == std::vector<std::string>{"a7.txt"});
    CHECK(c->dest == "/d/7/");
    CHECK(c->inlineFiles.at(0).data == "hello 7 \"q\" 'r'\n");
    CHECK(c->inlineFiles.at(1).data == "keep $N\n");
    CHECK(cmds[7].as<RunInstr>()->cmd.args == std::vector<std::string>{"echo $N"});  // the shell expands RUN
    CHECK(cmds[8].as<ArgInstr>()->args[0].value == std::optional<std::string>("7-1"));
    CHECK(cmds[9].as<StopSignalInstr>()->signal == "SIGINT");

    auto bad = loadDockerfile("FROM b\n\nWORKDIR ${DIR:?must be set}\n");
    CHECK_THROWS_WITH(expandInstruction(bad.stages[0].commands[0], ShellLexer{}, envFromMap(env), "ctx/Containerfile"),
                      Equals("ctx/Containerfile:3: failed to process \"${DIR:?must be set}\": DIR: must be set"));
}
