// Internal helpers of the builder module: UTF-8 decoding and the character classes and
// quoting of Go's standard library that buildkit's Dockerfile grammar is defined with.
// Not part of the module's public API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hutch::builder::detail {

/// One decoded UTF-8 character: `cp` is the code point (0xFFFD for an invalid byte) and
/// `len` the number of bytes it took (1 for an invalid byte, 0 at end of input).
struct Rune {
    char32_t cp = 0;
    size_t len = 0;
};

/// Decodes the character starting at s[pos] (pos <= s.size()).
Rune decodeRune(std::string_view s, size_t pos);
/// Appends the UTF-8 encoding of `cp`.
void appendRune(std::string& out, char32_t cp);
/// Go's unicode.IsSpace.
bool isSpace(char32_t cp);
/// Go's unicode.IsLetter (ASCII letters exactly; other scripts approximated: every
/// non-ASCII code point outside the punctuation, symbol and space blocks).
bool isLetter(char32_t cp);
/// Go's unicode.IsDigit for ASCII digits (other decimal digits are not recognised).
bool isDigit(char32_t cp);
/// strings.TrimSpace: strips Unicode white space at both ends.
std::string trimSpace(std::string_view s);
/// strings.TrimLeftFunc(s, unicode.IsSpace).
std::string_view trimLeftSpace(std::string_view s);
/// Splits on runs of [\t\v\f\r ] like regexp `[\t\v\f\r ]+`.Split(s, n) (n < 0: all).
std::vector<std::string> splitWhitespace(std::string_view s, int n);
/// ASCII lower case.
std::string lower(std::string_view s);
/// ASCII upper case.
std::string upper(std::string_view s);
/// Go's strconv.Quote: double-quoted, with Go escape sequences for `"`, `\`, control
/// characters, invalid UTF-8 and non-printable code points.
std::string goQuote(std::string_view s);

}  // namespace hutch::builder::detail
