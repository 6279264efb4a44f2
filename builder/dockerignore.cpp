// .dockerignore matching; see dockerignore.hpp.
#include "hutch/builder/dockerignore.hpp"

#include <algorithm>
#include <sstream>

#include "hutch/builder/text_util.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::builder {

namespace {

using Token = DockerIgnore::Token;

std::u32string decode(std::string_view s) {
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        auto r = detail::decodeRune(s, i);
        out.push_back(r.cp);
        i += r.len ? r.len : 1;
    }
    return out;
}

/// Go's filepath.Match syntax check of `p` (the errors it reports for any subject):
/// a class needs at least one range and a closing ']', a range end may not be '-' or ']'
/// unescaped, and a '\' needs a character after it.
bool validGoPattern(const std::u32string& p) {
    size_t i = 0, n = p.size();
    while (i < n) {
        if (p[i] == '*') {
            ++i;
            continue;
        }
        if (p[i] == '[') {
            ++i;
            if (i < n && p[i] == '^') ++i;
            int nrange = 0;
            auto getEsc = [&](char32_t& out) {
                if (i >= n || p[i] == '-' || p[i] == ']') return false;
                if (p[i] == '\\' && ++i >= n) return false;
                out = p[i++];
                return i < n;  // a range must be followed by more of the class
            };
            for (;;) {
                if (i < n && p[i] == ']' && nrange > 0) {
                    ++i;
                    break;
                }
                char32_t lo = 0, hi = 0;
                if (!getEsc(lo)) return false;
                if (p[i] == '-') {
                    ++i;
                    if (!getEsc(hi)) return false;
                }
                ++nrange;
            }
            continue;
        }
        if (p[i] == '\\' && ++i >= n) return false;
        ++i;
    }
    return true;
}

bool inClass(const Token& t, char32_t c) {
    bool in = false;
    for (const auto& [lo, hi] : t.ranges)
        if (lo <= c && c <= hi) in = true;
    return in != t.negated;
}

/// One '/'-free component of the path against tokens [b, e) that are Lit (not '/'), Any,
/// Class or Star: the classic wildcard walk that resumes after the last `*` (each star-free
/// stretch taken at its first place, which never loses a match). No set of positions.
bool globComponent(const std::vector<Token>& t, size_t b, size_t e, const char32_t* s, size_t n) {
    auto matches = [&](const Token& k, char32_t c) {
        return k.kind == Token::Lit ? c == k.ch : k.kind == Token::Any ? c != '/' : inClass(k, c);
    };
    // needFrom[i - b]: characters tokens i.. of the component still consume at least; a
    // resume that leaves fewer cannot match, nor can any later one.
    std::vector<size_t> needFrom(e - b + 1, 0);
    for (size_t i = e; i-- > b;) needFrom[i - b] = needFrom[i - b + 1] + (t[i].kind == Token::Star ? 0 : 1);
    if (needFrom[0] > n) return false;
    size_t i = b, j = 0, star = e, resume = 0;
    while (j < n) {
        if (i < e && t[i].kind != Token::Star && matches(t[i], s[j])) {
            ++i;
            ++j;
        } else if (i < e && t[i].kind == Token::Star) {
            star = i++;
            resume = j;
        } else if (star != e && n - (resume + 1) >= needFrom[star + 1 - b]) {
            i = star + 1;
            j = ++resume;
        } else {
            return false;
        }
    }
    while (i < e && t[i].kind == Token::Star) ++i;
    return i == e;
}

bool globNfa(const std::vector<Token>& t, const std::u32string& s);

