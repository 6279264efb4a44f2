// Node tree -> typed instructions and stages (buildkit instructions/parse.go rules);
// see instructions.hpp.
#include "hutch/builder/instructions.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>

#include "hutch/builder/text_util.hpp"
#include "hutch/common/error.hpp"

namespace hutch::builder {

using detail::lower;
using detail::upper;

namespace {

/// buildkit's BFlags: the `--name[=value]` words of one instruction checked against the
/// flags it declares.
class Flags {
public:
    explicit Flags(const std::vector<std::string>& raw) : raw_(raw) {}

    void addString(const std::string& n) { decl_[n] = Kind::String; }
    void addBool(const std::string& n) { decl_[n] = Kind::Bool; }
    void addStrings(const std::string& n) { decl_[n] = Kind::Strings; }

    /// Throws InvalidArgument on an unknown, duplicate or malformed flag.
    void parse() {
        for (const auto& arg : raw_) {
            if (arg.rfind("--", 0) != 0) throw InvalidArgument("arg should start with -- : " + arg);
            if (arg == "--") return;
            std::string name = arg.substr(2);
            std::string value;
            bool hasValue = false;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
                hasValue = true;
            }
            auto it = decl_.find(name);
            if (it == decl_.end()) throw InvalidArgument("unknown flag: --" + name);
            if (it->second != Kind::Strings && seen_.count(name))
                throw InvalidArgument("duplicate flag specified: --" + name);
            seen_[name] = true;
            switch (it->second) {
                case Kind::Bool: {
                    std::string v = lower(value);
                    if (!hasValue || v == "true")
                        bools_[name] = true;
                    else if (v == "false")
                        bools_[name] = false;
                    else
                        throw InvalidArgument("expecting boolean value for flag --" + name + ", not: " + value);
                    break;
                }
                case Kind::String:
                    if (!hasValue) throw InvalidArgument("missing a value on flag: --" + name);
                    strings_[name] = value;
                    break;
                case Kind::Strings:
                    if (!hasValue) throw InvalidArgument("missing a value on flag: --" + name);
                    lists_[name].push_back(value);
                    break;
            }
        }
    }

    std::string str(const std::string& n) const {
        auto it = strings_.find(n);
        return it == strings_.end() ? std::string() : it->second;
    }
    bool boolean(const std::string& n) const {
        auto it = bools_.find(n);
        return it != bools_.end() && it->second;
    }
    std::vector<std::string> list(const std::string& n) const {
        auto it = lists_.find(n);
        return it == lists_.end() ? std::vector<std::string>{} : it->second;
    }

private:
    enum class Kind { String, Bool, Strings };
    const std::vector<std::string>& raw_;
    std::map<std::string, Kind> decl_;
    std::map<std::string, bool> seen_;
    std::map<std::string, std::string> strings_;
    std::map<std::string, bool> bools_;
    std::map<std::string, std::vector<std::string>> lists_;
};

[[noreturn]] void bad(const std::string& msg) { throw InvalidArgument(msg); }

std::vector<std::string> nodeArgs(const Node& n) {
    std::vector<std::string> out;
    for (const auto& a : n.next) {
        if (a.children.empty()) {
            out.push_back(a.value);
        } else if (a.children.size() == 1) {
            out.push_back(a.children[0].value);
            out.push_back(a.children[0].dump());
        }
    }
    return out;
}

std::vector<Heredoc> heredocFiles(const Node& n) {
    std::vector<Heredoc> out = n.heredocs;
    for (auto& h : out)
        if (h.chomp) h.content = chompHeredocContent(h.content);
    return out;
}

CommandLine commandLine(const Node& n, const std::vector<std::string>& args) {
    CommandLine c;
    c.prependShell = !n.json;
    c.files = heredocFiles(n);
    if (args.empty()) return c;
    if (n.json) {
        c.args = args;
    } else {
        std::string joined;
        for (size_t i = 0; i < args.size(); ++i) joined += (i ? " " : "") + args[i];
        c.args = {joined};
    }
    return c;
}

/// The only argument; throws unless there is exactly one.
const std::string& exactlyOne(const std::vector<std::string>& args, const std::string& kw) {
    if (args.size() != 1) bad(kw + " requires exactly one argument");
    return args[0];
}

std::vector<KeyValue> keyValues(const std::vector<std::string>& args, const std::string& kw) {
    if (args.empty()) bad(kw + " requires at least one argument");
    if (args.size() % 3 != 0) bad("Bad input to " + kw + ", too many arguments");
    std::vector<KeyValue> out;
    for (size_t i = 0; i + 1 < args.size(); i += 3) {
        if (args[i].empty()) bad(kw + " names can not be blank");
        out.push_back({args[i], args[i + 1]});
    }
    return out;
}

/// COPY/ADD sources and destination; heredoc markers become inline files.
void sourcesAndDest(const Node& n, const std::vector<std::string>& args, const std::string& kw,
                    std::vector<std::string>& sources, std::vector<SourceContent>& inlineFiles, std::string& dest) {
    if (args.empty()) bad(kw + " requires at least two arguments");
    if (args.size() < 2)
        bad(kw + " requires at least two arguments, but only one was provided. Destination could not be determined.");
    dest = args.back();
    Heredoc h;
    if (!n.json && parseHeredocWord(dest, h)) bad(kw + " cannot accept a heredoc as a destination");
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (!n.json && parseHeredocWord(args[i], h)) {
            SourceContent sc;
            sc.path = h.name;
            sc.expand = h.expand;
            for (const auto& doc : n.heredocs)
                if (doc.name == h.name) sc.data = h.chomp ? chompHeredocContent(doc.content) : doc.content;
            inlineFiles.push_back(std::move(sc));
        } else {
            sources.push_back(args[i]);
        }
    }
}

