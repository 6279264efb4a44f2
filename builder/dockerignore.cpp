// .dockerignore matching; see dockerignore.hpp.
#include "hutch/builder/dockerignore.hpp"

#include <sstream>

#include "hutch/builder/text_util.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::builder {

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
    std::string s = cleanPath(pattern);
    if (!s.empty() && s[0] == '!') {
        if (s.size() == 1) throw InvalidArgument("illegal exclusion pattern: \"!\"");
        p.exception = true;
        s = s.substr(1);
    }
    p.cleaned = s;
    std::string re = "^";
    size_t i = 0;
    int brackets = 0;
    while (i < s.size()) {
        char ch = s[i++];
        if (ch == '*') {
            if (i < s.size() && s[i] == '*') {
                ++i;
                if (i < s.size() && s[i] == '/') ++i;  // "**/" is "**"
                re += i >= s.size() ? ".*" : "(.*/)?";
            } else {
                re += "[^/]*";
            }
        } else if (ch == '?') {
            re += "[^/]";
        } else if (std::string_view(".+()|{}$^").find(ch) != std::string_view::npos && !(ch == '^' && brackets)) {
            re += '\\';
            re += ch;
        } else if (ch == '\\') {
            if (i < s.size()) {
                // An escaped character is literal. (Go's regexp would read `\d`, `\w`, ...
                // as classes and reject `\1`; hutch keeps every escaped letter literal.)
                char next = s[i++];
                bool alnum = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9');
                if (!alnum && static_cast<unsigned char>(next) < 0x80) re += '\\';
                re += next;
            } else {
                re += "\\\\";
            }
        } else {
            if (ch == '[') ++brackets;
            if (ch == ']' && brackets) --brackets;
            re += ch;
        }
    }
    if (brackets) throw InvalidArgument("syntax error in pattern: " + pattern);
    re += "$";
    try {
        p.re = std::regex(re, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
        throw InvalidArgument("syntax error in pattern: " + pattern);
    }
    return p;
}

DockerIgnore DockerIgnore::parse(std::string_view content, const std::string& file) {
    DockerIgnore di;
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
        try {
            di.patterns_.push_back(compile(pat));
        } catch (const InvalidArgument& e) {
            throw ConfigError(file, lineNo, e.what());
        }
        di.text_.push_back(pat);
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

bool DockerIgnore::matchOne(const Pattern& p, const std::string& path) const {
    return std::regex_match(path, p.re);
}

bool DockerIgnore::excluded(std::string_view rawPath) const {
    std::string file = cleanPath(rawPath);
    while (file.size() > 1 && file[0] == '/') file.erase(0, 1);
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

}  // namespace hutch::builder
