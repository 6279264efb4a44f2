// Heredoc detection and bodies at the parser level, covering the scenarios of buildkit's
// parser_heredoc_test.go (contents stay raw here; `<<-` only affects the delimiter line).
#include <catch2/catch.hpp>

#include "hutch/builder/dockerfile_parser.hpp"
#include "hutch/common/error.hpp"

using namespace hutch;
using namespace hutch::builder;

namespace {

struct Doc {
    std::string name, content;
    bool expand, chomp;
    unsigned fd;
    bool operator==(const Doc&) const = default;
};

std::vector<Doc> docsOf(const Node& n) {
    std::vector<Doc> v;
    for (const auto& h : n.heredocs) v.push_back({h.name, h.content, h.expand, h.chomp, h.fd});
    return v;
}

/// Heredocs of the single instruction after "FROM x".
std::vector<Doc> docs(const std::string& body) {
    auto r = parseDockerfile("FROM x\n" + body);
    REQUIRE(r.root.children.size() >= 2);
    return docsOf(r.root.children[1]);
}

bool isHeredoc(const std::string& w, std::string* name = nullptr) {
    Heredoc h;
    bool ok = parseHeredocWord(w, h);
    if (ok && name) *name = h.name;
    return ok;
}

}  // namespace

TEST_CASE("heredoc bodies, names and flags", "[heredoc]") {
    using D = std::vector<Doc>;
    CHECK(docs("RUN <<EMPTY\nEMPTY\n") == D{{"EMPTY", "", true, false, 0}});
    CHECK(docs("RUN 3<<E2\nE2\n") == D{{"E2", "", true, false, 3}});
    CHECK(docs("RUN \"<<NOT\"\n").empty());
    CHECK(docs("RUN <<IN\n\tfoo\n\tbar\nIN\n") == D{{"IN", "\tfoo\n\tbar\n", true, false, 0}});
    CHECK(docs("RUN <<-UN\n\tbaz\n\tUN\n") == D{{"UN", "\tbaz\n", true, true, 0}});
    CHECK(docs("RUN <<-'NOEXP'\n\t$NAME\nNOEXP\n") == D{{"NOEXP", "\t$NAME\n", false, true, 0}});
    CHECK(docs("RUN <<C\n# not a comment here\necho x # nor here\nC\n") ==
          D{{"C", "# not a comment here\necho x # nor here\n", true, false, 0}});
    CHECK(docs("RUN --mount=type=cache,target=/c <<M\necho\nM\n") == D{{"M", "echo\n", true, false, 0}});
    CHECK(docs("COPY <<X <<Y /dest\nY\nX\nX\nY\n") == D{{"X", "Y\n", true, false, 0}, {"Y", "X\n", true, false, 0}});
    CHECK(docs("RUN <<P python3\nprint('hi')\nP\n") == D{{"P", "print('hi')\n", true, false, 0}});
    CHECK(docs("COPY <<file.txt /d\nhello\nfile.txt\n") == D{{"file.txt", "hello\n", true, false, 0}});
    CHECK(docs("RUN <<eo'f'\nx\neof\n") == D{{"eof", "x\n", false, false, 0}});
    CHECK(docs("RUN <<eo\\'f\nx\neo'f\n") == D{{"eo'f", "x\n", true, false, 0}});
    CHECK(docs("RUN <<'e'o\\'f\nx\neo'f\n") == D{{"eo'f", "x\n", false, false, 0}});
    CHECK(docs("RUN <<'one two'\nx\none two\n") == D{{"one two", "x\n", false, false, 0}});
    CHECK(docs("RUN <<$EOF\n$EOF\n") == D{{"$EOF", "", true, false, 0}});
    CHECK(docs("RUN <<  EOF\nEOF\n") == D{{"EOF", "", true, false, 0}});
    CHECK(docs("RUN <<  EOF  > foo\nEOF\n") == D{{"EOF", "", true, false, 0}});
    CHECK(docs("RUN << -EOF\n-EOF\n") == D{{"-EOF", "", true, false, 0}});
    CHECK(docs("RUN [\"<<EOF\"]\n").empty());
    CHECK(docs("USER <<NOPE\n").empty());
}

TEST_CASE("heredoc marker words", "[heredoc]") {
    std::string name;
    for (const char* w : {"<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"", "<<EO\"F\"", "<< EOF", "<<- EOF"}) {
        INFO(w);
        CHECK(isHeredoc(w, &name));
        CHECK(name == "EOF");
    }
    for (const char* w : {"", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"}) {
        INFO(w);
        CHECK_FALSE(isHeredoc(w));
    }
    for (const char* w : {"<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""}) {
        INFO(w);
        CHECK_THROWS_AS(isHeredoc(w), InvalidArgument);
    }
    CHECK(chompHeredocContent("\thello\n\t\tworld\n  x\n") == "hello\nworld\n  x\n");
}

TEST_CASE("JSON form needs the whole rest to be a string array", "[parser]") {
    auto dump = [](const std::string& line) { return parseDockerfile(line + "\n").root.children.at(0).dump(); };
    CHECK(dump("CMD [\"a\", \"b\"]  ") == "cmd \"a\" \"b\"");
    CHECK(dump("CMD [\"a\"] b") == "cmd \"[\\\"a\\\"] b\"");
    CHECK(dump("CMD [\"a\"") == "cmd \"[\\\"a\\\"\"");
    CHECK(dump("RUN [\"a\\u00e9\\n\"]") == "run \"aé\\n\"");
    CHECK_THROWS_AS(dump("CMD [\"a\", 42]"), ConfigError);
    CHECK_THROWS_AS(dump("ENTRYPOINT [\"a\", {}]"), ConfigError);
    CHECK_THROWS_AS(dump("RUN [null]"), ConfigError);
}