int64_t parseInterval(const std::string& flag, const std::string& v) {
    if (v.empty()) return 0;
    int64_t d = parseGoDuration(v);
    if (d < 0) bad("Interval \"" + flag + "\" cannot be negative");
    if (d != 0 && d < 1000000) bad("Interval \"" + flag + "\" cannot be less than 1ms");
    return d;
}

bool validStageName(const std::string& s) {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

InstructionBody parseBody(const Node& n, const std::string& kw) {
    Flags fl(n.flags);
    auto args = nodeArgs(n);
    if (kw == "from") {
        fl.addString("platform");
        fl.parse();
        FromInstr f;
        if (args.size() == 3 && lower(args[1]) == "as") {
            f.stageName = lower(args[2]);
            if (!validStageName(f.stageName))
                bad("invalid name for build stage: " + detail::goQuote(args[2]) +
                    ", name can't start with a number or contain symbols");
        } else if (args.size() != 1) {
            bad("FROM requires either one or three arguments");
        }
        f.image = args[0];
        f.platform = fl.str("platform");
        return f;
    }
    if (kw == "run") {
        fl.addStrings("mount");
        fl.addString("network");
        fl.addString("security");
        fl.parse();
        if (args.empty() && n.heredocs.empty()) bad("RUN requires at least one argument");
        RunInstr r;
        r.cmd = commandLine(n, args);
        r.mounts = fl.list("mount");
        r.network = fl.str("network");
        r.security = fl.str("security");
        if (!r.network.empty() && r.network != "default" && r.network != "none" && r.network != "host")
            bad("unsupported network mode " + detail::goQuote(r.network));
        if (!r.security.empty() && r.security != "sandbox" && r.security != "insecure")
            bad("unsupported security mode " + detail::goQuote(r.security));
        return r;
    }
    if (kw == "cmd" || kw == "entrypoint") {
        fl.parse();
        if (kw == "cmd") return CmdInstr{commandLine(n, args)};
        return EntrypointInstr{commandLine(n, args)};
    }
    if (kw == "copy") {
        fl.addString("from");
        fl.addString("chown");
        fl.addString("chmod");
        fl.addBool("link");
        fl.addBool("parents");
        fl.addStrings("exclude");
        fl.parse();
        CopyInstr c;
        sourcesAndDest(n, args, "COPY", c.sources, c.inlineFiles, c.dest);
        c.from = fl.str("from");
        c.chown = fl.str("chown");
        c.chmod = fl.str("chmod");
        c.link = fl.boolean("link");
        c.parents = fl.boolean("parents");
        c.excludes = fl.list("exclude");
        return c;
    }
    if (kw == "add") {
        fl.addString("chown");
        fl.addString("chmod");
        fl.addString("checksum");
        fl.addBool("link");
        fl.addBool("keep-git-dir");
        fl.addStrings("exclude");
        fl.parse();
        AddInstr a;
        sourcesAndDest(n, args, "ADD", a.sources, a.inlineFiles, a.dest);
        a.chown = fl.str("chown");
        a.chmod = fl.str("chmod");
        a.checksum = fl.str("checksum");
        a.link = fl.boolean("link");
        a.keepGitDir = fl.boolean("keep-git-dir");
        a.excludes = fl.list("exclude");
        return a;
    }
    fl.parse();  // everything below takes no flags (except HEALTHCHECK, handled there)
    if (kw == "env") return EnvInstr{keyValues(args, "ENV")};
    if (kw == "label") return LabelInstr{keyValues(args, "LABEL")};
    if (kw == "arg") {
        if (args.empty()) bad("ARG requires at least one argument");
        ArgInstr a;
        for (const auto& w : args) {
            ArgDecl d;
            if (auto eq = w.find('='); eq != std::string::npos) {
                d.key = w.substr(0, eq);
                d.value = w.substr(eq + 1);
            } else {
                d.key = w;
            }
            if (d.key.empty()) bad("ARG names can not be blank");
            a.args.push_back(std::move(d));
        }
        return a;
    }
    if (kw == "workdir") return WorkdirInstr{exactlyOne(args, "WORKDIR")};
    if (kw == "user") return UserInstr{exactlyOne(args, "USER")};
    if (kw == "stopsignal") return StopSignalInstr{exactlyOne(args, "STOPSIGNAL")};
    if (kw == "maintainer") return MaintainerInstr{exactlyOne(args, "MAINTAINER")};
    if (kw == "expose") {
        if (args.empty()) bad("EXPOSE requires at least one argument");
        return ExposeInstr{args};
    }
    if (kw == "volume") {
        if (args.empty()) bad("VOLUME requires at least one argument");
        VolumeInstr v;
        for (const auto& a : args) {
            std::string t = detail::trimSpace(a);
            if (t.empty()) bad("VOLUME specified can not be an empty string");
            v.volumes.push_back(t);
        }
        return v;
    }
    if (kw == "shell") {
        if (!n.json) bad("SHELL requires the arguments to be in JSON form");
        if (args.empty()) bad("SHELL requires at least one argument");
        return ShellInstr{args};
    }
    if (kw == "onbuild") {
        if (args.empty()) bad("ONBUILD requires at least one argument");
        std::string trigger = upper(detail::trimSpace(args[0]));
        if (trigger == "ONBUILD") bad("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trigger == "FROM" || trigger == "MAINTAINER") bad(trigger + " isn't allowed as an ONBUILD trigger");
        // (?i)^\s*ONBUILD\s*
        std::string_view o = detail::trimLeftSpace(n.original);
        if (o.size() >= 7 && upper(o.substr(0, 7)) == "ONBUILD") o.remove_prefix(7);
        return OnbuildInstr{std::string(detail::trimLeftSpace(o))};
    }
    throw std::logic_error("unhandled instruction " + kw);
}

HealthcheckInstr parseHealthcheck(const Node& n) {
    auto args = nodeArgs(n);
    if (args.empty()) bad("HEALTHCHECK requires at least one argument");
    HealthcheckInstr h;
    std::string typ = upper(args[0]);
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (typ == "NONE") {
        Flags fl(n.flags);
        fl.parse();
        if (!rest.empty()) bad("HEALTHCHECK NONE takes no arguments");
        h.test = {"NONE"};
        return h;
    }
    Flags fl(n.flags);
    for (const char* f : {"interval", "timeout", "start-period", "start-interval", "retries"}) fl.addString(f);
    fl.parse();
    if (typ != "CMD") bad("Unknown type \"" + typ + "\" in HEALTHCHECK (try CMD)");
    CommandLine c = commandLine(n, rest);
    if (c.args.empty()) bad("Missing command after HEALTHCHECK CMD");
    h.test = {n.json ? "CMD" : "CMD-SHELL"};
    h.test.insert(h.test.end(), c.args.begin(), c.args.end());
    h.intervalNs = parseInterval("interval", fl.str("interval"));
    h.timeoutNs = parseInterval("timeout", fl.str("timeout"));
    h.startPeriodNs = parseInterval("start-period", fl.str("start-period"));
    h.startIntervalNs = parseInterval("start-interval", fl.str("start-interval"));
    if (std::string r = fl.str("retries"); !r.empty()) {
        long long v = 0;
        size_t used = 0;
        try {
            v = std::stoll(r, &used, 10);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != r.size() || v > INT32_MAX || v < INT32_MIN)
            bad("strconv.ParseInt: parsing " + detail::goQuote(r) + ": invalid syntax");
        if (v < 0) bad("--retries cannot be negative (" + r + ")");
        h.retries = static_cast<int>(v);
    }
    return h;
}

const char* const kKeywords[] = {"from",  "run",    "cmd",    "entrypoint", "copy",        "add",
                                 "env",   "arg",    "workdir", "user",      "label",       "expose",
                                 "volume", "stopsignal", "healthcheck", "shell", "onbuild", "maintainer"};

}  // namespace

int64_t parseGoDuration(std::string_view s) {
    const std::string orig(s);
    auto invalid = [&]() -> InvalidArgument { return InvalidArgument("time: invalid duration \"" + orig + "\""); };
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return 0;
    if (s.empty()) throw invalid();
    long double total = 0;
    while (!s.empty()) {
        size_t i = 0;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
        std::string num(s.substr(0, i));
        if (num.empty() || num == "." || std::count(num.begin(), num.end(), '.') > 1) throw invalid();
        s.remove_prefix(i);
        size_t u = 0;
        while (u < s.size() && !((s[u] >= '0' && s[u] <= '9') || s[u] == '.')) ++u;
        std::string unit(s.substr(0, u));
        s.remove_prefix(u);
        static const std::map<std::string, long double> units = {
            {"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3}, {"ms", 1e6},
            {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
        if (unit.empty()) throw InvalidArgument("time: missing unit in duration \"" + orig + "\"");
        auto it = units.find(unit);
        if (it == units.end()) throw InvalidArgument("time: unknown unit \"" + unit + "\" in duration \"" + orig + "\"");
        total += std::stold(num) * it->second;
    }
    if (total > static_cast<long double>(INT64_MAX)) throw invalid();
    auto v = static_cast<int64_t>(std::llround(total));
    return neg ? -v : v;
}

Instruction parseInstruction(const Node& node, const std::string& file) {
    Instruction in;
    in.keyword = lower(node.value);
    in.original = node.original;
    in.startLine = node.startLine;
    in.endLine = node.endLine;
    bool known = false;
    for (const char* k : kKeywords) known = known || in.keyword == k;
    try {
        if (!known) bad("unknown instruction: " + node.value);
        in.body = in.keyword == "healthcheck" ? InstructionBody{parseHealthcheck(node)} : parseBody(node, in.keyword);
    } catch (const InvalidArgument& e) {
        throw ConfigError(file, node.startLine, e.what());
    }
    return in;
}

Dockerfile parseInstructions(const ParseResult& ast, const std::string& file) {
    Dockerfile df;
    df.warnings = ast.warnings;
    df.escapeToken = ast.escapeToken;
    for (const Node& n : ast.root.children) {
        Instruction in = parseInstruction(n, file);
        if (auto* f = in.as<FromInstr>()) {
            Stage st;
            st.from = *f;
            st.line = in.startLine;
            st.original = in.original;
            df.stages.push_back(std::move(st));
            continue;
        }
        if (df.stages.empty()) {
            if (auto* a = in.as<ArgInstr>()) {
                df.metaArgs.insert(df.metaArgs.end(), a->args.begin(), a->args.end());
                continue;
            }
            throw ConfigError(file, in.startLine, "no build stage in current context");
        }
        df.stages.back().commands.push_back(std::move(in));
    }
    return df;
}

Dockerfile loadDockerfile(std::string_view data, const std::string& file) {
    return parseInstructions(parseDockerfile(data, file), file);
}

void expandInstruction(Instruction& in, const ShellLexer& lexer, const EnvLookup& env, const std::string& file) {
    auto word = [&](std::string& w) { w = expandWordAt(lexer, w, env, file, in.startLine); };
    auto all = [&](std::vector<std::string>& v) {
        for (auto& w : v) word(w);
    };
    auto kvs = [&](std::vector<KeyValue>& v) {
        for (auto& kv : v) {
            word(kv.key);
            word(kv.value);
        }
    };
    // Heredoc data is a file's content: only variables are replaced, quotes stay.
    ShellLexer raw = lexer;
    raw.skipProcessQuotes = true;
    auto inlineFiles = [&](std::vector<SourceContent>& files) {
        for (auto& f : files)
            if (f.expand) f.data = expandWordAt(raw, f.data, env, file, in.startLine);
    };
    std::visit(
        [&](auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, FromInstr>) {
                word(b.image);
                word(b.platform);
            } else if constexpr (std::is_same_v<T, EnvInstr>) {
                kvs(b.env);
            } else if constexpr (std::is_same_v<T, LabelInstr>) {
                kvs(b.labels);
            } else if constexpr (std::is_same_v<T, ArgInstr>) {
                for (auto& a : b.args)
                    if (a.value) word(*a.value);
            } else if constexpr (std::is_same_v<T, WorkdirInstr>) {
                word(b.path);
            } else if constexpr (std::is_same_v<T, UserInstr>) {
                word(b.user);
            } else if constexpr (std::is_same_v<T, StopSignalInstr>) {
                word(b.signal);
            } else if constexpr (std::is_same_v<T, VolumeInstr>) {
                all(b.volumes);
            } else if constexpr (std::is_same_v<T, ExposeInstr>) {
                std::vector<std::string> ports;
                for (const auto& p : b.ports)
                    for (auto& w : expandWordsAt(lexer, p, env, file, in.startLine)) ports.push_back(std::move(w));
                b.ports = std::move(ports);
            } else if constexpr (std::is_same_v<T, CopyInstr>) {
                all(b.sources);
                inlineFiles(b.inlineFiles);
                word(b.dest);
                word(b.from);
                word(b.chown);
                word(b.chmod);
            } else if constexpr (std::is_same_v<T, AddInstr>) {
                all(b.sources);
                inlineFiles(b.inlineFiles);
                word(b.dest);
                word(b.chown);
                word(b.chmod);
                word(b.checksum);
            }
        },
        in.body);
}

}  // namespace hutch::builder
