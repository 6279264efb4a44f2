#include "hutch/common/regex_search.hpp"

#include <regex.h>

#include <vector>

#include "hutch/common/error.hpp"

namespace hutch::regex {
namespace {

constexpr size_t kMaxRepeat = 1000;
constexpr size_t kMaxNesting = 1000;

/// Index just past the bracket expression starting at p[i] == '[', or npos if unterminated.
size_t bracketEnd(const std::string& p, size_t i) {
    ++i;
    if (i < p.size() && p[i] == '^') ++i;
    if (i < p.size() && p[i] == ']') ++i;
    while (i < p.size() && p[i] != ']') {
        if (p[i] == '[' && i + 1 < p.size() && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
            size_t close = p.find(std::string(1, p[i + 1]) + "]", i + 2);
            if (close == std::string::npos) return std::string::npos;
            i = close + 2;
        } else {
            ++i;
        }
    }
    return i < p.size() ? i + 1 : std::string::npos;
}

/// Parses "{n}", "{n,}", "{n,m}" at p[i]; returns the largest count (n+1 for "{n,}") and sets
/// `end` past it, or nullopt when it is not a bound (then "{" is a literal).
std::optional<size_t> bound(const std::string& p, size_t i, size_t& end) {
    size_t close = p.find('}', i);
    if (close == std::string::npos) return std::nullopt;
    size_t n = 0, m = 0;
    bool comma = false, digits = false, mdigits = false;
    for (size_t k = i + 1; k < close; ++k) {
        char c = p[k];
        if (c == ',' && !comma) {
            comma = true;
        } else if (c >= '0' && c <= '9') {
            size_t& v = comma ? m : n;
            v = std::min<size_t>(v * 10 + static_cast<size_t>(c - '0'), 1000000);
            (comma ? mdigits : digits) = true;
        } else {
            return std::nullopt;
        }
    }
    if (!digits) return std::nullopt;
    end = close + 1;
    if (!comma) return n;
    return mdigits ? m : n + 1;
}

/// Translation of RE2 spellings and the size checks (iterative: the pattern may be long).
std::string prepare(const std::string& p, const std::string& what) {
    if (p.size() > kMaxPatternSize)
        throw InvalidArgument(what + ": regular expression of " + std::to_string(p.size()) + " bytes, more than " +
                              std::to_string(kMaxPatternSize));
    struct Frame {
        size_t size = 0, last = 0;
    };
    std::vector<Frame> st(1);
    std::string out;
    auto atom = [&](size_t n) {
        st.back().size += n;
        st.back().last = n;
    };
    for (size_t i = 0; i < p.size();) {
        char c = p[i];
        if (c == '\\' && i + 1 < p.size()) {
            if (p[i + 1] == 'd') out += "[0-9]";
            else if (p[i + 1] == 'D') out += "[^0-9]";
            else out.append(p, i, 2);
            i += 2;
            atom(1);
        } else if (c == '[') {
            size_t e = bracketEnd(p, i);
            if (e == std::string::npos) return p;  // invalid: regcomp says so
            out.append(p, i, e - i);
            i = e;
            atom(1);
        } else if (c == '(') {
            if (st.size() > kMaxNesting) throw InvalidArgument(what + ": regular expression nests too deeply");
            st.emplace_back();
            if (p.compare(i, 3, "(?:") == 0) {
                out += '(';
                i += 3;
            } else {
                out += c;
                ++i;
            }
        } else if (c == ')' && st.size() > 1) {
            size_t g = st.back().size;
            st.pop_back();
            atom(g);
            out += c;
            ++i;
        } else if (c == '{') {
            size_t end = 0;
            auto n = bound(p, i, end);
            if (!n) {
                atom(1);
                out += c;
                ++i;
                continue;
            }
            if (*n > kMaxRepeat) throw InvalidArgument(what + ": invalid repeat count in regular expression");
            Frame& f = st.back();
            size_t extra = f.last * (*n > 0 ? *n - 1 : 0);
            f.size += std::min(extra, kMaxPatternSize + 1);
            f.last = std::min(f.last * std::max<size_t>(*n, 1), kMaxPatternSize + 1);
            out.append(p, i, end - i);
            i = end;
        } else {
            if (c == '*' || c == '+' || c == '?' || c == '|') st.back().size += 1;
            else atom(1);
            if (c == '|') st.back().last = 0;
            out += c;
            ++i;
        }
        if (st.back().size > kMaxPatternSize)
            throw InvalidArgument(what + ": regular expression too large once its repetitions are expanded (more than " +
                                  std::to_string(kMaxPatternSize) + ")");
    }
    size_t total = 0;
    for (const auto& f : st) total += f.size;
    if (total > kMaxPatternSize)
        throw InvalidArgument(what + ": regular expression too large once its repetitions are expanded (more than " +
                              std::to_string(kMaxPatternSize) + ")");
    return out;
}

}  // namespace

std::optional<bool> search(const std::string& pattern, const std::string& subject, const std::string& what) {
    std::string ere = prepare(pattern, what);
    regex_t re;
    if (::regcomp(&re, ere.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return std::nullopt;
    int rc = ::regexec(&re, subject.c_str(), 0, nullptr, 0);
    ::regfree(&re);
    return rc == 0;
}

}  // namespace hutch::regex
