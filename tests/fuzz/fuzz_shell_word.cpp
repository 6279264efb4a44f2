// Dockerfile word expansion (builder/shell_word): ShellLexer::processWord / processWords
// with the lexer options taken from the first input byte.
#include <map>

#include "fuzz_util.hpp"
#include "hutch/builder/shell_word.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    uint8_t opts = data[0];
    auto word = fuzz::text(data + 1, size - 1);
    builder::ShellLexer lexer;
    lexer.escapeToken = (opts & 1) ? U'`' : U'\\';
    lexer.rawQuotes = opts & 2;
    lexer.rawEscapes = opts & 4;
    lexer.skipUnsetEnv = opts & 8;
    lexer.skipProcessQuotes = opts & 16;
    const std::map<std::string, std::string> env = {
        {"A", "a"}, {"EMPTY", ""}, {"SP", " x y  z "}, {"Q", "'\"\\$`"}, {"LONG", std::string(300, 'l')}};
    auto lookup = builder::envFromMap(env);
    if (opts & 32) {
        fuzz::expectHutchErrors([&] { (void)lexer.processWords(word, lookup); });
    } else {
        fuzz::expectHutchErrors([&] { (void)lexer.processWord(word, lookup); });
    }
    return 0;
}
