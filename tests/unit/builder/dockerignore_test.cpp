// .dockerignore matching with Docker's rules.
#include <catch2/catch.hpp>

#include "hutch/builder/dockerignore.hpp"
#include "hutch/common/error.hpp"

using namespace hutch;
using namespace hutch::builder;

TEST_CASE("cleanPath is Go's path.Clean", "[dockerignore]") {
    CHECK(cleanPath("") == ".");
    CHECK(cleanPath("./x") == "x");
    CHECK(cleanPath("x/") == "x");
    CHECK(cleanPath("a//b/./c/..") == "a/b");
    CHECK(cleanPath("/../a") == "/a");
    CHECK(cleanPath("../a") == "../a");
}

TEST_CASE("comments, blank lines, ./ and / prefixes, trailing slashes", "[dockerignore]") {
    auto di = DockerIgnore::parse("# comment\n\n  ./node_modules/  \n/build\n#x\n  # not a comment\r\n");
    CHECK(di.patterns() == std::vector<std::string>{"node_modules", "build", "# not a comment"});
    CHECK(di.excluded("node_modules"));
    CHECK(di.excluded("node_modules/a/b.js"));
    CHECK(di.excluded("./build/out.o"));
    CHECK(di.excluded("# not a comment"));
    CHECK_FALSE(di.excluded("x"));
    CHECK_FALSE(di.excluded("src/node_modules"));  // patterns are anchored at the context root
}

TEST_CASE("* and ? stay within a path element, ** crosses directories", "[dockerignore]") {
    auto di = DockerIgnore::parse("*.md\n**/*.tmp\ndocs/**\na?c\nlogs/**/debug\n");
    CHECK(di.excluded("README.md"));
    CHECK_FALSE(di.excluded("sub/README.md"));
    CHECK(di.excluded("x.tmp"));
    CHECK(di.excluded("a/b/c/x.tmp"));
    CHECK_FALSE(di.excluded("docs"));  // "docs/**" matches what is below docs, not docs itself
    CHECK(di.excluded("docs/a/b"));
    CHECK(di.excluded("abc"));
    CHECK_FALSE(di.excluded("a/c"));
    CHECK(di.excluded("logs/debug"));
    CHECK(di.excluded("logs/x/y/debug"));
    CHECK_FALSE(di.excluded("logs/x/debugger"));
}

TEST_CASE("! exceptions and last match wins", "[dockerignore]") {
    auto di = DockerIgnore::parse("*.md\n!README.md\nREADME-secret.md\n");
    CHECK(di.hasExceptions());
    CHECK(di.excluded("CHANGES.md"));
    CHECK_FALSE(di.excluded("README.md"));
    CHECK(di.excluded("README-secret.md"));

    auto order = DockerIgnore::parse("!keep\nkeep\n");
    CHECK(order.excluded("keep"));  // the later pattern wins
    auto order2 = DockerIgnore::parse("keep\n!keep\n");
    CHECK_FALSE(order2.excluded("keep"));

    auto dir = DockerIgnore::parse("vendor\n!vendor/keep.txt\n");
    CHECK(dir.excluded("vendor/drop.txt"));
    CHECK_FALSE(dir.excluded("vendor/keep.txt"));
    CHECK(dir.excluded("vendor"));
    CHECK_FALSE(DockerIgnore::parse("a\n").hasExceptions());
}

TEST_CASE("everything excluded but a few files", "[dockerignore]") {
    auto di = DockerIgnore::parse("*\n!src\n!Dockerfile\n");
    CHECK(di.excluded("README"));
    CHECK_FALSE(di.excluded("Dockerfile"));
    CHECK_FALSE(di.excluded("src/main.cpp"));
    CHECK(di.excluded("test/x"));
}

TEST_CASE("escapes, classes and regexp characters are literal", "[dockerignore]") {
    auto di = DockerIgnore::parse("a+b.(c)\n\\*star\n[xy]z\nfile[0-9].txt\n");
    CHECK(di.excluded("a+b.(c)"));
    CHECK_FALSE(di.excluded("aab.(c)"));
    CHECK(di.excluded("*star"));
    CHECK_FALSE(di.excluded("Xstar"));
    CHECK(di.excluded("xz"));
    CHECK_FALSE(di.excluded("zz"));
    CHECK(di.excluded("file7.txt"));
}

TEST_CASE("invalid patterns name file and line", "[dockerignore]") {
    CHECK_THROWS_WITH(DockerIgnore::parse("ok\n!\n", "ctx/.dockerignore"),
                      Catch::Matchers::Equals("ctx/.dockerignore:2: illegal exclusion pattern: \"!\""));
    CHECK_THROWS_AS(DockerIgnore::parse("a[b\n"), ConfigError);
}

TEST_CASE("a very long pattern or path is matched without deep recursion", "[dockerignore]") {
    // The fuzzer's known crash (now the seed tests/fuzz/corpus/dockerignore/regex-long-pattern):
    // a 60 KB line overflowed the stack inside std::regex.
    const std::string longA(60000, 'a');
    auto di = DockerIgnore::parse(longA + "\n" + "?" + longA + "*\n**/x*y\n");
    CHECK(di.excluded(longA));
    CHECK(di.excluded("b" + longA + "c"));
    CHECK_FALSE(di.excluded("c/" + longA));
    std::string deep;
    for (int i = 0; i < 2000; ++i) deep += "d/";
    CHECK(di.excluded(deep + "x123y"));
    CHECK_FALSE(di.excluded(deep + "z"));
}

TEST_CASE("long patterns against long paths: stars resume, lengths that cannot fit fail early", "[dockerignore]") {
    // What the fuzzer met (a pattern of 26,000 characters against a path of 24,000) ran for
    // tens of seconds; these keep the answers right on the fast paths.
    std::string as(3000, 'a');
    auto di = DockerIgnore::parse("*" + as + "b\n");
    CHECK_FALSE(di.excluded(std::string(2000, 'a')));       // the pattern needs 3001 characters
    CHECK(di.excluded(std::string(5000, 'a') + "b"));        // the star takes 2000 of them
    CHECK_FALSE(di.excluded(std::string(5000, 'a') + "/b")); // a star stays in its component
    std::string alternating;
    for (int i = 0; i < 500; ++i) alternating += "*a";
    auto alt = DockerIgnore::parse(alternating + "\n");
    CHECK(alt.excluded(std::string(600, 'a')));
    CHECK(alt.excluded("x" + std::string(499, 'a') + "y" + "a"));
    CHECK_FALSE(alt.excluded(std::string(499, 'a')));
    CHECK_FALSE(alt.excluded(std::string(600, 'a') + "b"));
    auto dirs = DockerIgnore::parse("**/" + as + "\n[^x]/z\n");
    CHECK(dirs.excluded("q/r/" + as));
    CHECK(dirs.excluded("y/z"));
    CHECK_FALSE(dirs.excluded("x/z"));
}
