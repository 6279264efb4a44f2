// common/ helpers that must survive hostile sizes: Go-template nesting is bounded, a user's
// regular expression never recurses on its input.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/gotemplate.hpp"
#include "hutch/common/regex_search.hpp"

using namespace hutch;
using Catch::Matchers::Contains;

namespace {

std::string repeat(const std::string& s, size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (size_t i = 0; i < n; ++i) out += s;
    return out;
}

std::string render(const std::string& t) { return gotemplate::render("ps", t, gotemplate::Json::object()); }

}  // namespace

TEST_CASE("gotemplate: nesting deeper than 100 is an error, not a stack overflow", "[gotemplate][long]") {
    CHECK_THROWS_WITH(render(repeat("{{if 1}}", 100000) + "x" + repeat("{{end}}", 100000)),
                      Contains("template: ps:1: nesting deeper than 100"));
    CHECK_THROWS_WITH(render("{{" + repeat("(", 100000) + "1" + repeat(")", 100000) + "}}"),
                      Contains("nesting deeper than 100"));
    CHECK_THROWS_WITH(render("{{if 0}}" + repeat("{{else if 0}}", 100000) + "{{end}}"), Contains("nesting deeper than 100"));
    CHECK_THROWS_WITH(render(repeat("{{range .}}{{with 1}}", 60000)), Contains("nesting deeper than 100"));
    // 100 levels are fine, in the parser and the executor.
    CHECK(render(repeat("{{if 1}}", 100) + "x" + repeat("{{end}}", 100)) == "x");
    CHECK(render("{{" + repeat("(", 99) + "1" + repeat(")", 99) + "}}") == "1");
    CHECK(render("{{if 0}}" + repeat("{{else if 0}}", 98) + "{{else}}y{{end}}") == "y");
}

TEST_CASE("regex::search: POSIX ERE with RE2's limits, no recursion on long input", "[regex][long]") {
    CHECK(regex::search("^vol[0-9]+$", "vol12", "--filter") == std::optional<bool>(true));
    CHECK(regex::search("^vol\\d+$", "vol12", "--filter") == std::optional<bool>(true));
    CHECK(regex::search("(?:ab)+c", "xababc", "--filter") == std::optional<bool>(true));
    CHECK(regex::search("b", "abc", "--filter") == std::optional<bool>(true));
    CHECK(regex::search("^b", "abc", "--filter") == std::optional<bool>(false));
    CHECK(regex::search("a(", "a(", "--filter") == std::nullopt);  // invalid: the caller decides
    // A 100 KB subject, with patterns std::regex recursed on.
    const std::string subject(100 * 1024, 'a');
    CHECK(regex::search("^(a|b)*$", subject, "--filter") == std::optional<bool>(true));
    CHECK(regex::search(".*b", subject, "--filter") == std::optional<bool>(false));
    // Large patterns: refused with the flag named, quickly.
    CHECK_THROWS_WITH(regex::search(std::string(100 * 1024, 'a'), subject, "--filter name="),
                      Contains("--filter name=") && Contains("102400 bytes"));
    CHECK_THROWS_WITH(regex::search("(a{1000}){1000}", "a", "--filter"), Contains("too large"));
    CHECK_THROWS_WITH(regex::search("((|a)*{100}){200}", "a", "--filter"), Contains("too large"));
    CHECK_THROWS_WITH(regex::search("a{1001}", "a", "--filter"), Contains("repeat count"));
    // Up to the limit, even glibc's worst cases stay fast and on the stack.
    CHECK(regex::search(repeat("()", 2048), "a", "--filter") == std::optional<bool>(true));
    CHECK(regex::search(repeat("a*", 2048), "b", "--filter") == std::optional<bool>(true));
    CHECK(regex::search(repeat("(", 1000) + "a" + repeat(")", 1000), "a", "--filter") == std::optional<bool>(true));
    CHECK(regex::search("(a{50}){50}", std::string(2500, 'a'), "--filter") == std::optional<bool>(true));
}
