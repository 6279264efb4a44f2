// Dockerfile parser, typed instructions and their variable expansion
// (builder/dockerfile_parser, line_parsers, instructions, shell_word) on arbitrary bytes.
#include <map>

#include "fuzz_util.hpp"
#include "hutch/builder/instructions.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = fuzz::text(data, size);
    builder::ParseResult ast;
    try {
        ast = builder::parseDockerfile(in, "Dockerfile");
    } catch (const Error&) {
        return 0;
    }
    (void)ast.root.dump();
    builder::Dockerfile df;
    try {
        df = builder::parseInstructions(ast, "Dockerfile");
    } catch (const Error&) {
        return 0;
    }
    const std::map<std::string, std::string> env = {
        {"A", "a"}, {"EMPTY", ""}, {"SP", "x y  z"}, {"Q", "'\"\\$"}, {"PATH", "/usr/bin:/bin"}};
    builder::ShellLexer lexer;
    lexer.escapeToken = static_cast<unsigned char>(df.escapeToken);
    auto lookup = builder::envFromMap(env);
    for (auto& stage : df.stages) {
        for (auto& instr : stage.commands) {
            fuzz::expectHutchErrors([&] { builder::expandInstruction(instr, lexer, lookup, "Dockerfile"); });
        }
    }
    return 0;
}
