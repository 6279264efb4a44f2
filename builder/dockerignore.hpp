// .containerignore / .dockerignore: which build-context paths are left out of the context.
// Docker's rules (moby/patternmatcher + ignorefile): one pattern a line; lines starting
// with '#' are comments; surrounding white space trimmed; patterns are cleaned like Go's
// filepath.Clean (so `./x` == `x`, `x/` == `x`, a leading `/` is dropped); `*` and `?` never
// match '/', `**` matches any number of directories, `[...]` classes, `\` escapes; a
// pattern matching a directory excludes everything below it; `!pattern` re-includes;
// the last matching pattern wins. Patterns are checked as Go's filepath.Match checks them
// (`[]a]`, `[x-]`, a trailing `\` ... are errors). A pattern that starts with `**` is a
// suffix match (`**file` matches `xfile`), one that is literal up to a final `**` a prefix
// match (`abc**` matches `abcdef/g`), as moby's matcher does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hutch::builder {

/// One pattern line of an ignore file after moby's ignorefile.ReadAll rules.
struct IgnoreLine {
    int line = 0;         ///< 1-based line number in the file
    std::string pattern;  ///< cleaned; exceptions keep their leading '!'
};

class DockerIgnore {
public:
    DockerIgnore() = default;

    /// moby's ignorefile.ReadAll: strips a UTF-8 BOM, skips '#' comment lines and blank
    /// lines, trims white space, cleans each pattern (after a leading '!', which is kept)
    /// and drops a leading '/'. A lone "!" is returned as is (compiling it is the error).
    static std::vector<IgnoreLine> readLines(std::string_view content);

    /// Compiles patterns as moby's patternmatcher.New does (trimmed, cleaned, empty ones
    /// skipped). Throws InvalidArgument for "!" alone or a pattern Go's filepath.Match
    /// rejects ("syntax error in pattern").
    static DockerIgnore fromPatterns(const std::vector<std::string>& patterns);

    /// Parses file content (readLines + fromPatterns). `file` names it in errors. Throws
    /// ConfigError(file, line) for an invalid pattern.
    static DockerIgnore parse(std::string_view content, const std::string& file = ".dockerignore");

    /// Reads `<contextDir>/.containerignore`, else `<contextDir>/.dockerignore` (podman's
    /// order); no file = nothing excluded. Throws ConfigError / SysError.
    static DockerIgnore load(const std::string& contextDir);

    /// True if `path` (relative to the context, '/'-separated; cleaned, a leading "/" is
    /// ignored) is excluded: by a pattern matching it or one of its parent directories,
    /// last match winning (moby's MatchesOrParentMatches). "." is never excluded.
    bool excluded(std::string_view path) const;

    /// True if some pattern is an exception (`!x`).
    bool hasExceptions() const;

    /// True if an exception could re-include something strictly below directory `dir`
    /// (relative, '/'-separated): a walker must then still descend into `dir` when it is
    /// excluded. Conservative: false only when no exception can match there.
    bool mayIncludeBelow(std::string_view dir) const;

    /// The cleaned patterns in file order (exceptions keep their '!').
    const std::vector<std::string>& patterns() const { return text_; }

    /// One compiled glob token (internal; public for the implementation's helpers).
    struct Token {
        enum Kind { Lit, Any, Star, Dirs, Rest, Class } kind = Lit;
        char32_t ch = 0;                                    ///< Lit
        bool negated = false;                               ///< Class
        std::vector<std::pair<char32_t, char32_t>> ranges;  ///< Class
    };

private:
    struct Pattern {
        enum Kind { Exact, Prefix, Suffix, Glob } kind = Exact;
        std::string cleaned;
        bool exception = false;
        std::vector<Token> tokens;                 // Glob
        std::vector<std::vector<Token>> lead;      // leading literal-depth components (mayIncludeBelow)
    };
    static Pattern compile(const std::string& p);
    static bool matchOne(const Pattern& p, const std::string& path);

    std::vector<Pattern> patterns_;
    std::vector<std::string> text_;
};

/// Go's path.Clean for '/'-separated paths ("" -> ".").
std::string cleanPath(std::string_view p);

}  // namespace hutch::builder