/// Matches the tokens against `path`. Without `**` (Dirs), `.*` (Rest) and classes that take
/// a '/', a '/' of the path can only meet a '/' of the pattern, so the components are matched one by one with
/// globComponent (near linear); otherwise globNfa.
bool glob(const std::vector<Token>& t, std::string_view path) {
    const std::u32string s = decode(path);
    bool simple = true;  // (a class like [!a] matches '/' too, as in moby's regexp)
    for (const auto& k : t)
        simple = simple && k.kind != Token::Dirs && k.kind != Token::Rest && !(k.kind == Token::Class && inClass(k, U'/'));
    if (!simple) return globNfa(t, s);
    size_t b = 0, j = 0;
    for (;;) {
        size_t e = b;
        while (e < t.size() && !(t[e].kind == Token::Lit && t[e].ch == '/')) ++e;
        size_t slash = s.find(U'/', j);
        size_t end = slash == std::u32string::npos ? s.size() : slash;
        if (!globComponent(t, b, e, s.data() + j, end - j)) return false;
        bool patternEnds = e == t.size(), pathEnds = slash == std::u32string::npos;
        if (patternEnds || pathEnds) return patternEnds && pathEnds;
        b = e + 1;
        j = slash + 1;
    }
}

/// Matches the tokens against `s` without recursion (a pattern or path of any length
/// uses no stack): the set of positions of `s` reachable after each token, as a bitmap
/// walked in order (no sort). A position is kept only while the rest of the path can still
/// hold the characters the remaining tokens need, so a long pattern against a long path
/// costs about (tokens x the slack between them), not tokens x path length; runs of `*`
/// count as one.
bool globNfa(const std::vector<Token>& t, const std::u32string& s) {
    const size_t n = s.size();
    auto consumes = [](const Token& k) { return k.kind == Token::Lit || k.kind == Token::Any || k.kind == Token::Class; };
    // need[i]: characters tokens i.. must consume at least (up to a ".*", which ends the match).
    std::vector<size_t> need(t.size() + 1, 0);
    for (size_t i = t.size(); i-- > 0;)
        need[i] = t[i].kind == Token::Rest ? 0 : need[i + 1] + (consumes(t[i]) ? 1 : 0);
    if (need[0] > n) return false;
    std::vector<char> cur(n + 1, 0), next(n + 1, 0);
    cur[0] = 1;
    size_t lo = 0, hi = 0;  // the set lies in [lo, hi]
    for (size_t i = 0; i < t.size(); ++i) {
        const Token& k = t[i];
        if (k.kind == Token::Rest) return true;  // ".*" ends the pattern; the set is not empty
        if (k.kind == Token::Star && i > 0 && t[i - 1].kind == Token::Star) continue;  // "**" in a component: one star
        const size_t limit = n - need[i + 1];  // the furthest a position may be after this token
        size_t nlo = n + 1, nhi = 0;
        auto add = [&](size_t p) {
            if (p > limit || next[p]) return;
            next[p] = 1;
            nlo = std::min(nlo, p);
            nhi = std::max(nhi, p);
        };
        switch (k.kind) {
        case Token::Lit:
        case Token::Any:
        case Token::Class:
            for (size_t p = lo; p <= hi && p < n; ++p) {
                if (!cur[p]) continue;
                bool ok = k.kind == Token::Lit ? s[p] == k.ch : k.kind == Token::Any ? s[p] != '/' : inClass(k, s[p]);
                if (ok) add(p + 1);
            }
            break;
        case Token::Star: {  // any run without '/'
            size_t reach = 0;  // positions below it are in already
            for (size_t p = lo; p <= hi; ++p) {
                if (!cur[p]) continue;
                for (size_t j = std::max(p, reach); j <= limit; ++j) {
                    add(j);
                    reach = j + 1;
                    if (j == n || s[j] == '/') break;
                }
            }
            break;
        }
        case Token::Dirs:  // "(.*/)?": stay, or move past any later '/'
            for (size_t p = lo; p <= hi; ++p)
                if (cur[p]) add(p);
            for (size_t j = lo; j < n; ++j)
                if (s[j] == '/') add(j + 1);
            break;
        case Token::Rest: break;
        }
        for (size_t p = lo; p <= hi; ++p) cur[p] = 0;
        if (nlo > nhi) return false;
        cur.swap(next);
        lo = nlo;
        hi = nhi;
    }
    return cur[n] != 0;
}

