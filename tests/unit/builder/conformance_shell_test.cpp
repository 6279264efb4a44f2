// buildkit's word expansion tables (../shared/conformance/buildkit, README section 1b):
// shell/envVarTest through processWord, shell/wordsTest through processWords. Each table
// line is its own section named by file and line number.
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>

#include "hutch/builder/shell_word.hpp"
#include "hutch/common/fsutil.hpp"

using namespace hutch;
using namespace hutch::builder;

namespace {

const std::string kShellDir = std::string(HUTCH_CONFORMANCE_DIR) + "/buildkit/frontend/dockerfile/shell/";

std::string trimAscii(std::string s) {
    const char* ws = " \t\r\n\v\f";
    s.erase(0, s.find_first_not_of(ws));
    s.erase(s.find_last_not_of(ws) + 1);
    return s;
}

struct Row {
    int line;
    std::string input;
    std::string expected;  // "error" = must fail; wordsTest: words joined with ','
    std::map<std::string, std::string> env;
};

std::vector<std::string> fileLines(const std::string& path) {
    std::vector<std::string> out;
    std::istringstream in(fsutil::readFile(path));
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

/// envVarTest rows for Unix (platform A or U).
std::vector<Row> envVarRows() {
    std::vector<Row> rows;
    int n = 0;
    for (auto l : fileLines(kShellDir + "envVarTest")) {
        ++n;
        if (l.rfind("#", 0) == 0) continue;
        l.erase(0, l.find_first_not_of(" \t"));
        if (l.empty()) continue;
        auto p1 = l.find('|');
        auto p2 = l.find('|', p1 + 1);
        std::string platform = trimAscii(l.substr(0, p1));
        if (platform != "A" && platform != "U") continue;
        rows.push_back({n, trimAscii(l.substr(p1 + 1, p2 - p1 - 1)), trimAscii(l.substr(p2 + 1)), {}});
    }
    return rows;
}

std::vector<Row> wordsRows() {
    std::vector<Row> rows;
    std::map<std::string, std::string> env;
    int n = 0;
    for (auto l : fileLines(kShellDir + "wordsTest")) {
        ++n;
        if (l.rfind("#", 0) == 0 || l.empty()) continue;
        if (l.rfind("ENV ", 0) == 0) {
            std::string kv = l.substr(3);
            kv.erase(0, kv.find_first_not_of(' '));
            auto eq = kv.find('=');
            env[kv.substr(0, eq)] = kv.substr(eq + 1);
            continue;
        }
        auto bar = l.find('|');
        std::string exp = l.substr(bar + 1);
        exp.erase(0, exp.find_first_not_of(' '));
        rows.push_back({n, trimAscii(l.substr(0, bar)), exp, env});
    }
    return rows;
}

const std::map<std::string, std::string> kEnv = {{"PWD", "/home"}, {"SHELL", "bash"}, {"KOREAN", "한국어"}, {"NULL", ""}};

/// Result of one envVarTest row as a comparable string.
std::string runWord(const Row& r) {
    try {
        return ShellLexer{}.processWord(r.input, envFromMap(kEnv));
    } catch (const ShellWordError&) {
        return "error";
    }
}

std::string runWords(const Row& r) {
    try {
        auto words = ShellLexer{}.processWords(r.input, envFromMap(r.env));
        std::string joined;
        for (size_t i = 0; i < words.size(); ++i) joined += (i ? "," : "") + words[i];
        return joined;
    } catch (const ShellWordError&) {
        return "error";
    }
}

}  // namespace

TEST_CASE("buildkit shell/envVarTest", "[conformance][shell]") {
    static const auto rows = envVarRows();
    static bool printed = false;
    REQUIRE(rows.size() > 200);
    if (!printed) {
        size_t pass = 0;
        for (const auto& r : rows) pass += runWord(r) == r.expected;
        std::cout << "buildkit shell/envVarTest: " << pass << "/" << rows.size() << "\n";
        printed = true;
    }
    for (const auto& r : rows) {
        DYNAMIC_SECTION("envVarTest:" << r.line << " " << r.input) { CHECK(runWord(r) == r.expected); }
    }
}

TEST_CASE("buildkit shell/wordsTest", "[conformance][shell]") {
    static const auto rows = wordsRows();
    static bool printed = false;
    REQUIRE(rows.size() > 20);
    if (!printed) {
        size_t pass = 0;
        for (const auto& r : rows) pass += runWords(r) == r.expected;
        std::cout << "buildkit shell/wordsTest: " << pass << "/" << rows.size() << "\n";
        printed = true;
    }
    for (const auto& r : rows) {
        DYNAMIC_SECTION("wordsTest:" << r.line << " " << r.input) { CHECK(runWords(r) == r.expected); }
    }
}
