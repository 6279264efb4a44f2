#include "hutch/common/jsonbytes.hpp"

#include <vector>

namespace hutch::jsonbytes {
namespace {

constexpr uint32_t kBase = 0x10FF00;  // byte b (0x80..0xFF) <-> U+10FF00 + b

/// Length of the valid UTF-8 sequence at s[i] (1..4) and its code point, or 0 when the
/// bytes there are not one (overlong forms, surrogates and values past U+10FFFF are invalid).
size_t utf8At(std::string_view s, size_t i, uint32_t& cp) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    size_t n;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

void putUtf8(std::string& out, uint32_t cp) {  // cp in the supplementary planes
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
}

bool isEscape(uint32_t cp) { return cp >= kBase + 0x80 && cp <= kBase + 0xFF; }

/// True when escape(s) == s (the common case: no copy needed).
bool escapeIsIdentity(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        uint32_t cp;
        size_t n = utf8At(s, i, cp);
        if (n == 0 || isEscape(cp)) return false;
        i += n;
    }
    return true;
}

bool mayHoldEscapes(std::string_view s) { return s.find('\xF4') != std::string_view::npos; }

/// Applies `f` (std::string -> std::string) to every string value and object key of `j`,
/// without recursion (the records are ours, but the walk must not care how deep they are).
template <typename Json, typename F, typename Needs>
Json mapStrings(const Json& root, F f, Needs needs) {
    Json out = root;
    std::vector<Json*> todo{&out};
    while (!todo.empty()) {
        Json* j = todo.back();
        todo.pop_back();
        if (j->is_string()) {
            auto& s = j->template get_ref<std::string&>();
            if (needs(s)) s = f(s);
        } else if (j->is_array()) {
            for (auto& e : *j) todo.push_back(&e);
        } else if (j->is_object()) {
            bool keys = false;
            for (auto it = j->begin(); it != j->end() && !keys; ++it) keys = needs(it.key());
            if (keys) {
                Json renamed = Json::object();
                for (auto it = j->begin(); it != j->end(); ++it) renamed[f(it.key())] = std::move(it.value());
                *j = std::move(renamed);
            }
            for (auto& e : *j) todo.push_back(&e);
        }
    }
    return out;
}

template <typename Json>
std::string dumpImpl(const Json& j, int indent) {
    return mapStrings(j, escape, [](const std::string& s) { return !escapeIsIdentity(s); }).dump(indent);
}

}  // namespace

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        uint32_t cp;
        size_t n = utf8At(s, i, cp);
        if (n != 0 && !isEscape(cp)) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        putUtf8(out, kBase + static_cast<unsigned char>(s[i]));
        ++i;
    }
    return out;
}

std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        uint32_t cp;
        size_t n = utf8At(s, i, cp);
        if (n == 4 && isEscape(cp)) {
            out += static_cast<char>(cp - kBase);
            i += 4;
        } else {
            size_t len = n == 0 ? 1 : n;
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string dump(const nlohmann::json& j, int indent) { return dumpImpl(j, indent); }
std::string dump(const nlohmann::ordered_json& j, int indent) { return dumpImpl(j, indent); }

nlohmann::json parse(std::string_view text) {
    auto j = nlohmann::json::parse(text);
    if (!mayHoldEscapes(text)) return j;
    return mapStrings(j, unescape, [](const std::string& s) { return mayHoldEscapes(s); });
}

std::string dumpReplacing(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}
std::string dumpReplacing(const nlohmann::ordered_json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace hutch::jsonbytes