/// moby's compile: glob tokens of the cleaned pattern `r`, and in `kind` the kind of match
/// that follows from the characters met (kExact, kPrefix, kSuffix or kGlob).
enum { kExact, kPrefix, kSuffix, kGlob };
std::vector<Token> tokenize(const std::u32string& r, int& kind) {
    std::vector<Token> tokens;
    kind = kExact;
    // moby's compile: the kind of match follows from the characters met.
    size_t k = 0, n = r.size();
    for (size_t i = 0; k < n; ++i) {
        char32_t ch = r[k++];
        Token t;
        if (ch == '*') {
            if (k < n && r[k] == '*') {
                ++k;
                if (k < n && r[k] == '/') ++k;  // "**/" is "**"
                if (k >= n) {
                    if (kind == kExact)
                        kind = kPrefix;
                    else
                        kind = kGlob;
                    t.kind = Token::Rest;
                } else {
                    t.kind = Token::Dirs;
                    kind = kGlob;
                }
                if (i == 0) kind = kSuffix;
            } else {
                t.kind = Token::Star;
                kind = kGlob;
            }
        } else if (ch == '?') {
            t.kind = Token::Any;
            kind = kGlob;
        } else if (ch == '\\') {
            t.ch = '\\';
            if (k < n) {
                t.ch = r[k++];
                kind = kGlob;
            }
        } else if (ch == '[') {
            t.kind = Token::Class;
            kind = kGlob;
            if (k < n && r[k] == '^') {
                t.negated = true;
                ++k;
            }
            while (k < n && !(r[k] == ']' && !t.ranges.empty())) {
                char32_t lo = r[k++];
                if (lo == '\\' && k < n) lo = r[k++];
                char32_t hi = lo;
                if (k + 1 < n && r[k] == '-' && r[k + 1] != ']') {
                    ++k;
                    hi = r[k++];
                    if (hi == '\\' && k < n) hi = r[k++];
                }
                t.ranges.emplace_back(lo, hi);
            }
            ++k;  // ']' (validGoPattern made sure it is there)
        } else {
            t.ch = ch;
        }
        tokens.push_back(std::move(t));
    }
    return tokens;
}

}  // namespace

std::string cleanPath(std::string_view p) {
    if (p.empty()) return ".";
    bool rooted = p[0] == '/';
    std::vector<std::string> parts;
    for (auto& seg : str::split(p, '/')) {
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!rooted)
                parts.push_back("..");
            continue;
        }
        parts.push_back(seg);
    }
    std::string out = rooted ? "/" : "";
    out += str::join(parts, "/");
    return out.empty() ? "." : out;
}

DockerIgnore::Pattern DockerIgnore::compile(const std::string& pattern) {
    Pattern p;
    std::string s = cleanPath(detail::trimSpace(pattern));
    if (!s.empty() && s[0] == '!') {
        if (s.size() == 1) throw InvalidArgument("illegal exclusion pattern: \"!\"");
        p.exception = true;
        s = s.substr(1);
    }
    p.cleaned = s;
    std::u32string r = decode(s);
    if (!validGoPattern(r)) throw InvalidArgument("syntax error in pattern: " + pattern);
    int kind = 0;
    p.tokens = tokenize(r, kind);
    p.kind = static_cast<Pattern::Kind>(kind);
    // Leading components of fixed depth, for mayIncludeBelow().
    for (const auto& comp : str::split(s, '/')) {
        if (comp.find("**") != std::string::npos || comp.find('[') != std::string::npos || comp.empty() ||
            comp.back() == '\\')
            break;
        int ignored = 0;
        p.lead.push_back(tokenize(decode(comp), ignored));
    }
    return p;
}

