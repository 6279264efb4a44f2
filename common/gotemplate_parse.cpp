// Lexer and parser of the Go text/template subset (see gotemplate.hpp).
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "hutch/common/error.hpp"
#include "hutch/common/gotemplate_ast.hpp"

namespace hutch::gotemplate {
namespace detail {
namespace {

struct Tok {
    enum T { Text, Left, Right, Field, Var, Dot, Ident, String, Number, LParen, RParen, Pipe, Declare, Assign, Comma, Eof } t;
    std::string s;
    size_t pos = 0, end = 0;
};

bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
public:
    Lexer(const std::string& name, const std::string& text) : name_(name), in_(text) {}

    std::vector<Tok> run() {
        size_t i = 0;
        bool trimNext = false;
        while (i < in_.size()) {
            size_t open = in_.find("{{", i);
            std::string text = in_.substr(i, open == std::string::npos ? std::string::npos : open - i);
            if (trimNext) text.erase(0, text.find_first_not_of(" \t\r\n") == std::string::npos ? text.size() : text.find_first_not_of(" \t\r\n"));
            if (open == std::string::npos) {
                push(Tok::Text, text, i, in_.size());
                break;
            }
            size_t p = open + 2;
            if (in_.compare(p, 2, "- ") == 0 || (in_.compare(p, 1, "-") == 0 && p + 1 < in_.size() && std::isspace(static_cast<unsigned char>(in_[p + 1])))) {
                auto last = text.find_last_not_of(" \t\r\n");
                text.erase(last == std::string::npos ? 0 : last + 1);
                p += 2;
            }
            push(Tok::Text, text, i, open);
            // A comment: {{/* ... */}}.
            size_t q = p;
            while (q < in_.size() && std::isspace(static_cast<unsigned char>(in_[q]))) ++q;
            if (in_.compare(q, 2, "/*") == 0) {
                size_t endc = in_.find("*/", q + 2);
                if (endc == std::string::npos) fail(open, "unclosed comment");
                size_t r = endc + 2;
                trimNext = false;
                if (in_.compare(r, 4, " -}}") == 0) {
                    trimNext = true;
                    r += 4;
                } else if (in_.compare(r, 2, "}}") == 0)
                    r += 2;
                else
                    fail(open, "comment ends before closing delimiter");
                i = r;
                continue;
            }
            push(Tok::Left, "{{", open, p);
            i = action(p, open, trimNext);
        }
        push(Tok::Eof, "", in_.size(), in_.size());
        return std::move(toks_);
    }

private:
    [[noreturn]] void fail(size_t pos, const std::string& msg) const {
        size_t line = 1;
        for (size_t k = 0; k < pos && k < in_.size(); ++k) line += in_[k] == '\n';
        throw InvalidArgument(fmt::format("template: {}:{}: {}", name_, line, msg));
    }
    void push(Tok::T t, std::string s, size_t pos, size_t end) { toks_.push_back({t, std::move(s), pos, end}); }

