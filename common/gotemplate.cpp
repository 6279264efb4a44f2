// Execution of the Go text/template subset and Go's value printing (see gotemplate.hpp).
#include "hutch/common/gotemplate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "hutch/common/error.hpp"
#include "hutch/common/gotemplate_ast.hpp"

namespace hutch::gotemplate {
namespace detail {
namespace {

bool iequals(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// Fields whose values are Go maps in podman's types: unknown keys print "<no value>".
bool mapField(const std::string& name) {
    for (const char* m : {"Labels", "Annotations", "Options", "Sysctls", "Opts", "StorageOpt", "Attributes"})
        if (iequals(name, m)) return true;
    return false;
}

std::string typeName(const Json& j) { return goTypeName(j, "interface {}"); }

class Exec {
public:
    Exec(const Template::Impl& t, const Json& data) : t_(t) {
        root_.j = data;
        vars_.push_back({"$", root_});
    }

    std::string run() {
        walk(root_, t_.root);
        return std::move(out_);
    }

private:
    [[noreturn]] void fail(size_t pos, const std::string& at, const std::string& msg) const {
        size_t line = 1, col = 1;
        for (size_t k = 0; k < pos && k < t_.text.size(); ++k) {
            if (t_.text[k] == '\n') {
                ++line;
                col = 1;
            } else
                ++col;
        }
        throw InvalidArgument(fmt::format("template: {}:{}:{}: executing \"{}\" at <{}>: {}", t_.name, line, col, t_.name, at, msg));
    }

    void walk(const Value& dot, const NodeList& list) {
        for (const auto& n : list) {
            size_t mark = vars_.size();
            switch (n->kind) {
            case Node::Text: out_ += n->text; break;
            case Node::Action: {
                Value v = pipeline(dot, n->pipe);
                if (n->pipe.vars.empty()) out_ += v.missing || v.j.is_null() ? "<no value>" : formatValue(v.j);
                mark = vars_.size();  // a declaration lives to the end of the enclosing block
                break;
            }
            case Node::If:
            case Node::With: {
                Value v = pipeline(dot, n->pipe);
                if (truth(v))
                    walk(n->kind == Node::With ? v : dot, n->list);
                else
                    walk(dot, n->elseList);
                break;
            }
            case Node::Range: range(dot, *n); break;
            }
            vars_.resize(mark);
        }
    }

    void range(const Value& dot, const Node& n) {
        Pipeline p = n.pipe;
        std::vector<std::string> names = p.vars;
        p.vars.clear();
        Value v = pipeline(dot, p);
        auto iterate = [&](const Json& key, const Json& elem) {
            size_t mark = vars_.size();
            Value e{elem, false, false};
            if (names.size() == 1) vars_.push_back({names[0], e});
            if (names.size() == 2) {
                vars_.push_back({names[0], Value{key}});
                vars_.push_back({names[1], e});
            }
            walk(e, n.list);
            vars_.resize(mark);
        };
        if (v.j.is_array() && !v.missing) {
            for (size_t i = 0; i < v.j.size(); ++i) iterate(Json(i), v.j[i]);
            if (v.j.empty()) walk(dot, n.elseList);
        } else if (v.j.is_object() && !v.missing) {
            std::vector<std::string> keys;
            for (auto it = v.j.begin(); it != v.j.end(); ++it) keys.push_back(it.key());
            std::sort(keys.begin(), keys.end());
            for (const auto& k : keys) iterate(Json(k), v.j[k]);
            if (keys.empty()) walk(dot, n.elseList);
        } else if (v.missing || v.j.is_null()) {
            walk(dot, n.elseList);
        } else {
            fail(n.pipe.pos, n.pipe.cmds.front().src, fmt::format("range can't iterate over {}", formatValue(v.j)));
        }
    }

    Value pipeline(const Value& dot, const Pipeline& p) {
        Value v;
        bool have = false;
        for (const auto& c : p.cmds) {
            v = command(dot, c, have ? &v : nullptr);
            have = true;
        }
        for (const auto& name : p.vars) {
            if (p.declare) {
                vars_.push_back({name, v});
                continue;
            }
            auto it = std::find_if(vars_.rbegin(), vars_.rend(), [&](const auto& e) { return e.first == name; });
            if (it == vars_.rend()) fail(p.pos, name, "undefined variable: " + name);
            it->second = v;
        }
        return v;
    }

    Value command(const Value& dot, const Command& c, const Value* piped) {
        const Arg& first = c.args.front();
        if (first.kind == Arg::Ident) {
            std::vector<Value> args;
            for (size_t i = 1; i < c.args.size(); ++i) args.push_back(operand(dot, c.args[i]));
            if (piped) args.push_back(*piped);
            return call(first.name, args, first.pos, c.src);
        }
        if (c.args.size() > 1 || piped)
            fail(first.pos, first.src, fmt::format("can't give argument to non-function {}", first.src));
        return operand(dot, first);
    }

    // Calls function `name`. The functions report errors as a thrown std::string (e.g. a wrong
    // argument count); that becomes the execution error "error calling NAME: ..." at `pos`.
    Value call(const std::string& name, const std::vector<Value>& args, size_t pos, const std::string& src) {
        try {
            return (*findFunc(name))(args);
        } catch (const std::string& e) {
            fail(pos, src, fmt::format("error calling {}: {}", name, e));
        }
    }

    Value operand(const Value& dot, const Arg& a) {
        Value v;
        switch (a.kind) {
        case Arg::Field:
        case Arg::Dot: v = dot; break;
        case Arg::Literal: v.j = a.literal; break;
        case Arg::Var: {
            auto it = std::find_if(vars_.rbegin(), vars_.rend(), [&](const auto& e) { return e.first == a.name; });
            if (it == vars_.rend()) fail(a.pos, a.src, "undefined variable: " + a.name);
            v = it->second;
            break;
        }
        case Arg::Paren: v = pipeline(dot, *a.pipe); break;
        case Arg::Ident: v = call(a.name, {}, a.pos, a.src); break;  // a function as an operand: no arguments
        }
        for (const auto& f : a.chain) v = field(v, f, a);
        return v;
    }

    Value field(const Value& recv, const std::string& name, const Arg& at) {
        if (recv.missing || recv.j.is_null()) return Value{nullptr, true};
        if (!recv.j.is_object())
            fail(at.pos, at.src, fmt::format("can't evaluate field {} in type {}", name, typeName(recv.j)));
        const Json* found = nullptr;
        auto it = recv.j.find(name);
        if (it != recv.j.end())
            found = &*it;
        else
            for (auto k = recv.j.begin(); k != recv.j.end(); ++k)
                if (iequals(k.key(), name)) {
                    found = &k.value();
                    break;
                }
        if (!found) {
            if (recv.mapLike) return Value{nullptr, true};
            fail(at.pos, at.src, fmt::format("can't evaluate field {} in type {}", name, typeName(recv.j)));
        }
        return Value{*found, false, mapField(name)};
    }

    const Template::Impl& t_;
    Value root_;
    std::vector<std::pair<std::string, Value>> vars_;
    std::string out_;
};

}  // namespace

bool truth(const Value& v) {
    if (v.missing) return false;
    const Json& j = v.j;
    switch (j.type()) {
    case Json::value_t::boolean: return j.get<bool>();
    case Json::value_t::number_integer: return j.get<int64_t>() != 0;
    case Json::value_t::number_unsigned: return j.get<uint64_t>() != 0;
    case Json::value_t::number_float: return j.get<double>() != 0;
    case Json::value_t::string:
    case Json::value_t::array:
    case Json::value_t::object: return !j.empty() && !(j.is_string() && j.get_ref<const std::string&>().empty());
    default: return false;
    }
}

}  // namespace detail

std::string formatValue(const Json& v) {
    switch (v.type()) {
    case Json::value_t::string: return v.get<std::string>();
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(v.get<int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(v.get<uint64_t>());
    case Json::value_t::number_float: {
        double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) return fmt::format("{}", static_cast<int64_t>(d));
        if (std::isnan(d)) return "NaN";
        if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
        return fmt::format("{}", d);  // shortest round-trip form, as Go's %v
    }
    case Json::value_t::array: {
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + formatValue(v[i]);
        return s + "]";
    }
    case Json::value_t::object: {
        std::vector<std::string> keys;
        for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
        std::sort(keys.begin(), keys.end());
        std::string s = "map[";
        for (size_t i = 0; i < keys.size(); ++i) s += (i ? " " : "") + keys[i] + ":" + formatValue(v[keys[i]]);
        return s + "]";
    }
    default: return "<nil>";
    }
}

std::string goJson(const Json& v) {
    std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace), out;
    for (char c : s) {
        if (c == '<')
            out += "\\u003c";
        else if (c == '>')
            out += "\\u003e";
        else if (c == '&')
            out += "\\u0026";
        else
            out += c;
    }
    return out;
}

std::string Template::execute(const Json& data) const {
    if (!impl_) return "";
    return detail::Exec(*impl_, data).run();
}

std::string render(const std::string& name, const std::string& text, const Json& data) {
    return Template::parse(name, text).execute(data);
}

}  // namespace hutch::gotemplate
