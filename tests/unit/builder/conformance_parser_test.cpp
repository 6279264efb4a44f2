// buildkit's Dockerfile parser golden files (../shared/conformance/buildkit, README section
// 1a): every testfiles/<case>/Dockerfile must parse and dump byte-for-byte to `result`;
// every testfiles-negative/<case> must fail; testfile-line checks line spans.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "hutch/builder/dockerfile_parser.hpp"
#include "hutch/builder/instructions.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

using namespace hutch;
using namespace hutch::builder;
namespace fs = std::filesystem;

namespace {

const std::string kParserDir = std::string(HUTCH_CONFORMANCE_DIR) + "/buildkit/frontend/dockerfile/parser/";

std::vector<std::string> cases(const std::string& sub) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(kParserDir + sub))
        if (e.is_directory()) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

struct Outcome {
    std::string got;       // dump + "\n", or "ERROR: <what>"
    std::string expected;  // result file
};

/// Parses every positive case once; name -> outcome.
const std::map<std::string, Outcome>& positiveOutcomes() {
    static const std::map<std::string, Outcome> outcomes = [] {
        std::map<std::string, Outcome> m;
        for (const auto& c : cases("testfiles")) {
            Outcome o;
            o.expected = fsutil::readFile(kParserDir + "testfiles/" + c + "/result");
            try {
                o.got = parseDockerfile(fsutil::readFile(kParserDir + "testfiles/" + c + "/Dockerfile"), c)
                            .root.dump() + "\n";
            } catch (const Error& e) {
                o.got = std::string("ERROR: ") + e.what();
            }
            m[c] = o;
        }
        size_t pass = std::count_if(m.begin(), m.end(), [](auto& kv) { return kv.second.got == kv.second.expected; });
        std::cout << "buildkit parser golden files: " << pass << "/" << m.size() << "\n";
        return m;
    }();
    return outcomes;
}

}  // namespace

TEST_CASE("buildkit parser golden files dump byte-for-byte", "[conformance][parser]") {
    const auto& outcomes = positiveOutcomes();
    REQUIRE(outcomes.size() == 33);
    for (const auto& [name, o] : outcomes) {
        DYNAMIC_SECTION("testfiles/" << name) { CHECK(o.got == o.expected); }
    }
}

TEST_CASE("buildkit parser negative files fail", "[conformance][parser]") {
    static const std::map<std::string, std::string> expected = {
        {"empty_dockerfile", "file with no instructions"},
        {"only_comments", "file with no instructions"},
        {"env_no_value", "ENV must have two arguments"},
        {"shykes-nested-json", "when using JSON array syntax, arrays must be comprised of strings only"},
    };
    auto all = cases("testfiles-negative");
    REQUIRE(all.size() == expected.size());
    static bool printed = false;
    if (!printed) {
        size_t pass = 0;
        for (const auto& c : all) {
            try {
                parseDockerfile(fsutil::readFile(kParserDir + "testfiles-negative/" + c + "/Dockerfile"), c);
            } catch (const ConfigError& e) {
                pass += std::string(e.what()).find(expected.at(c)) != std::string::npos;
            }
        }
        std::cout << "buildkit parser negative files: " << pass << "/" << all.size() << "\n";
        printed = true;
    }
    for (const auto& c : all) {
        DYNAMIC_SECTION("testfiles-negative/" << c) {
            auto data = fsutil::readFile(kParserDir + "testfiles-negative/" + c + "/Dockerfile");
            CHECK_THROWS_WITH(parseDockerfile(data, c), Catch::Matchers::Contains(expected.at(c)));
        }
    }
}

TEST_CASE("buildkit testfile-line: line spans", "[conformance][parser]") {
    auto r = parseDockerfile(fsutil::readFile(kParserDir + "testfile-line/Dockerfile"));
    CHECK(r.root.startLine == 5);
    CHECK(r.root.endLine == 31);
    REQUIRE(r.root.children.size() == 3);
    std::vector<std::pair<int, int>> spans;
    for (const auto& c : r.root.children) spans.emplace_back(c.startLine, c.endLine);
    CHECK(spans == std::vector<std::pair<int, int>>{{5, 5}, {11, 12}, {17, 31}});
}

TEST_CASE("empty continuation lines warn, comment lines do not", "[parser]") {
    const std::string df =
        "FROM busybox\n"
        "# ignore me\n"
        "RUN something \\\n"
        "\n"
        "    following \\\n"
        "\n"
        "    more\n"
        "\n"
        "RUN another \\\n"
        "\n"
        "    thing\n"
        "RUN non-indented \\\n"
        "# this is a comment\n"
        "   after-comment\n";
    auto r = parseDockerfile(df);
    CHECK(r.warnings == std::vector<std::string>{"Empty continuation line found in: RUN something     following     more",
                                                 "Empty continuation line found in: RUN another     thing"});
}

TEST_CASE("a line of 65536 bytes is an error", "[parser]") {
    std::string df = "FROM busybox\nRUN " + std::string(65536 - 4, 'x') + "\n";
    CHECK_THROWS_WITH(parseDockerfile(df), Catch::Matchers::Contains("dockerfile line greater than max allowed size of 65535"));
    std::string ok = "FROM busybox\nRUN " + std::string(65535 - 4, 'x') + "\n";
    CHECK_NOTHROW(parseDockerfile(ok));
}

TEST_CASE("buildkit golden files through the typed-instruction stage", "[conformance][instructions]") {
    // Cases that are valid syntax but not valid instructions, with the reason.
    static const std::map<std::string, std::string> invalid = {
        {"flags", "unknown flag: --user"},                           // COPY --user=me
        {"health", "HEALTHCHECK requires at least one argument"},    // bare HEALTHCHECK
        {"json", "no build stage in current context"},               // CMD without FROM
        {"jeztah-invalid-json-json-inside-string", "no build stage in current context"},
        {"jeztah-invalid-json-json-inside-string-double", "no build stage in current context"},
        {"jeztah-invalid-json-single-quotes", "no build stage in current context"},
        {"jeztah-invalid-json-unterminated-bracket", "no build stage in current context"},
        {"jeztah-invalid-json-unterminated-string", "no build stage in current context"},
    };
    for (const auto& c : cases("testfiles")) {
        DYNAMIC_SECTION("testfiles/" << c) {
            auto data = fsutil::readFile(kParserDir + "testfiles/" + c + "/Dockerfile");
            auto it = invalid.find(c);
            if (it != invalid.end()) {
                CHECK_THROWS_WITH(loadDockerfile(data, c), Catch::Matchers::Contains(it->second));
            } else {
                Dockerfile df;
                CHECK_NOTHROW(df = loadDockerfile(data, c));
                CHECK_FALSE(df.stages.empty());
            }
        }
    }
}