    /// Lexes one action from `p` (after "{{" and a trim marker) through "}}"; returns the
    /// offset after it and sets `trimNext` for a "-}}".
    size_t action(size_t p, size_t open, bool& trimNext) {
        int parens = 0;
        for (;;) {
            if (p >= in_.size()) fail(open, "unclosed action");
            char c = in_[p];
            if (std::isspace(static_cast<unsigned char>(c))) {
                if (in_.compare(p + 1, 3, "-}}") == 0) {
                    if (parens > 0) fail(p, "unclosed left paren");
                    push(Tok::Right, "}}", p, p + 4);
                    trimNext = true;
                    return p + 4;
                }
                ++p;
                continue;
            }
            if (in_.compare(p, 2, "}}") == 0) {
                if (parens > 0) fail(p, "unclosed left paren");
                push(Tok::Right, "}}", p, p + 2);
                trimNext = false;
                return p + 2;
            }
            size_t start = p;
            if (c == '"' || c == '`') {
                p = quoted(p);
                continue;
            }
            if (c == '.' && p + 1 < in_.size() && (std::isalpha(static_cast<unsigned char>(in_[p + 1])) || in_[p + 1] == '_')) {
                ++p;
                while (p < in_.size() && identChar(in_[p])) ++p;
                push(Tok::Field, in_.substr(start + 1, p - start - 1), start, p);
                continue;
            }
            if (c == '$') {
                ++p;
                while (p < in_.size() && identChar(in_[p])) ++p;
                push(Tok::Var, in_.substr(start, p - start), start, p);
                continue;
            }
            if (std::isdigit(static_cast<unsigned char>(c)) ||
                ((c == '-' || c == '+' || c == '.') && p + 1 < in_.size() && std::isdigit(static_cast<unsigned char>(in_[p + 1])))) {
                ++p;
                while (p < in_.size() && (std::isalnum(static_cast<unsigned char>(in_[p])) || in_[p] == '.' || in_[p] == '_' ||
                                          ((in_[p] == '-' || in_[p] == '+') && (in_[p - 1] == 'e' || in_[p - 1] == 'E'))))
                    ++p;
                push(Tok::Number, in_.substr(start, p - start), start, p);
                continue;
            }
            if (c == '.') {
                push(Tok::Dot, ".", p, p + 1);
                ++p;
                continue;
            }
            if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                while (p < in_.size() && identChar(in_[p])) ++p;
                push(Tok::Ident, in_.substr(start, p - start), start, p);
                continue;
            }
            if (in_.compare(p, 2, ":=") == 0) {
                push(Tok::Declare, ":=", p, p + 2);
                p += 2;
                continue;
            }
            switch (c) {
            case '(': ++parens; push(Tok::LParen, "(", p, p + 1); break;
            case ')':
                if (--parens < 0) fail(p, "unexpected right paren U+0029 ')'");
                push(Tok::RParen, ")", p, p + 1);
                break;
            case '|': push(Tok::Pipe, "|", p, p + 1); break;
            case '=': push(Tok::Assign, "=", p, p + 1); break;
            case ',': push(Tok::Comma, ",", p, p + 1); break;
            default: fail(p, fmt::format("bad character U+{:04X} '{}'", static_cast<unsigned char>(c), c));
            }
            ++p;
        }
    }

    /// A "..." (Go escapes) or `...` (raw) string starting at `p`; returns the offset after it.
    size_t quoted(size_t p) {
        size_t start = p;
        char q = in_[p++];
        std::string s;
        for (;;) {
            if (p >= in_.size() || (q == '"' && in_[p] == '\n')) fail(start, "unterminated quoted string");
            char c = in_[p++];
            if (c == q) break;
            if (c != '\\' || q == '`') {
                s += c;
                continue;
            }
            if (p >= in_.size()) fail(start, "unterminated quoted string");
            char e = in_[p++];
            switch (e) {
            case 'n': s += '\n'; break;
            case 't': s += '\t'; break;
            case 'r': s += '\r'; break;
            case 'a': s += '\a'; break;
            case 'b': s += '\b'; break;
            case 'f': s += '\f'; break;
            case 'v': s += '\v'; break;
            case '\\': s += '\\'; break;
            case '"': s += '"'; break;
            case '\'': s += '\''; break;
            case 'x':
                if (p + 2 > in_.size()) fail(start, "invalid syntax");
                s += static_cast<char>(std::strtol(in_.substr(p, 2).c_str(), nullptr, 16));
                p += 2;
                break;
            case 'u': {
                if (p + 4 > in_.size()) fail(start, "invalid syntax");
                unsigned cp = static_cast<unsigned>(std::strtoul(in_.substr(p, 4).c_str(), nullptr, 16));
                p += 4;
                if (cp < 0x80)
                    s += static_cast<char>(cp);
                else if (cp < 0x800) {
                    s += static_cast<char>(0xC0 | (cp >> 6));
                    s += static_cast<char>(0x80 | (cp & 0x3F));
                } else {
                    s += static_cast<char>(0xE0 | (cp >> 12));
                    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                    s += static_cast<char>(0x80 | (cp & 0x3F));
                }
                break;
            }
            default: fail(start, "invalid syntax");
            }
        }
        push(Tok::String, s, start, p);
        return p;
    }

    const std::string& name_;
    const std::string& in_;
    std::vector<Tok> toks_;
};

class Parser {
public:
    Parser(const std::string& name, const std::string& text, std::vector<Tok> toks)
        : name_(name), text_(text), toks_(std::move(toks)) {}

