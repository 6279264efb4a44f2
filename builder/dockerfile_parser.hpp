// Dockerfile syntax parser: bytes -> parser directives -> logical lines -> node tree.
//
// Implements the grammar of buildkit's frontend/dockerfile/parser (the reference for
// `docker build` and `podman build`): the `# escape=` / `# syntax=` / `# check=` directives
// (only before the first other line), line continuation with the escape character,
// comment and blank lines inside continuations, heredocs for RUN/COPY/ADD (also behind
// ONBUILD), per-instruction argument grammars (JSON exec form with shell-form fall-back,
// ENV/LABEL key/value pairs, whitespace lists, flags `--x`) and buildkit's AST dump format.
// No variable expansion happens here (see shell_word.hpp); unknown instructions are kept
// and rejected by instructions.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hutch::builder {

/// A here-document attached to an instruction (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`).
struct Heredoc {
    std::string name;     ///< delimiter word, quotes removed
    std::string content;  ///< body lines, each with its newline, delimiter line excluded
    bool expand = true;   ///< false when any part of the delimiter was quoted
    bool chomp = false;   ///< `<<-`: leading tabs are stripped (from content only later)
    unsigned fd = 0;      ///< leading file descriptor number, 0 if none
};

/// One node of buildkit's AST. The root's `children` are the instructions. An
/// instruction node has `value` = keyword as written, `flags` (`--x=y` words), and its
/// arguments in `next` (buildkit's linked list, flattened). An ONBUILD instruction's single
/// argument node has no value and the nested instruction as its only child.
struct Node {
    std::string value;
    std::vector<std::string> flags;
    std::vector<Node> next;
    std::vector<Node> children;
    std::vector<Heredoc> heredocs;
    bool json = false;                  ///< arguments came from a JSON array (exec form)
    std::string original;               ///< the logical line (continuations joined)
    std::vector<std::string> comments;  ///< comment lines directly above the instruction
    int startLine = 0;                  ///< 1-based first physical line
    int endLine = 0;                    ///< 1-based last physical line (heredoc bodies included)

    /// buildkit's Node.Dump(): `(<keyword lowercased> ["--flag"...] "arg" ...)` per child
    /// of the root, one per line; arguments Go-quoted (strconv.Quote).
    std::string dump() const;
};

/// Result of parsing a whole Dockerfile.
struct ParseResult {
    Node root;                          ///< children = instructions; start/endLine span them
    std::vector<std::string> warnings;  ///< e.g. "Empty continuation line found in: RUN ..."
    char escapeToken = '\\';            ///< '\\' or '`' from the escape directive
};

/// Parses Dockerfile text. `file` names the file in errors.
/// Throws ConfigError(file, line, msg) for: an invalid or repeated directive, a line longer
/// than 65535 bytes, a JSON array with non-string elements, `ENV`/`LABEL` without a value,
/// a key/value word without '=', an unterminated heredoc, and a file with no instructions.
ParseResult parseDockerfile(std::string_view data, const std::string& file = "Dockerfile");

/// Parses one heredoc marker word (`<<EOF`, `<<-'EOF'`, `2<<EOF`); false if `word` is not one.
/// Used by COPY/ADD to tell heredoc sources from paths. Throws InvalidArgument on a
/// malformed delimiter (unterminated quote).
bool parseHeredocWord(std::string_view word, Heredoc& out);

/// Strips leading tabs from every line of `content` (the `<<-` rule).
std::string chompHeredocContent(std::string_view content);

}  // namespace hutch::builder
