// Functions of the Go text/template subset: Go's builtins and podman's report functions,
// plus a Go fmt.Sprintf subset for printf (see gotemplate.hpp).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "hutch/common/gotemplate_ast.hpp"
#include "hutch/common/jsonbytes.hpp"

namespace hutch::gotemplate::detail {
namespace {

using Args = std::vector<Value>;

std::string goType(const Value& v) { return goTypeName(v.j, "<nil>"); }

void wantArgs(const char* fn, const Args& a, size_t n) {
    if (a.size() != n) throw fmt::format("wrong number of args for {}: want {} got {}", fn, n, a.size());
}

const std::string& str(const Value& v) {
    if (!v.j.is_string()) throw fmt::format("wrong type for value; expected string; got {}", goType(v));
    return v.j.get_ref<const std::string&>();
}

int64_t integer(const Value& v) {
    if (v.j.is_number_integer()) return v.j.get<int64_t>();
    throw fmt::format("wrong type for value; expected int; got {}", goType(v));
}

Value val(Json j) { return Value{std::move(j)}; }

/// -1, 0, 1 comparing two basic values; throws for incompatible or unordered types.
int compare(const Value& a, const Value& b, bool ordered) {
    const Json &x = a.j, &y = b.j;
    if (x.is_number() && y.is_number()) {
        if (x.is_number_float() || y.is_number_float()) {
            double p = x.get<double>(), q = y.get<double>();
            return p < q ? -1 : p > q ? 1 : 0;
        }
        if (x.is_number_unsigned() && y.is_number_unsigned()) {
            auto p = x.get<uint64_t>(), q = y.get<uint64_t>();
            return p < q ? -1 : p > q ? 1 : 0;
        }
        auto p = x.get<int64_t>(), q = y.get<int64_t>();
        return p < q ? -1 : p > q ? 1 : 0;
    }
    if (x.is_string() && y.is_string()) return x.get_ref<const std::string&>().compare(y.get_ref<const std::string&>()) < 0 ? -1 : x == y ? 0 : 1;
    if (!ordered) {
        if (x.is_boolean() && y.is_boolean()) return x == y ? 0 : 1;
        if ((x.is_null() || a.missing) && (y.is_null() || b.missing)) return 0;
        if (x.is_null() || y.is_null() || a.missing || b.missing) return 1;
        if (x.type() == y.type() && !x.is_primitive()) throw std::string("non-comparable types");
        throw std::string("incompatible types for comparison");
    }
    if (x.type() != y.type() && !(x.is_number() && y.is_number())) throw std::string("incompatible types for comparison");
    throw std::string("invalid type for comparison");
}

Value cmpFn(const Args& a, bool (*ok)(int)) {
    wantArgs("comparison", a, 2);
    return val(ok(compare(a[0], a[1], true)));
}

std::string goTitle(std::string s) {
    bool prevLetter = false;
    for (char& c : s) {
        bool letter = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80);
        if (letter && !prevLetter) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        prevLetter = letter;
    }
    return s;
}

const std::map<std::string, Func>& table() {
    static const std::map<std::string, Func> t = {
        {"and", [](const Args& a) {
             if (a.empty()) throw std::string("wrong number of args for and: want at least 1 got 0");
             for (const auto& v : a)
                 if (!truth(v)) return v;
             return a.back();
         }},
        {"or", [](const Args& a) {
             if (a.empty()) throw std::string("wrong number of args for or: want at least 1 got 0");
             for (const auto& v : a)
                 if (truth(v)) return v;
             return a.back();
         }},
        {"not", [](const Args& a) { wantArgs("not", a, 1); return val(!truth(a[0])); }},
        {"len", [](const Args& a) {
             wantArgs("len", a, 1);
             const Json& j = a[0].j;
             if (j.is_string()) return val(j.get_ref<const std::string&>().size());
             if (j.is_array() || j.is_object()) return val(j.size());
             throw fmt::format("len of type {}", goType(a[0]));
         }},
        {"index", [](const Args& a) {
             if (a.empty()) throw std::string("wrong number of args for index: want at least 1 got 0");
             Value v = a[0];
             for (size_t i = 1; i < a.size(); ++i) {
                 if (v.missing || v.j.is_null()) throw std::string("index of untyped nil");
                 if (v.j.is_array() || v.j.is_string()) {
                     if (!a[i].j.is_number_integer()) throw fmt::format("cannot index slice/array with type {}", goType(a[i]));
                     int64_t k = a[i].j.get<int64_t>();
                     size_t n = v.j.is_array() ? v.j.size() : v.j.get_ref<const std::string&>().size();
                     if (k < 0 || static_cast<size_t>(k) >= n) throw fmt::format("index out of range: {}", k);
                     v = v.j.is_array() ? Value{v.j[static_cast<size_t>(k)]}
                                        : val(static_cast<int>(static_cast<unsigned char>(v.j.get_ref<const std::string&>()[static_cast<size_t>(k)])));
                 } else if (v.j.is_object()) {
                     if (!a[i].j.is_string()) throw fmt::format("value has type {}; should be string", goType(a[i]));
                     auto it = v.j.find(a[i].j.get<std::string>());
                     v = it == v.j.end() ? val("") : Value{*it};  // the zero value of podman's map[string]string
                 } else
                     throw fmt::format("can't index item of type {}", goType(v));
             }
             return v;
         }},
        {"slice", [](const Args& a) {
             if (a.empty() || a.size() > 3) throw fmt::format("wrong number of args for slice: want 1 to 3 got {}", a.size());
             const Json& j = a[0].j;
             if (!j.is_array() && !j.is_string()) throw fmt::format("can't slice item of type {}", goType(a[0]));
             size_t n = j.is_array() ? j.size() : j.get_ref<const std::string&>().size();
             int64_t lo = a.size() > 1 ? integer(a[1]) : 0, hi = a.size() > 2 ? integer(a[2]) : static_cast<int64_t>(n);
             if (lo < 0 || hi < lo || static_cast<size_t>(hi) > n) throw fmt::format("index out of range: {}", hi);
             if (j.is_string()) return val(j.get_ref<const std::string&>().substr(static_cast<size_t>(lo), static_cast<size_t>(hi - lo)));
             Json out = Json::array();
             for (auto k = lo; k < hi; ++k) out.push_back(j[static_cast<size_t>(k)]);
             return val(out);
         }},
        {"print", [](const Args& a) {
             std::string s;
             for (size_t i = 0; i < a.size(); ++i) {
                 if (i && !a[i].j.is_string() && !a[i - 1].j.is_string()) s += ' ';
                 s += a[i].missing || a[i].j.is_null() ? "<nil>" : formatValue(a[i].j);
             }
             return val(s);
         }},
        {"println", [](const Args& a) {
             std::string s;
             for (size_t i = 0; i < a.size(); ++i) s += (i ? " " : "") + (a[i].missing || a[i].j.is_null() ? std::string("<nil>") : formatValue(a[i].j));
             return val(s + "\n");
         }},
        {"printf", [](const Args& a) {
             if (a.empty()) throw std::string("wrong number of args for printf: want at least 1 got 0");
             return val(sprintf(str(a[0]), Args(a.begin() + 1, a.end())));
         }},
        {"eq", [](const Args& a) {
             if (a.size() < 2) throw std::string("missing argument for comparison");
             for (size_t i = 1; i < a.size(); ++i)
                 if (compare(a[0], a[i], false) == 0) return val(true);
             return val(false);
         }},
        {"ne", [](const Args& a) { wantArgs("ne", a, 2); return val(compare(a[0], a[1], false) != 0); }},
        {"lt", [](const Args& a) { return cmpFn(a, [](int c) { return c < 0; }); }},
        {"le", [](const Args& a) { return cmpFn(a, [](int c) { return c <= 0; }); }},
        {"gt", [](const Args& a) { return cmpFn(a, [](int c) { return c > 0; }); }},
        {"ge", [](const Args& a) { return cmpFn(a, [](int c) { return c >= 0; }); }},
        // podman's containers/common report functions.
        {"json", [](const Args& a) { wantArgs("json", a, 1); return val(goJson(a[0].missing ? Json(nullptr) : a[0].j)); }},
        {"lower", [](const Args& a) {
             wantArgs("lower", a, 1);
             std::string s = str(a[0]);
             std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
             return val(s);
         }},
        {"upper", [](const Args& a) {
             wantArgs("upper", a, 1);
             std::string s = str(a[0]);
             std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
             return val(s);
         }},
        {"title", [](const Args& a) { wantArgs("title", a, 1); return val(goTitle(str(a[0]))); }},
        {"truncate", [](const Args& a) {
             wantArgs("truncate", a, 2);
             const std::string& s = str(a[0]);
             int64_t n = integer(a[1]);
             if (n < 0) throw fmt::format("runtime error: slice bounds out of range [:{}]", n);  // as Go panics
             return val(s.size() > static_cast<size_t>(n) ? s.substr(0, static_cast<size_t>(n)) : s);
         }},
        {"pad", [](const Args& a) {
             // containers/common padWithSpace: "" stays ""; strings.Repeat refuses a negative
             // count. hutch also refuses more than 1e6 spaces (Go would try to allocate them).
             wantArgs("pad", a, 3);
             const std::string& s = str(a[0]);
             int64_t before = integer(a[1]), after = integer(a[2]);
             if (s.empty()) return val("");
             for (int64_t n : {before, after}) {
                 if (n < 0) throw std::string("strings: negative Repeat count");
                 if (n > 1000000) throw fmt::format("strings: Repeat count {} too large (at most 1000000)", n);
             }
             return val(std::string(static_cast<size_t>(before), ' ') + s + std::string(static_cast<size_t>(after), ' '));
         }},
        {"join", [](const Args& a) {
             wantArgs("join", a, 2);
             const std::string& sep = str(a[1]);
             if (a[0].j.is_null() || a[0].missing) return val("");
             if (!a[0].j.is_array()) throw fmt::format("wrong type for value; expected []string; got {}", goType(a[0]));
             std::string s;
             for (size_t i = 0; i < a[0].j.size(); ++i) s += (i ? sep : "") + formatValue(a[0].j[i]);
             return val(s);
         }},
        {"split", [](const Args& a) {
             wantArgs("split", a, 2);
             const std::string &s = str(a[0]), &sep = str(a[1]);
             Json out = Json::array();
             if (sep.empty()) {
                 for (char c : s) out.push_back(std::string(1, c));
                 return val(out);
             }
             size_t i = 0;
             for (;;) {
                 size_t j = s.find(sep, i);
                 out.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
                 if (j == std::string::npos) return val(out);
                 i = j + sep.size();
             }
         }},
    };
    return t;
}

/// One %v-style rendering of `v` for verb `verb` (without width), Go's %!verb(type=value) on a
/// type mismatch.
std::string formatOne(char verb, const Value& v, int prec, bool plus, bool sharp) {
    const Json& j = v.j;
    bool nil = v.missing || j.is_null();
    auto bad = [&] { return nil ? fmt::format("%!{}(<nil>)", verb) : fmt::format("%!{}({}={})", verb, goType(v), formatValue(j)); };
    switch (verb) {
    case 'v':
        if (nil) return "<nil>";
        if (sharp && j.is_string()) return jsonbytes::dumpReplacing(Json(j));
        return formatValue(j);
    case 's': {
        if (j.is_string()) {
            const std::string& s = j.get_ref<const std::string&>();
            return prec >= 0 ? s.substr(0, static_cast<size_t>(prec)) : s;
        }
        if (j.is_array() || j.is_object()) return formatValue(j);
        return bad();
    }
    case 'q':
        if (j.is_string()) return jsonbytes::dumpReplacing(Json(j));
        return bad();
    case 't':
        if (j.is_boolean()) return formatValue(j);
        return bad();
    case 'd':
        if (j.is_number_integer()) {
            std::string s = formatValue(j);
            return plus && s[0] != '-' ? "+" + s : s;
        }
        return bad();
    case 'c':
        if (j.is_number_integer()) return std::string(1, static_cast<char>(j.get<int64_t>()));
        return bad();
    case 'x':
    case 'X': {
        std::string s;
        if (j.is_number_integer())
            s = j.get<int64_t>() < 0 ? "-" + fmt::format("{:x}", -j.get<int64_t>()) : fmt::format("{:x}", j.get<int64_t>());
        else if (j.is_string())
            for (unsigned char c : j.get_ref<const std::string&>()) s += fmt::format("{:02x}", c);
        else
            return bad();
        if (verb == 'X') std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        return s;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'g': {
        if (!j.is_number()) return bad();
        double d = j.get<double>();
        std::string s;
        if (verb == 'g')
            s = prec >= 0 ? fmt::format("{:.{}g}", d, prec) : fmt::format("{}", d);
        else
            s = verb == 'e' ? fmt::format("{:.{}e}", d, prec >= 0 ? prec : 6) : fmt::format("{:.{}f}", d, prec >= 0 ? prec : 6);
        return plus && d >= 0 ? "+" + s : s;
    }
    default: return nil ? fmt::format("%!{}(<nil>)", verb) : fmt::format("%!{}({}={})", verb, goType(v), formatValue(j));
    }
}

}  // namespace

const Func* findFunc(const std::string& name) {
    auto it = table().find(name);
    return it == table().end() ? nullptr : &it->second;
}

std::string sprintf(const std::string& f, const std::vector<Value>& args) {
    std::string out;
    size_t argi = 0;
    for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] != '%') {
            out += f[i];
            continue;
        }
        if (++i >= f.size()) {
            out += "%!(NOVERB)";
            break;
        }
        bool minus = false, zero = false, plus = false, sharp = false, space = false;
        for (; i < f.size(); ++i) {
            char c = f[i];
            if (c == '-') minus = true;
            else if (c == '0') zero = true;
            else if (c == '+') plus = true;
            else if (c == '#') sharp = true;
            else if (c == ' ') space = true;
            else break;
        }
        // Go's fmt: a width or precision above 1e6 is "too large". Written in the format, it
        // ends the directive (%!(NOVERB)); taken from an argument (`*`), as also a missing or
        // non-integer argument, it is %!(BADWIDTH) / %!(BADPREC) and unset.
        constexpr int64_t kTooLarge = 1000000;
        auto number = [&](int& n) {
            while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) {
                if (n > kTooLarge) {
                    i = f.size();
                    n = 0;
                    return;
                }
                n = n * 10 + (f[i++] - '0');
            }
        };
        auto fromArg = [&](int& n) -> bool {
            ++i;  // the '*'
            if (argi >= args.size()) return false;
            const Value& a = args[argi++];
            if (!a.j.is_number_integer()) return false;
            int64_t v = a.j.get<int64_t>();
            if (v > kTooLarge || v < -kTooLarge) return false;
            n = static_cast<int>(v);
            return true;
        };
        int width = 0, prec = -1;
        if (i < f.size() && f[i] == '*') {
            if (!fromArg(width)) {
                out += "%!(BADWIDTH)";
                width = 0;
            }
            if (width < 0) {  // a negative width pads on the right, with spaces
                width = -width;
                minus = true;
                zero = false;
            }
        } else {
            number(width);
        }
        if (i < f.size() && f[i] == '.') {
            ++i;
            prec = 0;
            if (i < f.size() && f[i] == '*') {
                bool ok = fromArg(prec) && prec >= 0;  // a negative precision makes no sense
                if (!ok) {
                    out += "%!(BADPREC)";
                    prec = -1;
                }
            } else {
                number(prec);
            }
        }
        if (i >= f.size()) {
            out += "%!(NOVERB)";
            break;
        }
        char verb = f[i];
        if (verb == '%') {
            out += '%';
            continue;
        }
        if (argi >= args.size()) {
            out += fmt::format("%!{}(MISSING)", verb);
            continue;
        }
        std::string s = formatOne(verb, args[argi++], prec, plus, sharp);
        if (space && !plus && (verb == 'd') && !s.empty() && s[0] != '-') s = " " + s;
        if (static_cast<int>(s.size()) < width) {
            size_t pad = static_cast<size_t>(width) - s.size();
            if (minus)
                s += std::string(pad, ' ');
            else if (zero && (verb == 'd' || verb == 'f' || verb == 'x' || verb == 'X' || verb == 'e' || verb == 'g')) {
                size_t at = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
                s.insert(at, std::string(pad, '0'));
            } else
                s = std::string(pad, ' ') + s;
        }
        out += s;
    }
    if (argi < args.size()) {
        out += "%!(EXTRA ";
        for (size_t k = argi; k < args.size(); ++k)
            out += (k > argi ? ", " : "") + goType(args[k]) + "=" + (args[k].j.is_null() ? "<nil>" : formatValue(args[k].j));
        out += ")";
    }
    return out;
}

std::string goTypeName(const Json& j, const char* nullName) {
    switch (j.type()) {
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "bool";
    case Json::value_t::number_float: return "float64";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "int";
    case Json::value_t::array: return "[]interface {}";
    case Json::value_t::object: return "map[string]interface {}";
    default: return nullName;
    }
}

}  // namespace hutch::gotemplate::detail