    NodeList parseTemplate() {
        std::string stop;
        NodeList l = list(stop);
        if (!stop.empty()) fail(toks_[i_ - 1].pos, "unexpected {{" + stop + "}}");
        return l;
    }

private:
    [[noreturn]] void fail(size_t pos, const std::string& msg) const {
        size_t line = 1;
        for (size_t k = 0; k < pos && k < text_.size(); ++k) line += text_[k] == '\n';
        throw InvalidArgument(fmt::format("template: {}:{}: {}", name_, line, msg));
    }
    const Tok& peek(size_t ahead = 0) const { return toks_[std::min(i_ + ahead, toks_.size() - 1)]; }
    const Tok& next() { return toks_[std::min(i_++, toks_.size() - 1)]; }
    void expectRight(const std::string& ctx) {
        if (peek().t != Tok::Right) fail(peek().pos, fmt::format("unexpected \"{}\" in {}", peek().s, ctx));
        next();
    }

    /// Nodes up to {{end}} / {{else}} / EOF; `stop` gets "end", "else" or "" (EOF). After an
    /// "else" the tokens following the keyword are left unread.
    NodeList list(std::string& stop) {
        NodeList out;
        for (;;) {
            const Tok& t = next();
            if (t.t == Tok::Eof) {
                stop.clear();
                return out;
            }
            if (t.t == Tok::Text) {
                if (!t.s.empty()) {
                    auto n = std::make_shared<Node>();
                    n->kind = Node::Text;
                    n->text = t.s;
                    n->pos = t.pos;
                    out.push_back(n);
                }
                continue;
            }
            // t is Left.
            const Tok& k = peek();
            if (k.t == Tok::Ident && (k.s == "end" || k.s == "else")) {
                next();
                stop = k.s;
                if (k.s == "end") expectRight("end");
                return out;
            }
            if (k.t == Tok::Ident && (k.s == "if" || k.s == "range" || k.s == "with")) {
                next();
                out.push_back(control(k.s == "if" ? Node::If : k.s == "range" ? Node::Range : Node::With, k.pos));
                continue;
            }
            if (k.t == Tok::Ident && (k.s == "define" || k.s == "template" || k.s == "block" || k.s == "break" || k.s == "continue"))
                fail(k.pos, fmt::format("{{{{{}}}}} is not supported by hutch", k.s));
            auto n = std::make_shared<Node>();
            n->kind = Node::Action;
            n->pos = k.pos;
            n->pipe = pipeline("command", true);
            expectRight("command");
            out.push_back(n);
        }
    }

    /// Counts one level of nesting (a control block, an "else if", a parenthesized pipeline)
    /// for its lifetime; past kMaxDepth the parse fails, so neither this recursive parser nor
    /// the executor walking the tree can exhaust the stack.
    class Nest {
    public:
        Nest(Parser& p, size_t pos) : p_(p) {
            if (++p_.depth_ > kMaxDepth) p_.fail(pos, fmt::format("nesting deeper than {}", kMaxDepth));
        }
        ~Nest() { --p_.depth_; }
        Nest(const Nest&) = delete;
        Nest& operator=(const Nest&) = delete;

    private:
        Parser& p_;
    };

    /// if/range/with after the keyword: pipeline, list, optional else (or "else if"), end.
    std::shared_ptr<Node> control(Node::Kind kind, size_t pos) {
        static const char* names[] = {"", "", "if", "range", "with"};
        Nest nest(*this, pos);
        auto n = std::make_shared<Node>();
        n->kind = kind;
        n->pos = pos;
        n->pipe = pipeline(names[kind], true);
        if (n->pipe.cmds.empty()) fail(pos, fmt::format("missing value for {}", names[kind]));
        expectRight(names[kind]);
        std::string stop;
        n->list = list(stop);
        if (stop.empty()) fail(text_.size(), "unexpected EOF");
        if (stop == "else") {
            if (kind == Node::If && peek().t == Tok::Ident && peek().s == "if") {
                size_t p = next().pos;
                n->elseList.push_back(control(Node::If, p));  // consumes the shared {{end}}
            } else {
                expectRight("else");
                n->elseList = list(stop);
                if (stop != "end") fail(stop.empty() ? text_.size() : peek().pos, stop.empty() ? "unexpected EOF" : "expected end; found {{else}}");
            }
        }
        return n;
    }

