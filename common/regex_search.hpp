// Searching a user's regular expression (a --filter value) without the risks of std::regex,
// whose matcher recurses once per subject character and overflows the stack on long input.
#pragma once

#include <optional>
#include <string>

namespace hutch::regex {

/// Limit on a pattern's size, in bytes and in bytes once its bounded repetitions are expanded
/// ("(ab){3}" counts as 6): glibc's compiler is superlinear in the expanded size.
inline constexpr size_t kMaxPatternSize = 4096;

/// Whether POSIX extended regular expression `pattern` matches somewhere in `subject`
/// (glibc's regcomp/regexec: no recursion on the subject). RE2/Go spellings that ERE lacks are
/// translated first: "(?:" -> "(", \d -> [0-9], \D -> [^0-9] (outside bracket expressions).
/// Returns nullopt when the pattern is not a valid expression. Throws InvalidArgument naming
/// `what` when it is larger than kMaxPatternSize, nests deeper than 1000 groups or repeats
/// more than 1000 times ("{1001}"), as RE2 refuses those.
std::optional<bool> search(const std::string& pattern, const std::string& subject, const std::string& what);

}  // namespace hutch::regex
