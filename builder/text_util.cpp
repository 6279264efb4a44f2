#include "hutch/builder/text_util.hpp"

namespace hutch::builder::detail {

Rune decodeRune(std::string_view s, size_t pos) {
    if (pos >= s.size()) return {0, 0};
    auto b = static_cast<unsigned char>(s[pos]);
    if (b < 0x80) return {b, 1};
    size_t need = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b & 0xE0) == 0xC0) {
        need = 1, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        need = 2, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        need = 3, cp = b & 0x07, min = 0x10000;
    } else {
        return {0xFFFD, 1};
    }
    for (size_t i = 1; i <= need; ++i) {
        if (pos + i >= s.size()) return {0xFFFD, 1};
        auto c = static_cast<unsigned char>(s[pos + i]);
        if ((c & 0xC0) != 0x80) return {0xFFFD, 1};
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0xFFFD, 1};
    return {cp, need + 1};
}

void appendRune(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool isSpace(char32_t c) {
    switch (c) {
        case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
        case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
        case 0x205F: case 0x3000:
            return true;
        default:
            return c >= 0x2000 && c <= 0x200A;
    }
}

bool isDigit(char32_t c) { return c >= '0' && c <= '9'; }

bool isLetter(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (isSpace(c)) return false;
    if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;  // Latin-1 punctuation
    if (c == 0xD7 || c == 0xF7) return false;
    if (c >= 0x2000 && c <= 0x2BFF) return false;  // punctuation, symbols, arrows, ...
    if (c >= 0x3000 && c <= 0x303F) return false;  // CJK punctuation
    if (c >= 0xE000 && c <= 0xF8FF) return false;  // private use
    if (c >= 0xFE00 && c <= 0xFE6F) return false;  // variation selectors, small forms
    if (c >= 0xFF00 && c <= 0xFF20) return false;  // full-width punctuation
    if (c >= 0xFFF0) return false;
    return true;
}

std::string_view trimLeftSpace(std::string_view s) {
    size_t pos = 0;
    while (pos < s.size()) {
        Rune r = decodeRune(s, pos);
        if (!isSpace(r.cp)) break;
        pos += r.len;
    }
    return s.substr(pos);
}

std::string trimSpace(std::string_view s) {
    s = trimLeftSpace(s);
    // Trim from the right: find the end of the last non-space rune.
    size_t end = 0;
    size_t pos = 0;
    while (pos < s.size()) {
        Rune r = decodeRune(s, pos);
        pos += r.len;
        if (!isSpace(r.cp)) end = pos;
    }
    return std::string(s.substr(0, end));
}

static bool isRegexWs(char c) { return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' '; }

std::vector<std::string> splitWhitespace(std::string_view s, int n) {
    std::vector<std::string> out;
    if (n == 0) return out;
    size_t start = 0;
    size_t pos = 0;
    while (pos < s.size()) {
        if (n > 0 && static_cast<int>(out.size()) == n - 1) break;
        if (isRegexWs(s[pos])) {
            size_t end = pos;
            while (pos < s.size() && isRegexWs(s[pos])) ++pos;
            out.emplace_back(s.substr(start, end - start));
            start = pos;
        } else {
            ++pos;
        }
    }
    out.emplace_back(s.substr(start));
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

static bool isPrint(char32_t c) {
    if (c < 0x80) return c >= 0x20 && c < 0x7F;
    if (c <= 0xA0 || c == 0xAD) return false;
    if (isSpace(c)) return false;
    if ((c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F))
        return false;
    if (c >= 0xD800 && c <= 0xF8FF) return false;  // surrogates, private use
    if (c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) || c >= 0xFFFE) return c > 0xFFFF && c < 0xE0000;
    return true;
}

std::string goQuote(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    size_t pos = 0;
    while (pos < s.size()) {
        Rune r = decodeRune(s, pos);
        bool invalid = r.cp == 0xFFFD && r.len == 1 && static_cast<unsigned char>(s[pos]) >= 0x80;
        if (invalid) {
            auto b = static_cast<unsigned char>(s[pos]);
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 15];
        } else if (r.cp == '"' || r.cp == '\\') {
            out += '\\';
            out += static_cast<char>(r.cp);
        } else if (isPrint(r.cp)) {
            out.append(s.substr(pos, r.len));
        } else {
            switch (r.cp) {
                case '\a': out += "\\a"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '\v': out += "\\v"; break;
                default:
                    if (r.cp < ' ' || r.cp == 0x7F) {
                        out += "\\x";
                        out += hex[(r.cp >> 4) & 15];
                        out += hex[r.cp & 15];
                    } else {
                        int digits = r.cp > 0xFFFF ? 8 : 4;
                        out += digits == 8 ? "\\U" : "\\u";
                        for (int i = digits - 1; i >= 0; --i) out += hex[(r.cp >> (4 * i)) & 15];
                    }
            }
        }
        pos += r.len;
    }
    out += '"';
    return out;
}

}  // namespace hutch::builder::detail
