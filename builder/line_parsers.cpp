// Per-instruction argument grammars; see line_parsers.hpp.
#include "hutch/builder/line_parsers.hpp"

#include <nlohmann/json.hpp>


#include "hutch/builder/text_util.hpp"
#include "hutch/common/error.hpp"

namespace hutch::builder {

using detail::decodeRune;
using detail::isSpace;
using detail::lower;
using detail::splitWhitespace;
using detail::trimSpace;

namespace {

Node leaf(std::string v) {
    Node n;
    n.value = std::move(v);
    return n;
}

/// Splits leading `--flag` words off `line` (buildkit extractBuilderFlags). Returns the rest.
std::string extractFlags(const std::string& line, std::vector<std::string>& flags) {
    enum { inSpaces, inWord, inQuote } phase = inSpaces;
    std::string word;
    char quote = 0;
    bool blankOK = false;
    for (size_t pos = 0; pos <= line.size(); ++pos) {
        char ch = pos < line.size() ? line[pos] : 0;
        if (phase == inSpaces) {
            if (pos == line.size()) break;
            if (isSpace(static_cast<unsigned char>(ch))) continue;
            if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') return line.substr(pos);
            phase = inWord;
        }
        if (pos == line.size()) {
            if (word != "--" && (blankOK || !word.empty())) flags.push_back(word);
            break;
        }
        if (phase == inWord) {
            if (isSpace(static_cast<unsigned char>(ch))) {
                phase = inSpaces;
                if (word == "--") return line.substr(pos);
                if (blankOK || !word.empty()) flags.push_back(word);
                word.clear();
                blankOK = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blankOK = true;
                phase = inQuote;
                continue;
            }
            if (ch == '\\') {
                if (pos + 1 == line.size()) continue;
                ch = line[++pos];
            }
            word += ch;
            continue;
        }
        // inQuote
        if (ch == quote) {
            phase = inWord;
            continue;
        }
        if (ch == '\\') {
            if (pos + 1 == line.size()) {
                phase = inWord;
                continue;
            }
            ch = line[++pos];
        }
        word += ch;
    }
    return "";
}

std::vector<Node> parseStringsWhitespaceDelimited(const std::string& rest) {
    std::vector<Node> out;
    if (rest.empty()) return out;
    for (auto& s : splitWhitespace(rest, -1)) out.push_back(leaf(std::move(s)));
    return out;
}

struct NotStringArray {};

/// JSON array of strings. False if `rest` is not a JSON array at all (caller falls back
/// to the shell form); throws NotStringArray for a valid array with a non-string element.
bool parseJSON(const std::string& rest, std::vector<Node>& out) {
    std::string_view r = detail::trimLeftSpace(rest);
    if (r.empty() || r[0] != '[') return false;
    nlohmann::json j;
    try {
        // The whole rest must be the array (current buildkit uses json.Unmarshal, so
        // `["a"] b` falls back to the shell form).
        j = nlohmann::json::parse(r);
    } catch (const nlohmann::json::exception&) {
        return false;
    }
    if (!j.is_array()) return false;
    out.clear();
    for (const auto& e : j) {
        if (!e.is_string()) throw NotStringArray{};
        out.push_back(leaf(e.get<std::string>()));
    }
    return true;
}

const char* kNotStringArray = "when using JSON array syntax, arrays must be comprised of strings only";

void parseMaybeJSON(const std::string& rest, Node& n) {
    if (rest.empty()) return;
    try {
        if (parseJSON(rest, n.next)) {
            n.json = true;
            return;
        }
    } catch (const NotStringArray&) {
        throw InvalidArgument(kNotStringArray);
    }
    n.next = {leaf(rest)};
}

void parseMaybeJSONToList(const std::string& rest, Node& n) {
    try {
        if (parseJSON(rest, n.next)) {
            n.json = true;
            return;
        }
    } catch (const NotStringArray&) {
        throw InvalidArgument(kNotStringArray);
    }
    n.next = parseStringsWhitespaceDelimited(rest);
}

void addKeyValue(Node& n, std::string key, std::string value, std::string sep) {
    n.next.push_back(leaf(std::move(key)));
    n.next.push_back(leaf(std::move(value)));
    n.next.push_back(leaf(std::move(sep)));
}

/// ENV/LABEL: legacy `KEY name value` or `KEY a=b c=d`; triples (key, value, separator).
void parseNameVal(const std::string& rest, const std::string& keyword, char escape, Node& n) {
    auto words = parseWords(rest, escape);
    if (words.empty()) return;
    if (words[0].find('=') == std::string::npos) {
        auto parts = splitWhitespace(rest, 2);
        if (parts.size() < 2) throw InvalidArgument(keyword + " must have two arguments");
        addKeyValue(n, parts[0], parts[1], "");
        return;
    }
    for (const auto& w : words) {
        auto eq = w.find('=');
        if (eq == std::string::npos)
            throw InvalidArgument("Syntax error - can't find = in " + detail::goQuote(w) +
                                  ". Must be of the form: name=value");
        addKeyValue(n, w.substr(0, eq), w.substr(eq + 1), "=");
    }
}

void parseHealthConfig(const std::string& rest, Node& n) {
    size_t sep = 0;
    while (sep < rest.size() && !isSpace(static_cast<unsigned char>(rest[sep]))) ++sep;
    size_t nxt = sep;
    while (nxt < rest.size() && isSpace(static_cast<unsigned char>(rest[nxt]))) ++nxt;
    if (sep == 0) return;
    Node cmd;
    parseMaybeJSON(rest.substr(nxt), cmd);
    n.next.push_back(leaf(rest.substr(0, sep)));
    for (auto& c : cmd.next) n.next.push_back(std::move(c));
    n.json = cmd.json;
}

}  // namespace

std::vector<std::string> parseWords(std::string_view rest, char escape) {
    enum { inSpaces, inWord, inQuote } phase = inSpaces;
    std::vector<std::string> words;
    std::string word;
    char32_t quote = 0;
    bool blankOK = false;
    size_t width = 0;
    char32_t ch = 0;
    const auto esc = static_cast<char32_t>(escape);
    for (size_t pos = 0; pos <= rest.size(); pos += width) {
        std::string_view raw;
        if (pos != rest.size()) {
            auto r = decodeRune(rest, pos);
            ch = r.cp;
            width = r.len;
            raw = rest.substr(pos, width);
        }
        if (phase == inSpaces) {
            if (pos == rest.size()) break;
            if (isSpace(ch)) continue;
            phase = inWord;
        }
        if (pos == rest.size()) {
            if (blankOK || !word.empty()) words.push_back(word);
            break;
        }
        if (phase == inWord) {
            if (isSpace(ch)) {
                phase = inSpaces;
                if (blankOK || !word.empty()) words.push_back(word);
                word.clear();
                blankOK = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blankOK = true;
                phase = inQuote;
            }
            if (ch == esc) {
                if (pos + width == rest.size()) continue;  // escape at end of line dropped
                word += raw;
                pos += width;
                auto r = decodeRune(rest, pos);
                ch = r.cp;
                width = r.len;
                raw = rest.substr(pos, width);
            }
            word += raw;
            continue;
        }
        // inQuote
        if (ch == quote) phase = inWord;
        if (ch == esc && quote != '\'') {
            if (pos + width == rest.size()) {
                phase = inWord;
                continue;
            }
            word += raw;
            pos += width;
            auto r = decodeRune(rest, pos);
            ch = r.cp;
            width = r.len;
            raw = rest.substr(pos, width);
        }
        word += raw;
    }
    return words;
}

Node newNodeFromLine(const std::string& line, char escape) {
    Node n;
    n.original = line;
    std::string trimmed = trimSpace(line);
    auto cmdline = splitWhitespace(trimmed, 2);
    std::string args;
    if (cmdline.size() == 2) args = extractFlags(cmdline[1], n.flags);
    n.value = cmdline.empty() ? std::string() : cmdline[0];
    std::string rest = trimSpace(args);
    std::string kw = lower(n.value);

    if (kw == "add" || kw == "copy" || kw == "volume") {
        parseMaybeJSONToList(rest, n);
    } else if (kw == "cmd" || kw == "entrypoint" || kw == "run" || kw == "shell") {
        parseMaybeJSON(rest, n);
    } else if (kw == "arg") {
        for (auto& w : parseWords(rest, escape)) n.next.push_back(leaf(std::move(w)));
    } else if (kw == "env") {
        parseNameVal(rest, "ENV", escape, n);
    } else if (kw == "label") {
        parseNameVal(rest, "LABEL", escape, n);
    } else if (kw == "expose" || kw == "from") {
        n.next = parseStringsWhitespaceDelimited(rest);
    } else if (kw == "healthcheck") {
        parseHealthConfig(rest, n);
    } else if (kw == "maintainer" || kw == "stopsignal" || kw == "user" || kw == "workdir") {
        if (!rest.empty()) n.next.push_back(leaf(rest));
    } else if (kw == "onbuild") {
        if (!rest.empty()) {
            Node holder;
            holder.children.push_back(newNodeFromLine(rest, escape));
            n.next.push_back(std::move(holder));
        }
    } else {
        n.next.push_back(Node{});  // unknown instruction: rejected later, with its line
    }
    return n;
}

}  // namespace hutch::builder
