// moby's own test tables for .dockerignore, restated as hutch checks (inputs and expected
// results from moby/patternmatcher patternmatcher_test.go and ignorefile/ignorefile_test.go;
// the test code is hutch's). Each table reports how many of its rows pass; the README's
// conformance table quotes these counts.
#include <catch2/catch.hpp>

#include "hutch/builder/dockerignore.hpp"
#include "hutch/common/error.hpp"

using namespace hutch;
using namespace hutch::builder;

namespace {

/// MatchesOrParentMatches(text) for `patterns`; "error" when the patterns do not compile.
std::string matches(const std::vector<std::string>& patterns, const std::string& text) {
    try {
        return DockerIgnore::fromPatterns(patterns).excluded(text) ? "true" : "false";
    } catch (const InvalidArgument&) {
        return "error";
    }
}

struct Row {
    std::vector<std::string> patterns;
    std::string text;
    std::string want;  // "true", "false" or "error"
};

int runTable(const char* name, const std::vector<Row>& rows) {
    int pass = 0;
    for (const auto& r : rows) {
        std::string got = matches(r.patterns, r.text);
        std::string pats;
        for (const auto& p : r.patterns) pats += (pats.empty() ? "" : " ") + p;
        INFO(name << ": patterns [" << pats << "] text \"" << r.text << "\"");
        CHECK(got == r.want);
        if (got == r.want) ++pass;
    }
    WARN(name << ": " << pass << "/" << rows.size() << " pass");
    return pass;
}

}  // namespace

TEST_CASE("moby patternmatcher: the small cases", "[dockerignore][moby]") {
    std::vector<Row> rows = {
        {{"*"}, "fileutils.go", "true"},
        {{"*.go"}, "fileutils.go", "true"},
        {{"!fileutils.go", "*.go"}, "fileutils.go", "true"},
        {{"docs", "!docs/README.md"}, "docs/README.md", "false"},
        {{"docs/", "!docs/README.md"}, "docs/README.md", "false"},
        {{"docs/*", "!docs/README.md"}, "docs/README.md", "false"},
        {{"*.go", "!fileutils.go"}, "fileutils.go", "false"},
        {{"*.go"}, ".", "false"},
        {{"!"}, "fileutils.go", "error"},
        {{}, "/any/path/there", "false"},
        {{"["}, "/any/path/there", "error"},
    };
    CHECK(runTable("small cases", rows) == static_cast<int>(rows.size()));
}

