// Garbage in: the front end either parses or throws hutch::Error, never anything else.
#include <catch2/catch.hpp>

#include <random>

#include "hutch/builder/dockerignore.hpp"
#include "hutch/builder/instructions.hpp"
#include "hutch/builder/shell_word.hpp"
#include "hutch/common/error.hpp"

using namespace hutch;
using namespace hutch::builder;

namespace {
/// Random text biased towards the grammar's special characters and keywords.
std::string randomText(std::mt19937& rng) {
    static const std::vector<std::string> atoms = {
        "FROM ", "RUN ", "COPY ", "ADD ", "ENV ", "LABEL ", "ARG ", "ONBUILD ", "HEALTHCHECK ", "CMD ",
        "SHELL ", "EXPOSE ", "VOLUME ", "WORKDIR ", "--from=", "--chown=", "--", "<<", "<<-", "EOF", "\"",
        "'", "\\", "`", "$", "${", "}", ":-", ":?", "[", "]", ",", "=", "\n", "\r\n", " ", "\t", "#",
        "# escape=`\n", "a", "9999999999999999999<<X", "\xEF\xBB\xBF", "\xff", "\xc3", "\xe2\x99\xa5", "*", "**", "!", "/"};
    std::uniform_int_distribution<size_t> len(0, 40), pick(0, atoms.size() - 1);
    std::string s;
    for (size_t i = 0, n = len(rng); i < n; ++i) s += atoms[pick(rng)];
    return s;
}
}  // namespace

TEST_CASE("random input only ever throws hutch::Error", "[robustness]") {
    std::mt19937 rng(20261129);
    int parsed = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string text = randomText(rng);
        INFO("input: " << text);
        try {
            loadDockerfile(text);
            ++parsed;
        } catch (const Error&) {
        }
        try {
            ShellLexer{}.processWords(text, nullptr);
        } catch (const Error&) {
        }
        try {
            DockerIgnore::parse(text).excluded("a/b");
        } catch (const Error&) {
        }
    }
    CHECK(parsed > 0);
}