bool DockerIgnore::matchOne(const Pattern& p, const std::string& path) {
    switch (p.kind) {
    case Pattern::Exact: return path == p.cleaned;
    case Pattern::Prefix: return path.rfind(p.cleaned.substr(0, p.cleaned.size() - 2), 0) == 0;
    case Pattern::Suffix: {
        std::string suffix = p.cleaned.substr(2);
        if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
            return true;
        return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);  // "**/foo" matches "foo"
    }
    case Pattern::Glob: return glob(p.tokens, path);
    }
    return false;
}

std::vector<IgnoreLine> DockerIgnore::readLines(std::string_view content) {
    std::vector<IgnoreLine> out;
    std::istringstream in{std::string(content)};
    int lineNo = 0;
    for (std::string line; std::getline(in, line);) {
        if (lineNo == 0 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line[0] == '#') continue;
        std::string pat = detail::trimSpace(line);
        if (pat.empty()) continue;
        bool invert = pat[0] == '!';
        if (invert) pat = detail::trimSpace(pat.substr(1));
        if (!pat.empty()) {
            pat = cleanPath(pat);
            if (pat.size() > 1 && pat[0] == '/') pat.erase(0, 1);
        }
        if (invert) pat = "!" + pat;
        out.push_back({lineNo, pat});
    }
    return out;
}

DockerIgnore DockerIgnore::fromPatterns(const std::vector<std::string>& patterns) {
    DockerIgnore di;
    for (const auto& raw : patterns) {
        if (detail::trimSpace(raw).empty()) continue;
        di.patterns_.push_back(compile(raw));
        di.text_.push_back((di.patterns_.back().exception ? "!" : "") + di.patterns_.back().cleaned);
    }
    return di;
}

DockerIgnore DockerIgnore::parse(std::string_view content, const std::string& file) {
    DockerIgnore di;
    for (const auto& l : readLines(content)) {
        try {
            di.patterns_.push_back(compile(l.pattern));
        } catch (const InvalidArgument& e) {
            throw ConfigError(file, l.line, e.what());
        }
        di.text_.push_back(l.pattern);
    }
    return di;
}

DockerIgnore DockerIgnore::load(const std::string& contextDir) {
    for (const char* name : {".containerignore", ".dockerignore"}) {
        std::string path = fsutil::join(contextDir, name);
        if (fsutil::exists(path)) return parse(fsutil::readFile(path), path);
    }
    return DockerIgnore{};
}

bool DockerIgnore::excluded(std::string_view rawPath) const {
    std::string file = cleanPath(rawPath);
    while (file.size() > 1 && file[0] == '/') file.erase(0, 1);
    if (file == ".") return false;  // the context itself is never excluded
    auto slash = file.rfind('/');
    std::string parent = slash == std::string::npos ? "." : file.substr(0, slash);
    auto parentDirs = str::split(parent, '/');
    bool matched = false;
    for (const auto& p : patterns_) {
        // An inclusion cannot change an already excluded path, nor an exception an included one.
        if (p.exception != matched) continue;
        bool match = matchOne(p, file);
        if (!match && parent != ".") {
            std::string prefix;
            for (size_t i = 0; i < parentDirs.size() && !match; ++i) {
                prefix += (i ? "/" : "") + parentDirs[i];
                match = matchOne(p, prefix);
            }
        }
        if (match) matched = !p.exception;
    }
    return matched;
}

bool DockerIgnore::hasExceptions() const {
    for (const auto& p : patterns_)
        if (p.exception) return true;
    return false;
}

bool DockerIgnore::mayIncludeBelow(std::string_view dir) const {
    std::string d = cleanPath(dir);
    while (d.size() > 1 && d[0] == '/') d.erase(0, 1);
    std::vector<std::string> comps = d == "." ? std::vector<std::string>{} : str::split(d, '/');
    for (const auto& p : patterns_) {
        if (!p.exception) continue;
        size_t k = std::min(p.lead.size(), comps.size());
        bool all = true;
        for (size_t i = 0; i < k && all; ++i) all = glob(p.lead[i], comps[i]);
        if (all) return true;
    }
    return false;
}

}  // namespace hutch::builder