TEST_CASE("moby patternmatcher: TestMatches table (MatchesOrParentMatches)", "[dockerignore][moby]") {
    std::vector<std::tuple<std::string, std::string, bool>> single = {
        {"**", "file", true},
        {"**", "file/", true},
        {"**/", "file", true},
        {"**/", "file/", true},
        {"**", "/", true},
        {"**/", "/", true},
        {"**", "dir/file", true},
        {"**/", "dir/file", true},
        {"**", "dir/file/", true},
        {"**/", "dir/file/", true},
        {"**/**", "dir/file", true},
        {"**/**", "dir/file/", true},
        {"dir/**", "dir/file", true},
        {"dir/**", "dir/file/", true},
        {"dir/**", "dir/dir2/file", true},
        {"dir/**", "dir/dir2/file/", true},
        {"**/dir", "dir", true},
        {"**/dir", "dir/file", true},
        {"**/dir2/*", "dir/dir2/file", true},
        {"**/dir2/*", "dir/dir2/file/", true},
        {"**/dir2/**", "dir/dir2/dir3/file", true},
        {"**/dir2/**", "dir/dir2/dir3/file/", true},
        {"**file", "file", true},
        {"**file", "dir/file", true},
        {"**/file", "dir/file", true},
        {"**file", "dir/dir/file", true},
        {"**/file", "dir/dir/file", true},
        {"**/file*", "dir/dir/file", true},
        {"**/file*", "dir/dir/file.txt", true},
        {"**/file*txt", "dir/dir/file.txt", true},
        {"**/file*.txt", "dir/dir/file.txt", true},
        {"**/file*.txt*", "dir/dir/file.txt", true},
        {"**/**/*.txt", "dir/dir/file.txt", true},
        {"**/**/*.txt2", "dir/dir/file.txt", false},
        {"**/*.txt", "file.txt", true},
        {"**/**/*.txt", "file.txt", true},
        {"a**/*.txt", "a/file.txt", true},
        {"a**/*.txt", "a/dir/file.txt", true},
        {"a**/*.txt", "a/dir/dir/file.txt", true},
        {"a/*.txt", "a/dir/file.txt", false},
        {"a/*.txt", "a/file.txt", true},
        {"a/*.txt**", "a/file.txt", true},
        {"a[b-d]e", "ae", false},
        {"a[b-d]e", "ace", true},
        {"a[b-d]e", "aae", false},
        {"a[^b-d]e", "aze", true},
        {".*", ".foo", true},
        {".*", "foo", false},
        {"abc.def", "abcdef", false},
        {"abc.def", "abc.def", true},
        {"abc.def", "abcZdef", false},
        {"abc?def", "abcZdef", true},
        {"abc?def", "abcdef", false},
        {"a\\\\", "a\\", true},
        {"**/foo/bar", "foo/bar", true},
        {"**/foo/bar", "dir/foo/bar", true},
        {"**/foo/bar", "dir/dir2/foo/bar", true},
        {"abc/**", "abc", false},
        {"abc/**", "abc/def", true},
        {"abc/**", "abc/def/ghi", true},
        {"**/.foo", ".foo", true},
        {"**/.foo", "bar.foo", false},
        {"a(b)c/def", "a(b)c/def", true},
        {"a(b)c/def", "a(b)c/xyz", false},
        {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
        {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
         "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
        {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
        {"a\\*b", "a*b", true},  // the row moby adds off Windows
    };
    std::vector<Row> rows;
    for (const auto& [p, t, w] : single) rows.push_back({{p}, t, w ? "true" : "false"});
    rows.push_back({{"**", "!util/docker/web"}, "util/docker/web/foo", "false"});
    rows.push_back({{"**", "!util/docker/web", "util/docker/web/foo"}, "util/docker/web/foo", "true"});
    rows.push_back({{"**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"},
                    "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "false"});
    rows.push_back({{"**", "!dist/*.whl"}, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "false"});
    CHECK(runTable("TestMatches", rows) == static_cast<int>(rows.size()));
}

TEST_CASE("moby patternmatcher: Go filepath.Match table (matchTests)", "[dockerignore][moby]") {
    // {pattern, text, expected}: "error" rows are patterns filepath.Match calls bad.
    std::vector<Row> rows = {
        {{"abc"}, "abc", "true"},
        {{"*"}, "abc", "true"},
        {{"*c"}, "abc", "true"},
        {{"a*"}, "a", "true"},
        {{"a*"}, "abc", "true"},
        {{"a*"}, "ab/c", "true"},
        {{"a*/b"}, "abc/b", "true"},
        {{"a*/b"}, "a/c/b", "false"},
        {{"a*b*c*d*e*/f"}, "axbxcxdxe/f", "true"},
        {{"a*b*c*d*e*/f"}, "axbxcxdxexxx/f", "true"},
        {{"a*b*c*d*e*/f"}, "axbxcxdxe/xxx/f", "false"},
        {{"a*b*c*d*e*/f"}, "axbxcxdxexxx/fff", "false"},
        {{"a*b?c*x"}, "abxbbxdbxebxczzx", "true"},
        {{"a*b?c*x"}, "abxbbxdbxebxczzy", "false"},
        {{"ab[c]"}, "abc", "true"},
        {{"ab[b-d]"}, "abc", "true"},
        {{"ab[e-g]"}, "abc", "false"},
        {{"ab[^c]"}, "abc", "false"},
        {{"ab[^b-d]"}, "abc", "false"},
        {{"ab[^e-g]"}, "abc", "true"},
        {{"a\\*b"}, "a*b", "true"},
        {{"a\\*b"}, "ab", "false"},
        {{"a?b"}, "a\u263Ab", "true"},
        {{"a[^a]b"}, "a\u263Ab", "true"},
        {{"a???b"}, "a\u263Ab", "false"},
        {{"a[^a][^a][^a]b"}, "a\u263Ab", "false"},
        {{"[a-\u03B6]*"}, "\u03B1", "true"},
        {{"*[a-\u03B6]"}, "A", "false"},
        {{"a?b"}, "a/b", "false"},
        {{"a*b"}, "a/b", "false"},
        {{"[\\]a]"}, "]", "true"},
        {{"[\\-]"}, "-", "true"},
        {{"[x\\-]"}, "x", "true"},
        {{"[x\\-]"}, "-", "true"},
        {{"[x\\-]"}, "z", "false"},
        {{"[\\-x]"}, "x", "true"},
        {{"[\\-x]"}, "-", "true"},
        {{"[\\-x]"}, "a", "false"},
        {{"[]a]"}, "]", "error"},
        {{"[-]"}, "-", "error"},
        {{"[x-]"}, "x", "error"},
        {{"[x-]"}, "-", "error"},
        {{"[x-]"}, "z", "error"},
        {{"[-x]"}, "x", "error"},
        {{"[-x]"}, "-", "error"},
        {{"[-x]"}, "a", "error"},
        {{"\\"}, "a", "error"},
        {{"[a-b-c]"}, "a", "error"},
        {{"["}, "a", "error"},
        {{"[^"}, "a", "error"},
        {{"[^bc"}, "a", "error"},
        {{"a["}, "a", "error"},
        {{"a["}, "ab", "error"},
        {{"*x"}, "xxx", "true"},
    };
    CHECK(runTable("matchTests", rows) == static_cast<int>(rows.size()));
}

TEST_CASE("moby patternmatcher: cleaning and exception flags", "[dockerignore][moby]") {
    CHECK(DockerIgnore::fromPatterns({"docs", "config"}).patterns().size() == 2);
    CHECK(DockerIgnore::fromPatterns({"docs", "config", ""}).patterns().size() == 2);
    CHECK(DockerIgnore::fromPatterns({"docs", "!docs/README.md"}).hasExceptions());
    CHECK(DockerIgnore::fromPatterns({"docs", "  !docs/README.md"}).hasExceptions());
    CHECK(DockerIgnore::fromPatterns({"docs", "!docs/README.md  "}).hasExceptions());
    CHECK_THROWS_AS(DockerIgnore::fromPatterns({"!"}), InvalidArgument);
    // The match kinds moby's compile picks, seen through what they match: a leading "**" is
    // a suffix match, a literal pattern ending in "**" a prefix match.
    CHECK(matches({"**file"}, "xfile") == "true");
    CHECK(matches({"**/dir"}, "adir") == "false");
    CHECK(matches({"abc**"}, "abcdef/ghi") == "true");
    CHECK(matches({"dir/**"}, "dir") == "false");
}

TEST_CASE("moby ignorefile: ReadAll", "[dockerignore][moby]") {
    CHECK(DockerIgnore::readLines("").empty());
    const std::string content =
        "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
    std::vector<std::string> want{"test1", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"};
    want.insert(want.begin() + 1, "test2");
    std::vector<std::string> got;
    for (const auto& l : DockerIgnore::readLines(content)) got.push_back(l.pattern);
    CHECK(got == want);
    int pass = 0;
    for (size_t i = 0; i < want.size(); ++i) pass += i < got.size() && got[i] == want[i];
    WARN("ReadAll: " << pass << "/" << want.size() << " entries as expected");
    // hutch reports the lone "!" when it compiles the file, with its line.
    CHECK_THROWS_WITH(DockerIgnore::parse(content, "ctx/.dockerignore"),
                      Catch::Matchers::Equals("ctx/.dockerignore:8: illegal exclusion pattern: \"!\""));
    auto bom = DockerIgnore::readLines("\xEF\xBB\xBF" "a\r\nb\n");
    REQUIRE(bom.size() == 2);
    CHECK(bom[0].pattern == "a");
    CHECK(bom[1].line == 2);
}

TEST_CASE("exceptions keep other exclusions: ** with !keep.txt", "[dockerignore]") {
    auto di = DockerIgnore::parse("**\n!./keep.txt\n");
    CHECK(di.excluded("secret.txt"));
    CHECK(di.excluded("secrets/id_rsa"));
    CHECK_FALSE(di.excluded("keep.txt"));
    CHECK(di.mayIncludeBelow("."));
    CHECK_FALSE(di.mayIncludeBelow("secrets"));  // keep.txt can only be at the top
    auto nm = DockerIgnore::parse("node_modules\n!node_modules/keep/*.js\n");
    CHECK(nm.mayIncludeBelow("node_modules"));
    CHECK(nm.mayIncludeBelow("node_modules/keep"));
    CHECK_FALSE(nm.mayIncludeBelow("node_modules/drop"));
    CHECK(nm.excluded("node_modules/drop/a.js"));
    CHECK_FALSE(nm.excluded("node_modules/keep/a.js"));
    CHECK(DockerIgnore::parse("a\n!**/k\n").mayIncludeBelow("a/b/c"));  // ** anywhere: always walk
}
