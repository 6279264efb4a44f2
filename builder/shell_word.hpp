// Docker's variable substitution and word splitting for Dockerfile arguments (the rules
// of buildkit's frontend/dockerfile/shell lexer, a subset of POSIX sh word expansion):
// `$V`, `${V}`, `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}`, `${V:?msg}`, `${V?msg}`,
// single and double quotes, the escape character (`\` or the Dockerfile's `# escape=`),
// positional/special parameters (`$1`, `$@`, ... always unset).
// Not supported (error "unsupported modifier"): `${V=w}` assignment forms and the pattern
// operators `#`, `%`, `/`.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hutch/common/error.hpp"

namespace hutch::builder {

/// Looks a variable up: its value, or nullopt when unset (set-but-empty is "").
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// An EnvLookup over a map (name -> value; absent = unset).
EnvLookup envFromMap(const std::map<std::string, std::string>& env);

/// Expansion failed: unterminated quote, bad `${...}` syntax, or a `${V:?msg}` / `${V?msg}`
/// whose variable is unset (or empty, for `:?`). what() is
/// `failed to process "<word>": <reason>`; for `?` the reason is `V: msg` (default messages
/// `is not allowed to be unset` / `is not allowed to be empty`).
class ShellWordError : public InvalidArgument {
public:
    using InvalidArgument::InvalidArgument;
};

/// The lexer. Options mirror buildkit's shell.Lex.
struct ShellLexer {
    char32_t escapeToken = '\\';
    bool rawQuotes = false;          ///< keep quote characters in the result
    bool rawEscapes = false;         ///< keep escape characters in the result
    bool skipUnsetEnv = false;       ///< leave references to unset variables as written
    bool skipProcessQuotes = false;  ///< treat quotes as ordinary characters

    /// Expands `word` to one string (quotes removed, no splitting): ENV/ARG/LABEL values,
    /// WORKDIR, USER, COPY --chown, ... Throws ShellWordError.
    std::string processWord(std::string_view word, const EnvLookup& env) const;

    /// Expands `word` and splits it into words on unquoted white space (also white space
    /// that came from unquoted `$V` values): EXPOSE, VOLUME and FROM lists, COPY sources in
    /// shell form. Empty words are dropped. Throws ShellWordError.
    std::vector<std::string> processWords(std::string_view word, const EnvLookup& env) const;
};

/// lexer.processWord(word, env) for an instruction at `file`:`line`: a ShellWordError
/// becomes ConfigError(file, line, its message), e.g.
/// `Dockerfile:3: failed to process "${V:?}": V: is not allowed to be unset`.
std::string expandWordAt(const ShellLexer& lexer, std::string_view word, const EnvLookup& env,
                         const std::string& file, int line);

/// lexer.processWords with the same error location as expandWordAt.
std::vector<std::string> expandWordsAt(const ShellLexer& lexer, std::string_view word, const EnvLookup& env,
                                       const std::string& file, int line);

}  // namespace hutch::builder
