// Word expansion edge cases beyond buildkit's tables.
#include <catch2/catch.hpp>

#include "hutch/builder/shell_word.hpp"

using namespace hutch;
using namespace hutch::builder;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {
const std::map<std::string, std::string> kEnv = {{"A", "a"}, {"EMPTY", ""}, {"SP", " x  y "}, {"ARG", "x"}};
std::string word(std::string_view w, char32_t esc = '\\') {
    ShellLexer l;
    l.escapeToken = esc;
    return l.processWord(w, envFromMap(kEnv));
}
std::vector<std::string> words(std::string_view w) { return ShellLexer{}.processWords(w, envFromMap(kEnv)); }
}  // namespace

TEST_CASE("expansion operators on set, empty and unset variables", "[shell]") {
    CHECK(word("${A:-d}|${EMPTY:-d}|${UNSET:-d}") == "a|d|d");
    CHECK(word("${A-d}|${EMPTY-d}|${UNSET-d}") == "a||d");
    CHECK(word("${A:+p}|${EMPTY:+p}|${UNSET:+p}") == "p||");
    CHECK(word("${A+p}|${EMPTY+p}|${UNSET+p}") == "p|p|");
    CHECK(word("${A:?m}${A?m}${EMPTY?m}") == "aa");
    CHECK(word("$A$A${A}_$A_") == "aaa_");  // $A_ is the unset variable A_
}

TEST_CASE("mandatory variables: the error names the variable and the message", "[shell]") {
    CHECK_THROWS_WITH(word("${UNSET:?}"), Equals("failed to process \"${UNSET:?}\": UNSET: is not allowed to be unset"));
    CHECK_THROWS_WITH(word("${EMPTY:?}"), Equals("failed to process \"${EMPTY:?}\": EMPTY: is not allowed to be empty"));
    CHECK_THROWS_WITH(word("${UNSET?}"), Contains("UNSET: is not allowed to be unset"));
    // lex_test.go: the message is itself expanded.
    CHECK_THROWS_WITH(word("${VAR:?message here$ARG}"), Contains("VAR: message herex"));
    CHECK_THROWS_AS(word("${UNSET:?x}"), ShellWordError);
}

TEST_CASE("expandWordAt puts file and line on the error", "[shell]") {
    CHECK_THROWS_WITH(expandWordAt(ShellLexer{}, "/app/${DIR:?set DIR}", envFromMap(kEnv), "Containerfile", 7),
                      Equals("Containerfile:7: failed to process \"/app/${DIR:?set DIR}\": DIR: set DIR"));
    CHECK_THROWS_AS(expandWordsAt(ShellLexer{}, "'open", envFromMap(kEnv), "Dockerfile", 2), ConfigError);
    CHECK(expandWordAt(ShellLexer{}, "$A", envFromMap(kEnv), "Dockerfile", 1) == "a");
}

TEST_CASE("quotes, escapes and the backtick escape token", "[shell]") {
    CHECK(word("\"$A\"'$A'\\$A") == "a$A$A");
    CHECK(word("\"a\\\"b\"") == "a\"b");
    CHECK(word("C:\\path\\$A", '`') == "C:\\path\\a");
    CHECK(word("`$A", '`') == "$A");
    CHECK(word("\"`\"\"", '`') == "\"");
    CHECK_THROWS_AS(word("${A"), ShellWordError);
    CHECK_THROWS_AS(word("${A:=x}"), ShellWordError);
}

TEST_CASE("word splitting keeps quoted white space and drops empty words", "[shell]") {
    CHECK(words("a$SP b") == std::vector<std::string>{"a", "x", "y", "b"});
    CHECK(words("\"$SP\"") == std::vector<std::string>{" x  y "});
    CHECK(words("a \"\" b") == std::vector<std::string>{"a", "b"});
    CHECK(words("a\\ b c") == std::vector<std::string>{"a b", "c"});
    CHECK(words("   ").empty());
}

TEST_CASE("options used by the heredoc detector", "[shell]") {
    ShellLexer raw;
    raw.rawQuotes = true;
    CHECK(raw.processWord("'x'\"y\"", envFromMap(kEnv)) == "'x'\"y\"");
    ShellLexer skip;
    skip.skipUnsetEnv = true;
    CHECK(skip.processWord("$UNSET ${UNSET} ${UNSET:-d} $A", envFromMap(kEnv)) == "$UNSET ${UNSET} ${UNSET:-d} a");
    ShellLexer noq;
    noq.skipProcessQuotes = true;
    CHECK(noq.processWord("'$A'", envFromMap(kEnv)) == "'a'");
}
