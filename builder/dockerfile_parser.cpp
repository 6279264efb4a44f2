// Dockerfile parser (buildkit frontend/dockerfile/parser rules); see dockerfile_parser.hpp.
#include "hutch/builder/dockerfile_parser.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

#include "hutch/builder/line_parsers.hpp"
#include "hutch/builder/shell_word.hpp"
#include "hutch/builder/text_util.hpp"
#include "hutch/common/error.hpp"

namespace hutch::builder {

using detail::goQuote;
using detail::lower;
using detail::trimLeftSpace;
using detail::trimSpace;

// ---------------------------------------------------------------------------------------
// Dump

std::string Node::dump() const {
    std::string s = lower(value);
    if (!flags.empty()) {
        s += " [";
        for (size_t i = 0; i < flags.size(); ++i) s += (i ? " " : "") + goQuote(flags[i]);
        s += "]";
    }
    for (const Node& c : children) s += "(" + c.dump() + ")\n";
    for (const Node& n : next) {
        if (!n.children.empty())
            s += " " + n.dump();
        else
            s += " " + goQuote(n.value);
    }
    return trimSpace(s);
}

// ---------------------------------------------------------------------------------------
// Directives

namespace {

constexpr size_t kMaxLine = 65535;

/// Parser directives at the top of the file (buildkit's DirectiveParser + escape state).
class Directives {
public:
    char escape = '\\';

    /// Looks at one raw line (newline stripped); sets the escape token. Returns an error
    /// message, empty if fine.
    std::string possibleDirective(std::string_view line) {
        if (done_) return "";
        std::string key, value;
        if (!match(line, key, value)) {
            done_ = true;
            return "";
        }
        key = lower(key);
        if (key != "escape" && key != "syntax" && key != "check") {
            done_ = true;
            return "";
        }
        for (const auto& k : seen_)
            if (k == key) return "only one " + key + " parser directive can be used";
        seen_.push_back(key);
        if (key == "escape") {
            if (value != "`" && value != "\\")
                return "invalid escape token '" + value + "' does not match ` or \\";
            escape = value[0];
        }
        return "";
    }

private:
    /// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
    static bool match(std::string_view l, std::string& key, std::string& value) {
        auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '\v'; };
        auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
        size_t i = 0;
        if (i >= l.size() || l[i] != '#') return false;
        ++i;
        while (i < l.size() && ws(l[i])) ++i;
        if (i >= l.size() || !alpha(l[i])) return false;
        size_t ks = i;
        while (i < l.size() && (alpha(l[i]) || (l[i] >= '0' && l[i] <= '9'))) ++i;
        key = std::string(l.substr(ks, i - ks));
        while (i < l.size() && ws(l[i])) ++i;
        if (i >= l.size() || l[i] != '=') return false;
        ++i;
        while (i < l.size() && ws(l[i])) ++i;
        size_t end = l.size();
        while (end > i && ws(l[end - 1])) --end;
        if (end <= i) return false;
        value = std::string(l.substr(i, end - i));
        return true;
    }

