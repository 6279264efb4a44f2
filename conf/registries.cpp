// registries.conf loading, validation and merging; see registries.hpp. Semantics follow
// containers/image pkg/sysregistriesv2 (loadConfigFile, postProcessRegistries,
// updateWithConfigurationFrom, newShortNameAliasCache).
#include "hutch/conf/registries.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <toml++/toml.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/conf/registries_reference.hpp"

namespace hutch::conf {
namespace {

/// One file after parsing and validation, before merging. Optional fields remember whether
/// the key was present at all (an explicit [] replaces, a missing key keeps).
struct ParsedFile {
    std::string path;
    std::vector<Registry> registries;
    std::optional<std::vector<std::string>> search;
    std::optional<std::vector<std::string>> credentialHelpers;
    ShortNameMode mode = ShortNameMode::Unset;
    std::map<std::string, std::string> aliases;
};

int lineOf(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

class Reader {
public:
    explicit Reader(const std::string& path) : path_(path) {}

    [[noreturn]] void fail(const toml::node* n, const std::string& msg) const {
        throw ConfigError(path_, n ? lineOf(*n) : 0, msg);
    }

    std::string str(const toml::table& t, std::string_view key) const {
        const toml::node* n = t.get(key);
        if (!n) return {};
        if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
        fail(n, "'" + std::string(key) + "' must be a string");
    }
    bool boolean(const toml::table& t, std::string_view key) const {
        const toml::node* n = t.get(key);
        if (!n) return false;
        if (!n->is_boolean()) fail(n, "'" + std::string(key) + "' must be a boolean");
        return *n->value<bool>();
    }
    std::optional<std::vector<std::string>> strings(const toml::table& t, std::string_view key) const {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        const toml::array* a = n->as_array();
        if (!a) fail(n, "'" + std::string(key) + "' must be an array of strings");
        std::vector<std::string> out;
        for (const toml::node& e : *a) {
            if (!e.is_string()) fail(&e, "'" + std::string(key) + "' must be an array of strings");
            out.push_back(*e.value<std::string>());
        }
        return out;
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

/// parseLocation: trailing '/' stripped; URI schemes refused.
std::string parseLocation(const Reader& r, const toml::node* n, const std::string& input) {
    std::string t = input;
    while (!t.empty() && t.back() == '/') t.pop_back();
    if (t.rfind("http://", 0) == 0 || t.rfind("https://", 0) == 0)
        r.fail(n, "invalid location '" + input + "': URI schemes are not supported");
    return t;
}

Endpoint readEndpoint(const Reader& r, const toml::table& t) {
    Endpoint e;
    e.location = r.str(t, "location");
    e.insecure = r.boolean(t, "insecure");
    e.pullFromMirror = r.str(t, "pull-from-mirror");
    return e;
}

void validateShortName(const std::string& name, std::vector<std::string>& errs) {
    ImageReference ref;
    try {
        ref = parseReference(name);
    } catch (const InvalidArgument& e) {
        errs.push_back("cannot parse short name: \"" + name + "\": " + e.what());
        return;
    }
    if (!ref.digest.empty()) errs.push_back("invalid short name \"" + name + "\": must not contain digest");
    else if (!ref.tag.empty()) errs.push_back("invalid short name \"" + name + "\": must not contain tag");
    else if (ref.domain.find_first_of(".:") != std::string::npos || ref.domain == "localhost")
        errs.push_back("invalid short name \"" + name + "\": must not contain registry");
}

/// parseShortNameValue: returns the normalized name or "" after recording an error.
std::string parseShortNameValue(const std::string& alias, std::vector<std::string>& errs) {
    ImageReference ref;
    try {
        ref = parseReference(alias);
    } catch (const InvalidArgument& e) {
        errs.push_back("parsing alias \"" + alias + "\": " + e.what());
        return {};
    }
    if (!ref.digest.empty()) {
        errs.push_back("invalid alias \"" + alias + "\": must not contain digest");
        return {};
    }
    if (!ref.tag.empty()) {
        errs.push_back("invalid alias \"" + alias + "\": must not contain tag");
        return {};
    }
    if (ref.domain.find_first_of(".:") == std::string::npos && ref.domain != "localhost") {
        errs.push_back("invalid alias \"" + alias + "\": must contain registry and repository");
        return {};
    }
    try {
        return parseNormalizedNamed(alias).name();
    } catch (const InvalidArgument& e) {
        errs.push_back(e.what());
        return {};
    }
}

/// postProcessRegistries + the checks of loadConfigFile.
void postProcess(const Reader& r, ParsedFile& f, const std::vector<const toml::node*>& lines) {
    std::map<std::string, std::vector<size_t>> byLocation;
    for (size_t i = 0; i < f.registries.size(); i++) {
        Registry& reg = f.registries[i];
        const toml::node* n = lines[i];
        reg.endpoint.location = parseLocation(r, n, reg.endpoint.location);
        if (reg.prefix.empty()) {
            if (reg.endpoint.location.empty())
                r.fail(n, "invalid condition: both location and prefix are unset");
            reg.prefix = reg.endpoint.location;
        } else {
            reg.prefix = parseLocation(r, n, reg.prefix);
            if (reg.prefix.rfind("*.", 0) != 0 && reg.endpoint.location.empty())
                r.fail(n, "invalid condition: location is unset and prefix is not in the format: *.example.com");
        }
        if (!reg.endpoint.pullFromMirror.empty())
            r.fail(n, "pull-from-mirror must not be set for a non-mirror registry \"" + reg.prefix + "\"");
        for (Endpoint& m : reg.mirrors) {
            m.location = parseLocation(r, n, m.location);
            if (m.location.empty()) r.fail(n, "invalid condition: mirror location is unset");
            if (reg.mirrorByDigestOnly && !m.pullFromMirror.empty())
                r.fail(n, "cannot set mirror usage mirror-by-digest-only for the registry (\"" + reg.prefix +
                              "\") and pull-from-mirror for per-mirror (\"" + m.location + "\") at the same time");
            if (!m.pullFromMirror.empty() && m.pullFromMirror != "all" && m.pullFromMirror != "digest-only" &&
                m.pullFromMirror != "tag-only")
                r.fail(n, "unsupported pull-from-mirror value \"" + m.pullFromMirror + "\" for mirror \"" +
                              m.location + "\"");
        }
        byLocation[reg.endpoint.location.empty() ? reg.prefix : reg.endpoint.location].push_back(i);
    }
    for (size_t i = 0; i < f.registries.size(); i++) {
        const Registry& reg = f.registries[i];
        for (size_t j : byLocation[reg.endpoint.location.empty() ? reg.prefix : reg.endpoint.location]) {
            const Registry& other = f.registries[j];
            if (reg.endpoint.insecure != other.endpoint.insecure)
                r.fail(lines[j], "registry '" + reg.endpoint.location +
                                     "' is defined multiple times with conflicting 'insecure' setting");
            if (reg.blocked != other.blocked)
                r.fail(lines[j], "registry '" + reg.endpoint.location +
                                     "' is defined multiple times with conflicting 'blocked' setting");
        }
    }
    if (f.search) {
        for (std::string& s : *f.search) {
            s = parseLocation(r, nullptr, s);
            if (!isValidDomain(s)) r.fail(nullptr, "Invalid unqualified-search-registries entry \"" + s + "\"");
        }
    }
    // Same prefix more than once: the first wins. Then sort by prefix.
    std::map<std::string, Registry> unique;
    for (const Registry& reg : f.registries) unique.emplace(reg.prefix, reg);
    f.registries.clear();
    for (auto& [p, reg] : unique) {
        if (p.rfind("*.", 0) == 0 && p.find_first_of("/@:") != std::string::npos)
            r.fail(nullptr, "Wildcarded prefix should be in the format: *.example.com. Current prefix \"" + p +
                                "\" is incorrectly formatted");
        f.registries.push_back(reg);
    }
}

ParsedFile parseFile(std::string_view content, const std::string& path, bool forceV2) {
    Reader r(path);
    toml::table tbl;
    try {
        tbl = toml::parse(content, std::string_view(path));
    } catch (const toml::parse_error& e) {
        throw ConfigError(path, static_cast<int>(e.source().begin.line), std::string(e.description()));
    }
    ParsedFile f;
    f.path = path;

    // v1: [registries.search|insecure|block] registries = [...]
    std::optional<std::vector<std::string>> v1[3];
    const char* v1Names[3] = {"search", "insecure", "block"};
    bool v1Set = false;
    if (const toml::node* n = tbl.get("registries")) {
        const toml::table* t = n->as_table();
        if (!t) r.fail(n, "'registries' must be a table ([registries.search] etc.)");
        for (int i = 0; i < 3; i++) {
            const toml::node* sub = t->get(v1Names[i]);
            if (!sub) continue;
            if (!sub->is_table()) r.fail(sub, std::string("[registries.") + v1Names[i] + "] must be a table");
            v1[i] = r.strings(*sub->as_table(), "registries");
            v1Set = v1Set || v1[i].has_value();
        }
    }

    // v2
    std::vector<const toml::node*> lines;
    bool v2Set = false;
    if (const toml::node* n = tbl.get("registry")) {
        v2Set = true;
        const toml::array* a = n->as_array();
        if (!a) r.fail(n, "'registry' must be an array of tables ([[registry]])");
        for (const toml::node& e : *a) {
            const toml::table* t = e.as_table();
            if (!t) r.fail(&e, "'registry' must be an array of tables ([[registry]])");
            Registry reg;
            reg.prefix = r.str(*t, "prefix");
            reg.endpoint = readEndpoint(r, *t);
            reg.blocked = r.boolean(*t, "blocked");
            reg.mirrorByDigestOnly = r.boolean(*t, "mirror-by-digest-only");
            if (const toml::node* m = t->get("mirror")) {
                const toml::array* ma = m->as_array();
                if (!ma) r.fail(m, "'mirror' must be an array of tables ([[registry.mirror]])");
                for (const toml::node& me : *ma) {
                    if (!me.is_table()) r.fail(&me, "'mirror' must be an array of tables ([[registry.mirror]])");
                    reg.mirrors.push_back(readEndpoint(r, *me.as_table()));
                }
            }
            f.registries.push_back(std::move(reg));
            lines.push_back(&e);
        }
    }
    f.search = r.strings(tbl, "unqualified-search-registries");
    f.credentialHelpers = r.strings(tbl, "credential-helpers");
    std::string mode = r.str(tbl, "short-name-mode");
    v2Set = v2Set || f.search || f.credentialHelpers || !mode.empty() ||
            !r.str(tbl, "additional-layer-store-auth-helper").empty() || tbl.contains("aliases");

    if (v1Set) {
        if (forceV2) r.fail(nullptr, "registry must be in v2 format but is in v1");
        if (v2Set) r.fail(nullptr, "mixing sysregistry v1/v2 is not supported");
        // ConvertToV2: registries from the block and insecure lists, merged per host.
        std::vector<std::string> order;
        std::map<std::string, Registry> regs;
        auto get = [&](const std::string& loc) -> Registry& {
            std::string l = parseLocation(r, nullptr, loc);
            auto it = regs.find(l);
            if (it == regs.end()) {
                Registry reg;
                reg.prefix = l;
                reg.endpoint.location = l;
                it = regs.emplace(l, reg).first;
                order.push_back(l);
            }
            return it->second;
        };
        if (v1[2])
            for (const std::string& b : *v1[2]) get(b).blocked = true;
        if (v1[1])
            for (const std::string& i : *v1[1]) get(i).endpoint.insecure = true;
        for (const std::string& l : order) {
            f.registries.push_back(regs[l]);
            lines.push_back(nullptr);
        }
        f.search = v1[0];
    }

    postProcess(r, f, lines);

    if (!mode.empty()) {
        try {
            f.mode = parseShortNameMode(mode);
        } catch (const InvalidArgument& e) {
            r.fail(tbl.get("short-name-mode"), e.what());
        }
    }

    if (const toml::node* n = tbl.get("aliases")) {
        const toml::table* t = n->as_table();
        if (!t) r.fail(n, "'aliases' must be a table");
        std::vector<std::string> errs;
        int firstLine = 0;
        for (const auto& [k, v] : *t) {
            std::string name(k.str());
            size_t before = errs.size();
            validateShortName(name, errs);
            if (!v.is_string()) {
                errs.push_back("alias \"" + name + "\" must be a string");
            } else {
                std::string value = *v.value<std::string>();
                if (value.empty()) {
                    f.aliases[name] = "";
                } else {
                    std::string norm = parseShortNameValue(value, errs);
                    if (!norm.empty()) f.aliases[name] = norm;
                }
            }
            if (errs.size() > before && firstLine == 0) firstLine = lineOf(v);
        }
        if (!errs.empty())
            throw ConfigError(path, firstLine, "validating short-name aliases: " + str::join(errs, "\n"));
    }

    for (const auto& [k, v] : tbl)
        if (k != "registry" && k != "registries" && k != "unqualified-search-registries" &&
            k != "credential-helpers" && k != "short-name-mode" && k != "aliases" &&
            k != "additional-layer-store-auth-helper")
            log::debug("{}: ignoring unknown key \"{}\"", path, k.str());
    return f;
}

RegistriesConf toConf(const ParsedFile& f) {
    RegistriesConf c;
    c.registries = f.registries;
    if (f.search) c.unqualifiedSearchRegistries = *f.search;
    if (f.credentialHelpers) c.credentialHelpers = *f.credentialHelpers;
    c.shortNameMode = f.mode;
    c.aliases = f.aliases;
    for (const auto& [k, v] : f.aliases) c.aliasOrigins[k] = f.path;
    c.unqualifiedSearchRegistriesOrigin = f.path;
    c.sources = {f.path};
    return c;
}

/// updateWithConfigurationFrom.
void merge(RegistriesConf& c, const ParsedFile& u) {
    std::map<std::string, Registry> byPrefix;
    for (const Registry& r : c.registries) byPrefix[r.prefix] = r;
    for (const Registry& r : u.registries) byPrefix[r.prefix] = r;
    c.registries.clear();
    for (auto& [p, r] : byPrefix) c.registries.push_back(r);
    if (u.search) {
        c.unqualifiedSearchRegistries = *u.search;
        c.unqualifiedSearchRegistriesOrigin = u.path;
    }
    if (u.credentialHelpers) c.credentialHelpers = *u.credentialHelpers;
    if (u.mode != ShortNameMode::Unset) c.shortNameMode = u.mode;
    for (const auto& [k, v] : u.aliases) {
        c.aliases[k] = v;
        c.aliasOrigins[k] = u.path;
    }
    c.sources.push_back(u.path);
}

std::vector<std::string> dropIns(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    if (dir.empty()) return out;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return out;
        throw ConfigError(dir, 0, "reading registries.conf.d: " + ec.message());
    }
    for (const auto& e : it) {
        std::string name = e.path().filename().string();
        if (name.size() < 5 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
        std::error_code dec;
        if (e.is_directory(dec)) continue;
        out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string homeDir() {
    if (const char* h = getenv("HOME"); h && *h) return h;
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
    return "/";
}

}  // namespace

ShortNameMode parseShortNameMode(std::string_view s) {
    if (s == "disabled") return ShortNameMode::Disabled;
    if (s == "enforcing") return ShortNameMode::Enforcing;
    if (s == "permissive") return ShortNameMode::Permissive;
    throw InvalidArgument("invalid short-name mode: \"" + std::string(s) + "\"");
}

int refMatchingPrefix(std::string_view ref, std::string_view prefix) {
    auto boundary = [&](size_t idx) { return ref[idx] == ':' || ref[idx] == '/' || ref[idx] == '@'; };
    if (prefix.rfind("*.", 0) == 0) {
        std::string_view suffix = prefix.substr(1);
        size_t idx = ref.find(suffix);
        if (idx == std::string_view::npos) return -1;
        if (ref.substr(0, idx).find('/') != std::string_view::npos) return -1;
        idx += suffix.size();
        if (idx == ref.size() || boundary(idx)) return static_cast<int>(idx);
        return -1;
    }
    if (ref.size() < prefix.size()) return -1;
    if (ref.size() == prefix.size()) return ref == prefix ? static_cast<int>(prefix.size()) : -1;
    if (ref.substr(0, prefix.size()) != prefix) return -1;
    return boundary(prefix.size()) ? static_cast<int>(prefix.size()) : -1;
}

const Registry* RegistriesConf::findRegistry(std::string_view ref) const {
    const Registry* best = nullptr;
    size_t bestLen = 0;
    for (const Registry& r : registries) {
        if (refMatchingPrefix(ref, r.prefix) != -1 && r.prefix.size() > bestLen) {
            best = &r;
            bestLen = r.prefix.size();
        }
    }
    return best;
}

std::string RegistriesConf::alias(std::string_view shortName) const {
    auto it = aliases.find(std::string(shortName));
    return it == aliases.end() ? std::string() : it->second;
}

RegistriesConfLocation RegistriesConfLocation::fromEnvironment() {
    RegistriesConfLocation loc;
    if (const char* e = getenv("CONTAINERS_REGISTRIES_CONF"); e && *e) loc.explicitFile = e;
    std::string configHome;
    if (const char* x = getenv("XDG_CONFIG_HOME"); x && *x) configHome = x;
    else configHome = fsutil::join(homeDir(), ".config");
    loc.userFile = fsutil::join(configHome, "containers/registries.conf");
    loc.userDropInDir = fsutil::join(configHome, "containers/registries.conf.d");
    return loc;
}

RegistriesConf parseRegistriesConf(std::string_view content, const std::string& path, bool forceV2) {
    return toConf(parseFile(content, path, forceV2));
}

RegistriesConf loadRegistriesConf(const RegistriesConfLocation& loc) {
    std::string main;
    bool required = false;
    std::vector<std::string> dirs;
    if (!loc.explicitFile.empty()) {
        main = loc.explicitFile;
        required = true;
        dirs = {loc.systemDropInDir, loc.userDropInDir};
    } else if (!loc.userFile.empty() && fsutil::exists(loc.userFile)) {
        // A per-user registries.conf hides the system file AND the system drop-in dir.
        main = loc.userFile;
        dirs = {loc.userDropInDir};
    } else {
        main = loc.systemFile;
        dirs = {loc.systemDropInDir, loc.userDropInDir};
    }
    if (!loc.dropInDirOverride.empty()) dirs = {loc.dropInDirOverride};

    RegistriesConf conf;
    std::string content;
    bool haveMain = true;
    try {
        content = fsutil::readFile(main);
    } catch (const NotFound&) {
        if (required)
            throw ConfigError(main, 0, "loading registries configuration: no such file or directory");
        haveMain = false;
    } catch (const SysError& e) {
        throw ConfigError(main, 0, std::string("loading registries configuration: ") + e.what());
    }
    if (haveMain) conf = parseRegistriesConf(content, main, false);

    for (const std::string& dir : dirs) {
        for (const std::string& p : dropIns(dir)) {
            std::string c;
            try {
                c = fsutil::readFile(p);
            } catch (const NotFound&) {
                continue;  // removed since the listing
            } catch (const SysError& e) {
                throw ConfigError(p, 0, std::string("loading drop-in registries configuration: ") + e.what());
            }
            merge(conf, parseFile(c, p, true));
        }
    }
    if (conf.shortNameMode == ShortNameMode::Unset) conf.shortNameMode = ShortNameMode::Permissive;
    if (conf.credentialHelpers.empty()) conf.credentialHelpers = {"containers-auth.json"};
    return conf;
}

RegistriesConf loadRegistriesConf() { return loadRegistriesConf(RegistriesConfLocation::fromEnvironment()); }

}  // namespace hutch::conf
