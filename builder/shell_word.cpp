// Word expansion with buildkit's shell lexer rules; see shell_word.hpp.
#include "hutch/builder/shell_word.hpp"

#include "hutch/builder/text_util.hpp"

namespace hutch::builder {

using detail::decodeRune;
using detail::isSpace;

EnvLookup envFromMap(const std::map<std::string, std::string>& env) {
    return [&env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
}

namespace {

constexpr int32_t kEOF = -1;

/// Reason of a failed expansion, before "failed to process" is prefixed.
struct LexError {
    std::string msg;
};

/// Collects the split words of ProcessWords alongside the joined result.
struct Words {
    std::string word;
    std::vector<std::string> words;
    bool inWord = false;

    void addChar(char32_t ch, std::string_view raw) {
        if (isSpace(ch)) {
            if (inWord && !word.empty()) {
                words.push_back(word);
                word.clear();
                inWord = false;
            }
        } else {
            addRaw(raw);
        }
    }
    void addRaw(std::string_view raw) {
        word += raw;
        inWord = true;
    }
    void addString(std::string_view s) {
        size_t pos = 0;
        while (pos < s.size()) {
            auto r = decodeRune(s, pos);
            addChar(r.cp, s.substr(pos, r.len));
            pos += r.len;
        }
    }
    std::vector<std::string> finish() {
        if (!word.empty()) {
            words.push_back(word);
            word.clear();
            inWord = false;
        }
        return words;
    }
};

bool isSpecialParam(int32_t ch) {
    switch (ch) {
        case '@': case '*': case '#': case '?': case '-': case '$': case '!': case '0':
            return true;
        default:
            return false;
    }
}

class Scanner {
public:
    Scanner(const ShellLexer& lex, std::string_view src, const EnvLookup& env)
        : lex_(lex), src_(src), env_(env) {}

    /// Processes until `stop` (consumed) or end of input (stop == kEOF).
    std::pair<std::string, std::vector<std::string>> processStopOn(int32_t stop) {
        std::string result;
        Words words;
        while (peek() != kEOF) {
            int32_t ch = peek();
            if (stop != kEOF && ch == stop) {
                next();
                return {result, words.finish()};
            }
            if (ch == '$') {
                std::string tmp = processDollar();
                result += tmp;
                words.addString(tmp);
            } else if (ch == '<') {
                // "<<" keeps the blanks after it, so "<<  EOF" stays one word (heredocs).
                std::string tmp = processPossibleHeredoc();
                result += tmp;
                words.addRaw(tmp);
            } else if (!lex_.skipProcessQuotes && (ch == '\'' || ch == '"')) {
                std::string tmp = ch == '\'' ? processSingleQuote() : processDoubleQuote();
                result += tmp;
                words.addRaw(tmp);
            } else {
                std::string_view raw = rawAt();
                next();
                if (ch == static_cast<int32_t>(lex_.escapeToken)) {
                    if (lex_.rawEscapes) {
                        words.addRaw(raw);
                        result += raw;
                    }
                    if (peek() == kEOF) break;  // escape at end of word is dropped
                    raw = rawAt();
                    next();
                    words.addRaw(raw);
                } else {
                    words.addChar(static_cast<char32_t>(ch), raw);
                }
                result += raw;
            }
        }
        if (stop != kEOF)
            throw LexError{"unexpected end of statement while looking for matching " +
                           std::string(1, static_cast<char>(stop))};
        return {result, words.finish()};
    }

    int32_t peek() const {
        if (pos_ >= src_.size()) return kEOF;
        return static_cast<int32_t>(decodeRune(src_, pos_).cp);
    }

private:
    std::string_view rawAt() const { return src_.substr(pos_, decodeRune(src_, pos_).len); }
    int32_t next() {
        if (pos_ >= src_.size()) return kEOF;
        auto r = decodeRune(src_, pos_);
        pos_ += r.len;
        return static_cast<int32_t>(r.cp);
    }

    std::string processPossibleHeredoc() {
        next();  // '<'
        if (peek() != '<') return "<";
        next();
        std::string out = "<<";
        while (peek() == ' ' || peek() == '\t') out += static_cast<char>(next());
        return out;
    }

    std::string processSingleQuote() {
        std::string result;
        std::string_view raw = rawAt();
        next();
        if (lex_.rawQuotes) result += raw;
        for (;;) {
            raw = rawAt();
            int32_t ch = next();
            if (ch == kEOF)
                throw LexError{"unexpected end of statement while looking for matching single-quote"};
            if (ch == '\'') {
                if (lex_.rawQuotes) result += raw;
                return result;
            }
            result += raw;
        }
    }

    std::string processDoubleQuote() {
        std::string result;
        std::string_view raw = rawAt();
        next();
        if (lex_.rawQuotes) result += raw;
        for (;;) {
            int32_t ch = peek();
            if (ch == kEOF)
                throw LexError{"unexpected end of statement while looking for matching double-quote"};
            if (ch == '"') {
                raw = rawAt();
                next();
                if (lex_.rawQuotes) result += raw;
                return result;
            }
            if (ch == '$') {
                result += processDollar();
                continue;
            }
            raw = rawAt();
            next();
            if (ch == static_cast<int32_t>(lex_.escapeToken)) {
                int32_t p = peek();
                if (p == kEOF) {
                    if (lex_.rawEscapes) result += raw;
                    continue;  // dropped; the missing quote is reported next round
                }
                if (p == '"' || p == '$' || p == static_cast<int32_t>(lex_.escapeToken)) {
                    if (lex_.rawEscapes) result += raw;
                    raw = rawAt();
                    next();
                }
            }
            result += raw;
        }
    }

    std::string processName() {
        std::string name;
        while (peek() != kEOF) {
            int32_t ch = peek();
            if (name.empty() && detail::isDigit(static_cast<char32_t>(ch))) {
                while (peek() != kEOF && detail::isDigit(static_cast<char32_t>(peek()))) {
                    name += rawAt();
                    next();
                }
                return name;
            }
            if (name.empty() && isSpecialParam(ch)) {
                name += rawAt();
                next();
                return name;
            }
            auto c = static_cast<char32_t>(ch);
            if (!detail::isLetter(c) && !detail::isDigit(c) && c != '_') break;
            name += rawAt();
            next();
        }
        return name;
    }

    std::optional<std::string> getEnv(const std::string& name) const {
        // Positional and special parameters are never set in a Dockerfile.
        if (!name.empty() && (detail::isDigit(static_cast<unsigned char>(name[0])) || isSpecialParam(name[0])))
            return std::nullopt;
        return env_ ? env_(name) : std::nullopt;
    }

    /// The word after a modifier, up to the closing brace.
    std::string wordToBrace() {
        try {
            return processStopOn('}').first;
        } catch (const LexError&) {
            if (peek() == kEOF) throw LexError{"syntax error: missing '}'"};
            throw;
        }
    }

    [[noreturn]] static void failMandatory(const std::string& name, const std::string& word,
                                           const char* dflt) {
        throw LexError{name + ": " + (word.empty() ? std::string(dflt) : word)};
    }

    std::string processDollar() {
        next();  // '$'
        if (peek() != '{') {
            std::string name = processName();
            if (name.empty()) return "$";
            auto v = getEnv(name);
            if (!v && lex_.skipUnsetEnv) return "$" + name;
            return v.value_or("");
        }
        next();  // '{'
        int32_t p = peek();
        if (p == kEOF) throw LexError{"syntax error: missing '}'"};
        if (p == '{' || p == '}' || p == ':') throw LexError{"syntax error: bad substitution"};
        std::string name = processName();
        int32_t ch = next();
        auto value = getEnv(name);
        switch (ch) {
            case '}':
                if (!value && lex_.skipUnsetEnv) return "${" + name + "}";
                return value.value_or("");
            case '?': {
                std::string word = wordToBrace();
                if (!value) failMandatory(name, word, "is not allowed to be unset");
                return *value;
            }
            case '-':
            case '+': {
                std::string word = wordToBrace();
                if (!value && lex_.skipUnsetEnv)
                    return "${" + name + static_cast<char>(ch) + word + "}";
                if (ch == '-') return value ? *value : word;
                return value ? word : "";
            }
            case ':': {
                int32_t mod = next();
                std::string word = wordToBrace();
                switch (mod) {
                    case '+':
                    case '-': {
                        if (!value && lex_.skipUnsetEnv)
                            return "${" + name + ":" + static_cast<char>(mod) + word + "}";
                        std::string v = value.value_or("");
                        if (mod == '+') return v.empty() ? v : word;
                        return v.empty() ? word : v;
                    }
                    case '?':
                        if (!value) failMandatory(name, word, "is not allowed to be unset");
                        if (value->empty()) failMandatory(name, word, "is not allowed to be empty");
                        return *value;
                    default: {
                        std::string m;
                        if (mod != kEOF) detail::appendRune(m, static_cast<char32_t>(mod));
                        throw LexError{"unsupported modifier (" + m + ") in substitution"};
                    }
                }
            }
            case kEOF:
                throw LexError{"syntax error: missing '}'"};
            default:
                throw LexError{"missing ':' in substitution"};
        }
    }

    const ShellLexer& lex_;
    std::string_view src_;
    const EnvLookup& env_;
    size_t pos_ = 0;
};

std::pair<std::string, std::vector<std::string>> run(const ShellLexer& lex, std::string_view word,
                                                     const EnvLookup& env) {
    Scanner sc(lex, word, env);
    try {
        return sc.processStopOn(kEOF);
    } catch (const LexError& e) {
        throw ShellWordError("failed to process " + detail::goQuote(word) + ": " + e.msg);
    }
}

}  // namespace

std::string ShellLexer::processWord(std::string_view word, const EnvLookup& env) const {
    return run(*this, word, env).first;
}

std::vector<std::string> ShellLexer::processWords(std::string_view word, const EnvLookup& env) const {
    return run(*this, word, env).second;
}

std::string expandWordAt(const ShellLexer& lexer, std::string_view word, const EnvLookup& env,
                         const std::string& file, int line) {
    try {
        return lexer.processWord(word, env);
    } catch (const ShellWordError& e) {
        throw ConfigError(file, line, e.what());
    }
}

std::vector<std::string> expandWordsAt(const ShellLexer& lexer, std::string_view word, const EnvLookup& env,
                                       const std::string& file, int line) {
    try {
        return lexer.processWords(word, env);
    } catch (const ShellWordError& e) {
        throw ConfigError(file, line, e.what());
    }
}

}  // namespace hutch::builder