    bool done_ = false;
    std::vector<std::string> seen_;
};

std::string_view trimNewline(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool isComment(std::string_view rawLine) {
    auto t = trimLeftSpace(trimNewline(rawLine));
    return !t.empty() && t[0] == '#';
}

bool isEmptyContinuationLine(std::string_view line) { return trimLeftSpace(trimNewline(line)).empty(); }

/// `([^E])E[ \t]*$|^E[ \t]*$` with E the escape token: true and the line without the
/// continuation if the line continues.
bool trimContinuation(std::string& line, char escape) {
    size_t end = line.size();
    while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
    if (end == 0 || line[end - 1] != escape) return false;
    if (end >= 2 && line[end - 2] == escape) return false;
    line.resize(end - 1);
    return true;
}

/// Splits data into lines the way bufio.Scanner with buildkit's scanLines does: each line
/// keeps its '\n'; a last line without one is still a line.
class LineScanner {
public:
    explicit LineScanner(std::string_view d) : data_(d) {}
    /// False at end of input. Throws on an over-long line (message only; caller adds place).
    bool scan(std::string_view& line) {
        if (pos_ >= data_.size()) return false;
        size_t nl = data_.find('\n', pos_);
        size_t end = nl == std::string_view::npos ? data_.size() : nl + 1;
        line = data_.substr(pos_, end - pos_);
        if (trimNewline(line).size() > kMaxLine || (nl == std::string_view::npos && line.size() > kMaxLine))
            tooLong_ = true;
        pos_ = end;
        return !tooLong_;
    }
    bool tooLong() const { return tooLong_; }

private:
    std::string_view data_;
    size_t pos_ = 0;
    bool tooLong_ = false;
};

bool canContainHeredoc(const Node& n) {
    const Node* node = &n;
    if (lower(node->value) == "onbuild" && !node->next.empty() && !node->next[0].children.empty())
        node = &node->next[0].children[0];
    std::string v = lower(node->value);
    if (v != "run" && v != "copy" && v != "add") return false;
    return !node->json;
}

std::vector<Heredoc> heredocsFromLine(const std::string& line) {
    ShellLexer lex;
    lex.rawQuotes = true;
    lex.rawEscapes = true;
    lex.skipUnsetEnv = true;  // `<<$EOF` names the delimiter "$EOF"
    std::vector<std::string> words;
    try {
        words = lex.processWords(line, nullptr);
    } catch (const ShellWordError&) {
        return {};
    }
    std::vector<Heredoc> docs;
    for (const auto& w : words) {
        Heredoc h;
        if (parseHeredocWord(w, h)) docs.push_back(std::move(h));
    }
    return docs;
}

[[noreturn]] void fail(const std::string& file, int line, const std::string& msg) {
    throw ConfigError(file, line, msg);
}

}  // namespace

bool parseHeredocWord(std::string_view word, Heredoc& out) {
    // ^(\d*)<<(-?)\s*([^<]*)$
    size_t i = 0;
    while (i < word.size() && word[i] >= '0' && word[i] <= '9') ++i;
    std::string_view digits = word.substr(0, i);
    if (word.substr(i, 2) != "<<") return false;
    i += 2;
    bool chomp = i < word.size() && word[i] == '-';
    if (chomp) ++i;
    while (i < word.size() && (word[i] == ' ' || word[i] == '\t' || word[i] == '\n' || word[i] == '\r' ||
                               word[i] == '\f' || word[i] == '\v'))
        ++i;
    std::string_view rest = word.substr(i);
    if (rest.find('<') != std::string_view::npos || rest.empty()) return false;

    ShellLexer lex;
    lex.skipUnsetEnv = true;
    std::vector<std::string> words;
    std::vector<std::string> raw;
    try {
        words = lex.processWords(rest, nullptr);
        if (words.size() != 1) return false;
        lex.rawQuotes = true;
        raw = lex.processWords(rest, nullptr);
    } catch (const ShellWordError& e) {
        throw InvalidArgument(std::string("invalid heredoc delimiter: ") + e.what());
    }
    if (raw.size() != 1) throw InvalidArgument("inconsistent heredoc delimiter: " + std::string(rest));
    auto quotes = [](const std::string& s) {
        size_t n = 0;
        for (char c : s) n += (c == '\'' || c == '"');
        return n;
    };
    out = Heredoc{};
    out.name = words[0];
    out.expand = quotes(words[0]) == quotes(raw[0]);
    out.chomp = chomp;
    out.fd = 0;  // like buildkit, an unparsable (too large) number counts as none
    if (!digits.empty() && digits.size() < 10) out.fd = static_cast<unsigned>(std::stoul(std::string(digits)));
    return true;
}

std::string chompHeredocContent(std::string_view content) {
    std::string out;
    bool lineStart = true;
    for (char c : content) {
        if (lineStart && c == '\t') continue;
        lineStart = c == '\n';
        out += c;
    }
    return out;
}

ParseResult parseDockerfile(std::string_view data, const std::string& file) {
    ParseResult res;
    Directives d;
    LineScanner sc(data);
    Node& root = res.root;
    root.startLine = -1;
    int currentLine = 0;
    std::vector<std::string> comments;
    std::string_view raw;

    auto processLine = [&](std::string_view token, bool stripLeft, int lineNo) -> std::string {
        token = trimNewline(token);
        if (stripLeft) token = trimLeftSpace(token);
        std::string err = d.possibleDirective(token);
        if (!err.empty()) fail(file, lineNo, err);
        return isComment(token) ? std::string() : std::string(token);
    };

    while (sc.scan(raw)) {
        if (currentLine == 0 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
        if (isComment(raw)) {
            std::string c = trimSpace(trimLeftSpace(trimNewline(raw)).substr(1));
            if (c.empty())
                comments.clear();
            else
                comments.push_back(c);
        }
        std::string line = processLine(raw, true, currentLine + 1);
        ++currentLine;
        int startLine = currentLine;
        bool continues = trimContinuation(line, d.escape);
        if (!continues && line.empty()) continue;

        bool emptyContinuation = false;
        std::string_view cont;
        while (continues && sc.scan(cont)) {
            std::string part = processLine(cont, false, currentLine + 1);
            ++currentLine;
            if (isComment(cont)) continue;
            if (isEmptyContinuationLine(part)) {
                emptyContinuation = true;
                continue;
            }
            continues = trimContinuation(part, d.escape);
            line += part;
        }
        if (sc.tooLong()) break;
        if (emptyContinuation) res.warnings.push_back("Empty continuation line found in: " + line);

        Node child;
        try {
            child = newNodeFromLine(line, d.escape);
        } catch (const InvalidArgument& e) {
            fail(file, startLine, e.what());
        }
        if (canContainHeredoc(child)) {
            std::vector<Heredoc> docs;
            try {
                docs = heredocsFromLine(line);
            } catch (const InvalidArgument& e) {
                fail(file, startLine, e.what());
            }
            for (auto& h : docs) {
                bool terminated = false;
                std::string_view body;
                while (sc.scan(body)) {
                    ++currentLine;
                    std::string_view candidate = trimNewline(body);
                    if (h.chomp)
                        while (!candidate.empty() && candidate[0] == '\t') candidate.remove_prefix(1);
                    if (candidate == h.name) {
                        terminated = true;
                        break;
                    }
                    h.content += body;
                }
                if (sc.tooLong()) break;
                if (!terminated)
                    fail(file, startLine, "unterminated heredoc " + goQuote(h.name) + " (started on line " +
                                              std::to_string(startLine) + ")");
                child.heredocs.push_back(std::move(h));
            }
            if (sc.tooLong()) break;
        }
        child.startLine = startLine;
        child.endLine = currentLine;
        child.comments = std::move(comments);
        comments.clear();
        if (root.startLine < 0) root.startLine = startLine;
        root.endLine = currentLine;
        root.children.push_back(std::move(child));
    }
    if (sc.tooLong())
        fail(file, currentLine + 1, "dockerfile line greater than max allowed size of " + std::to_string(kMaxLine));
    if (root.startLine < 0) fail(file, currentLine, "file with no instructions");
    res.escapeToken = d.escape;
    return res;
}

}  // namespace hutch::builder
