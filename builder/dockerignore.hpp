// .containerignore / .dockerignore: which build-context paths are left out of the context.
// Docker's rules (moby/patternmatcher + ignorefile): one pattern a line; lines starting
// with '#' are comments; surrounding white space trimmed; patterns are cleaned like Go's
// filepath.Clean (so `./x` == `x`, `x/` == `x`, a leading `/` is dropped); `*` and `?` never
// match '/', `**` matches any number of directories, `[...]` classes, `\` escapes; a
// pattern matching a directory excludes everything below it; `!pattern` re-includes;
// the last matching pattern wins.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::builder {

class DockerIgnore {
public:
    DockerIgnore() = default;

    /// Parses file content. `file` names it in errors. Throws ConfigError(file, line) for an
    /// invalid pattern (a lone `!`, an unterminated `[`).
    static DockerIgnore parse(std::string_view content, const std::string& file = ".dockerignore");

    /// Reads `<contextDir>/.containerignore`, else `<contextDir>/.dockerignore` (podman's
    /// order); no file = nothing excluded. Throws ConfigError / SysError.
    static DockerIgnore load(const std::string& contextDir);

    /// True if `path` (relative to the context, '/'-separated; a leading "./" or "/" is
    /// ignored) is excluded: by a pattern matching it or one of its parent directories,
    /// last match winning (Docker's MatchesOrParentMatches).
    bool excluded(std::string_view path) const;

    /// True if some pattern is an exception (`!x`): a walker must then still descend into
    /// excluded directories, as something below may be re-included.
    bool hasExceptions() const;

    /// The cleaned patterns in file order (exceptions keep their '!').
    const std::vector<std::string>& patterns() const { return text_; }

private:
    struct Pattern {
        std::string cleaned;
        bool exception = false;
        std::regex re;
    };
    static Pattern compile(const std::string& p);
    bool matchOne(const Pattern& p, const std::string& path) const;

    std::vector<Pattern> patterns_;
    std::vector<std::string> text_;
};

/// Go's path.Clean for '/'-separated paths ("" -> ".").
std::string cleanPath(std::string_view p);

}  // namespace hutch::builder
