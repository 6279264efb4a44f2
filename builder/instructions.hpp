// Typed Dockerfile instructions: node tree (dockerfile_parser.hpp) -> one struct per
// instruction, validated, grouped into build stages split at FROM (buildkit's
// frontend/dockerfile/instructions rules). Arguments stay unexpanded (raw words, quotes
// included, as written); the builder expands them per stage with shell_word.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hutch/builder/dockerfile_parser.hpp"
#include "hutch/builder/shell_word.hpp"

namespace hutch::builder {

/// A command line of RUN/CMD/ENTRYPOINT/HEALTHCHECK: exec form (JSON array, run as is)
/// or shell form (one string, run with the stage's SHELL).
struct CommandLine {
    std::vector<std::string> args;  ///< exec form: the array; shell form: one joined string
    bool prependShell = false;      ///< true for shell form
    std::vector<Heredoc> files;     ///< heredocs of the line (content chomped for `<<-`)
};

/// A key/value of ENV or LABEL (value raw: quotes are removed by expansion).
struct KeyValue {
    std::string key;
    std::string value;
};

/// One ARG name with its optional default (raw).
struct ArgDecl {
    std::string key;
    std::optional<std::string> value;
};

/// An inline file of COPY/ADD given as a heredoc source (`COPY <<EOF /dst`).
struct SourceContent {
    std::string path;  ///< the heredoc's name
    std::string data;
    bool expand = true;
};

struct FromInstr {
    std::string image;
    std::string stageName;  ///< lower-cased `AS` name, empty if none
    std::string platform;
};
struct RunInstr {
    CommandLine cmd;
    std::vector<std::string> mounts;  ///< --mount values as written
    std::string network;              ///< --network (default|none|host), empty if unset
    std::string security;             ///< --security (sandbox|insecure), empty if unset
};
struct CmdInstr {
    CommandLine cmd;
};
struct EntrypointInstr {
    CommandLine cmd;
};
struct CopyInstr {
    std::vector<std::string> sources;         ///< path sources (globs allowed)
    std::vector<SourceContent> inlineFiles;   ///< heredoc sources
    std::string dest;
    std::string from;   ///< --from stage name/index or image, empty if none
    std::string chown;  ///< --chown user[:group]
    std::string chmod;  ///< --chmod octal
    bool link = false;
    bool parents = false;
    std::vector<std::string> excludes;
};
struct AddInstr {
    std::vector<std::string> sources;
    std::vector<SourceContent> inlineFiles;
    std::string dest;
    std::string chown;
    std::string chmod;
    std::string checksum;
    bool link = false;
    bool keepGitDir = false;
    std::vector<std::string> excludes;
};
struct EnvInstr {
    std::vector<KeyValue> env;
};
struct ArgInstr {
    std::vector<ArgDecl> args;
};
struct WorkdirInstr {
    std::string path;
};
struct UserInstr {
    std::string user;
};
struct LabelInstr {
    std::vector<KeyValue> labels;
};
struct ExposeInstr {
    std::vector<std::string> ports;
};
struct VolumeInstr {
    std::vector<std::string> volumes;
};
struct StopSignalInstr {
    std::string signal;
};
/// HEALTHCHECK: test is {"NONE"}, {"CMD", args...} or {"CMD-SHELL", line}, as in the image
/// config. Durations in nanoseconds, 0 = inherit/default.
struct HealthcheckInstr {
    std::vector<std::string> test;
    int64_t intervalNs = 0;
    int64_t timeoutNs = 0;
    int64_t startPeriodNs = 0;
    int64_t startIntervalNs = 0;
    int retries = 0;
};
struct ShellInstr {
    std::vector<std::string> shell;
};
struct OnbuildInstr {
    std::string expression;  ///< the trigger line without "ONBUILD", as stored in the image
};
struct MaintainerInstr {
    std::string maintainer;
};

using InstructionBody =
    std::variant<FromInstr, RunInstr, CmdInstr, EntrypointInstr, CopyInstr, AddInstr, EnvInstr, ArgInstr,
                 WorkdirInstr, UserInstr, LabelInstr, ExposeInstr, VolumeInstr, StopSignalInstr,
                 HealthcheckInstr, ShellInstr, OnbuildInstr, MaintainerInstr>;

/// One instruction with its place in the file.
struct Instruction {
    std::string keyword;   ///< lower case: "run", "copy", ...
    std::string original;  ///< the logical line as written (for history / cache keys)
    int startLine = 0;
    int endLine = 0;
    InstructionBody body;

    template <typename T>
    const T* as() const { return std::get_if<T>(&body); }
};

/// A build stage: its FROM and the instructions up to the next FROM.
struct Stage {
    FromInstr from;
    int line = 0;
    std::string original;
    std::vector<Instruction> commands;
};

/// A parsed, validated Dockerfile.
struct Dockerfile {
    std::vector<ArgDecl> metaArgs;  ///< ARGs before the first FROM
    std::vector<Stage> stages;
    std::vector<std::string> warnings;
    char escapeToken = '\\';
};

/// Converts one instruction node. Throws ConfigError(file, node.startLine, msg) with
/// buildkit's messages: `unknown instruction: FOO` (as written), `unknown flag: --x`,
/// `RUN requires at least one argument`, `COPY requires at least two arguments`,
/// `WORKDIR requires exactly one argument`, `FROM requires either one or three arguments`,
/// `SHELL requires the arguments to be in JSON form`, ``Chaining ONBUILD via `ONBUILD
/// ONBUILD` isn't allowed``, `FROM isn't allowed as an ONBUILD trigger`, ...
Instruction parseInstruction(const Node& node, const std::string& file = "Dockerfile");

/// Node tree -> stages. Besides parseInstruction's errors: an instruction other than ARG
/// before the first FROM (`no build stage in current context`). Throws ConfigError.
Dockerfile parseInstructions(const ParseResult& ast, const std::string& file = "Dockerfile");

/// parseDockerfile + parseInstructions.
Dockerfile loadDockerfile(std::string_view data, const std::string& file = "Dockerfile");

/// Expands variables in place the way Docker does before an instruction is dispatched,
/// with `env` = the stage's ENV plus the ARGs in scope and `lexer.escapeToken` = the
/// Dockerfile's escape token. Expanded (quotes removed): ENV and LABEL keys and values,
/// ARG defaults, WORKDIR, USER, STOPSIGNAL, VOLUME paths, EXPOSE (each entry split into
/// words), COPY/ADD sources, destination, --from, --chown, --chmod, --checksum, FROM's
/// image and --platform; the data of heredoc sources whose delimiter was not quoted gets
/// its variables replaced but keeps its quotes.
/// Left alone: RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER (the shell
/// or a later build sees them). Throws ConfigError(file, instruction line, reason).
void expandInstruction(Instruction& in, const ShellLexer& lexer, const EnvLookup& env,
                       const std::string& file = "Dockerfile");

/// Parses a Go duration ("1m30s", "100ms", "0") into nanoseconds. Throws InvalidArgument.
int64_t parseGoDuration(std::string_view s);

}  // namespace hutch::builder