    Pipeline pipeline(const std::string& ctx, bool allowDecl) {
        Pipeline p;
        p.pos = peek().pos;
        if (allowDecl && peek().t == Tok::Var) {
            bool two = peek(1).t == Tok::Comma && peek(2).t == Tok::Var && (peek(3).t == Tok::Declare || peek(3).t == Tok::Assign);
            if (two || peek(1).t == Tok::Declare || peek(1).t == Tok::Assign) {
                p.vars.push_back(next().s);
                if (two) {
                    next();
                    p.vars.push_back(next().s);
                }
                p.declare = next().t == Tok::Declare;
                if (p.vars.size() == 2 && ctx != "range") fail(p.pos, "too many declarations in " + ctx);
            }
        }
        for (;;) {
            Command c;
            c.pos = peek().pos;
            while (peek().t != Tok::Pipe && peek().t != Tok::Right && peek().t != Tok::RParen && peek().t != Tok::Eof)
                c.args.push_back(operand());
            size_t end = i_ > 0 ? toks_[i_ - 1].end : c.pos;
            c.src = end > c.pos ? text_.substr(c.pos, end - c.pos) : "";
            if (c.args.empty()) {
                if (peek().t == Tok::Pipe || !p.cmds.empty()) fail(c.pos, "missing value for command");
                if (!p.vars.empty()) fail(c.pos, "missing value for " + ctx);
                return p;
            }
            p.cmds.push_back(std::move(c));
            if (peek().t != Tok::Pipe) return p;
            next();
        }
    }

    Arg operand() {
        const Tok& t = next();
        Arg a;
        a.pos = t.pos;
        switch (t.t) {
        case Tok::Field:
            a.kind = Arg::Field;
            a.chain.push_back(t.s);
            break;
        case Tok::Dot: a.kind = Arg::Dot; break;
        case Tok::Var: a.kind = Arg::Var; a.name = t.s; break;
        case Tok::String: a.kind = Arg::Literal; a.literal = t.s; break;
        case Tok::Number: a.kind = Arg::Literal; a.literal = number(t); break;
        case Tok::Ident:
            if (t.s == "true" || t.s == "false") {
                a.kind = Arg::Literal;
                a.literal = t.s == "true";
            } else if (t.s == "nil") {
                a.kind = Arg::Literal;
                a.literal = nullptr;
            } else {
                if (!findFunc(t.s)) fail(t.pos, fmt::format("function \"{}\" not defined", t.s));
                a.kind = Arg::Ident;
                a.name = t.s;
            }
            break;
        case Tok::LParen: {
            Nest nest(*this, t.pos);
            a.kind = Arg::Paren;
            a.pipe = std::make_shared<Pipeline>(pipeline("parenthesized pipeline", false));
            if (a.pipe->cmds.empty()) fail(t.pos, "missing value for parenthesized pipeline");
            if (next().t != Tok::RParen) fail(t.pos, "unclosed left paren");
            break;
        }
        default: fail(t.pos, fmt::format("unexpected \"{}\" in operand", t.s));
        }
        // A field chain directly after the term: .A.B, $x.A, (...).A
        size_t end = toks_[i_ - 1].end;
        while (peek().t == Tok::Field && peek().pos == end && a.kind != Arg::Literal && a.kind != Arg::Ident) {
            a.chain.push_back(peek().s);
            end = next().end;
        }
        a.src = text_.substr(a.pos, end - a.pos);
        return a;
    }

    Json number(const Tok& t) {
        const std::string& s = t.s;
        char* e = nullptr;
        bool isFloat = s.find_first_of(".eE") != std::string::npos && s.find("0x") == std::string::npos && s.find("0X") == std::string::npos;
        std::string clean;
        for (char c : s)
            if (c != '_') clean += c;
        if (!isFloat) {
            long long v = std::strtoll(clean.c_str(), &e, 0);
            if (*e == '\0') return v;
        } else {
            double d = std::strtod(clean.c_str(), &e);
            if (*e == '\0') return d;
        }
        fail(t.pos, fmt::format("bad number syntax: \"{}\"", s));
    }

    const std::string& name_;
    const std::string& text_;
    std::vector<Tok> toks_;
    size_t i_ = 0;
    static constexpr int kMaxDepth = 100;
    int depth_ = 0;
};

}  // namespace
}  // namespace detail

Template Template::parse(const std::string& name, const std::string& text) {
    auto impl = std::make_shared<Impl>();
    impl->name = name;
    impl->text = text;
    detail::Lexer lx(impl->name, impl->text);
    detail::Parser ps(impl->name, impl->text, lx.run());
    impl->root = ps.parseTemplate();
    Template t;
    t.impl_ = std::move(impl);
    return t;
}

}  // namespace hutch::gotemplate
