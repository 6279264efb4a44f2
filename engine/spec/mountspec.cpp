#include "hutch/engine/spec/mountspec.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {

using nlohmann::json;

namespace {

const std::set<std::string>& propagations() {
    static const std::set<std::string> s = {"shared", "rshared", "slave",      "rslave",
                                            "private", "rprivate", "unbindable", "runbindable"};
    return s;
}

const std::set<std::string>& flagWords() {
    static const std::set<std::string> s = {"exec", "noexec", "suid", "nosuid", "dev", "nodev"};
    return s;
}

/// Lexically cleaned absolute path ("/a//b/./c/" -> "/a/b/c"); "" when not absolute.
std::string cleanAbsolute(const std::string& p) {
    if (p.empty() || p[0] != '/') return "";
    std::vector<std::string> parts;
    for (const auto& c : str::split(p, '/')) {
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(c);
    }
    return "/" + str::join(parts, "/");
}

std::string destination(const std::string& flag, const std::string& value, const std::string& dst) {
    std::string clean = cleanAbsolute(dst);
    if (clean.empty())
        throw InvalidArgument(flag + " \"" + value + "\": invalid container path \"" + dst +
                              "\", must be an absolute path");
    return clean;
}

/// "true"/"false" and the spellings Go's strconv.ParseBool takes; nullopt when none.
std::optional<bool> parseBool(const std::string& s) {
    if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return true;
    if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") return false;
    return std::nullopt;
}

bool isDigits(const std::string& s, size_t from = 0) {
    return s.size() > from && std::all_of(s.begin() + static_cast<long>(from), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A tmpfs size: digits with an optional k, m, g (any case) or % suffix.
bool validSize(const std::string& s) {
    if (s.empty()) return false;
    char last = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
    std::string digits = (last == 'k' || last == 'm' || last == 'g' || last == '%') ? s.substr(0, s.size() - 1) : s;
    return isDigits(digits);
}

bool validOctal(const std::string& s) {
    return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '7'; });
}

/// Checks one tmpfs option word; throws naming it when unknown or malformed.
void checkTmpfsOption(const std::string& flag, const std::string& value, const std::string& w) {
    auto [k, v] = str::cut(w, '=');
    bool ok = false;
    if (w == "ro" || w == "rw" || flagWords().count(w) || w == "tmpcopyup" || w == "notmpcopyup" || w == "U" ||
        w == "z" || w == "Z" || w == "noatime" || w == "atime" || w == "relatime" || w == "strictatime" ||
        w == "sync" || w == "async" || propagations().count(w))
        ok = true;
    else if (k == "size")
        ok = validSize(v);
    else if (k == "mode")
        ok = validOctal(v);
    else if (k == "uid" || k == "gid" || k == "nr_inodes" || k == "nr_blocks")
        ok = isDigits(v);
    if (!ok)
        throw InvalidArgument(flag + " \"" + value + "\": unknown mount option \"" + w + "\": invalid mount option");
}

const std::vector<std::string> kTmpfsDefaults = {"rw", "noexec", "nosuid", "nodev"};

}  // namespace

std::string mountTypeName(MountType t) {
    switch (t) {
        case MountType::Bind: return "bind";
        case MountType::Volume: return "volume";
        case MountType::Tmpfs: return "tmpfs";
        case MountType::Devpts: return "devpts";
    }
    return "volume";
}

json MountSpec::toJson() const {
    return json{{"type", mountTypeName(type)}, {"source", source},   {"destination", destination},
                {"readOnly", readOnly},        {"noCopy", noCopy},   {"chown", chown},
                {"options", options},          {"flag", flag},       {"volumeOptions", volumeOptions}};
}

MountSpec MountSpec::fromJson(const json& j) {
    try {
        MountSpec m;
        std::string t = j.at("type");
        m.type = t == "bind" ? MountType::Bind : t == "tmpfs" ? MountType::Tmpfs : t == "devpts" ? MountType::Devpts : MountType::Volume;
        m.source = j.value("source", "");
        m.destination = j.at("destination");
        m.readOnly = j.value("readOnly", false);
        m.noCopy = j.value("noCopy", false);
        m.chown = j.value("chown", false);
        m.options = j.value("options", std::vector<std::string>{});
        m.flag = j.value("flag", "");
        m.volumeOptions = j.value("volumeOptions", std::map<std::string, std::string>{});
        return m;
    } catch (const json::exception& e) {
        throw Error(std::string("mount record: ") + e.what());
    }
}

MountSpec parseVolumeFlag(const std::string& value) {
    const std::string flag = "--volume";
    auto parts = str::split(value, ':');
    if (parts.size() > 3 || value.empty())
        throw InvalidArgument(flag + " \"" + value + "\": incorrect volume format, should be [host-dir:]ctr-dir[:option]");
    MountSpec m;
    m.flag = flag;
    std::string src, dst, opts;
    if (parts.size() == 1) {
        dst = parts[0];
    } else {
        src = parts[0];
        dst = parts[1];
        if (parts.size() == 3) opts = parts[2];
        if (src.empty()) throw InvalidArgument(flag + " \"" + value + "\": host directory cannot be empty");
    }
    m.destination = destination(flag, value, dst);
    if (src.empty())
        m.type = MountType::Volume;
    else if (src[0] == '/' || src[0] == '.')
        m.type = MountType::Bind, m.source = src;
    else {
        m.type = MountType::Volume;
        m.source = src;
        checkVolumeName(src);
    }
    int rwCount = 0;
    for (const auto& w : opts.empty() ? std::vector<std::string>{} : str::split(opts, ',')) {
        if (w == "ro" || w == "rw") {
            if (++rwCount > 1)
                throw InvalidArgument(flag + " \"" + value + "\": invalid options \"" + opts +
                                      "\", can only specify 1 'rw' or 'ro' option");
            m.readOnly = w == "ro";
        } else if (w == "z" || w == "Z") {
            // SELinux relabelling: accepted, nothing to do without SELinux.
        } else if (w == "U") {
            m.chown = true;
        } else if (w == "idmap") {
            if (m.type != MountType::Bind)
                throw InvalidArgument(flag + " \"" + value + "\": idmap is supported on bind mounts (a host path) only");
            m.options.push_back(w);
        } else if (w.rfind("idmap=", 0) == 0) {
            throw InvalidArgument(flag + " \"" + value + "\": idmap takes no mappings here: the container's own are used");
        } else if (w == "nocopy") {
            m.noCopy = true;
        } else if (w == "copy") {
            m.noCopy = false;
        } else if (flagWords().count(w) || propagations().count(w)) {
            m.options.push_back(w);
        } else {
            throw InvalidArgument(flag + " \"" + value + "\": invalid option type \"" + w + "\"");
        }
    }
    return m;
}

MountSpec parseMountFlag(const std::string& value) {
    const std::string flag = "--mount";
    auto bad = [&](const std::string& what) { return InvalidArgument(flag + " \"" + value + "\": " + what); };
    MountSpec m;
    m.flag = flag;
    std::string type, dst, tmpfsSize, tmpfsMode, propagation;
    bool nonRecursive = false;
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& f : str::split(value, ',')) {
        if (f.empty()) continue;
        bool has = false;
        auto [k, v] = str::cut(f, '=', &has);
        if (k == "type") {
            if (v != "bind" && v != "volume" && v != "tmpfs" && v != "devpts")
                throw bad("type=" + v + ": invalid filesystem type \"" + v + "\" (bind, volume, tmpfs or devpts)");
            type = v;
        } else
            fields.emplace_back(k, has ? v : std::string("\x01"));  // \x01: no '=' given
    }
    if (type.empty())
        throw bad("incorrect mount format: should be --mount type=<bind|tmpfs|volume>,[src=<host-dir|volume-name>,]"
                  "target=<ctr-dir>[,options]");
    m.type = type == "bind" ? MountType::Bind : type == "tmpfs" ? MountType::Tmpfs : type == "devpts" ? MountType::Devpts : MountType::Volume;
    auto onlyFor = [&](const std::string& k, MountType t) {
        if (m.type != t) throw bad(k + ": invalid mount option for type=" + type + " (only for type=" + mountTypeName(t) + ")");
    };
    for (const auto& field : fields) {
        // Named copies, not a structured binding: clang 14 cannot capture bindings in lambdas.
        const std::string& k = field.first;
        const std::string& raw = field.second;
        const bool noValue = raw == "\x01";
        const std::string v = noValue ? "" : raw;
        auto needValue = [&] {
            if (noValue || v.empty()) throw bad(k + ": needs a value (" + k + "=...)");
        };
        auto boolValue = [&]() -> bool {
            if (noValue) return true;
            auto b = parseBool(v);
            if (!b) throw bad(k + "=" + v + ": invalid boolean (true or false)");
            return *b;
        };
        if (k == "source" || k == "src") {
            needValue();
            if (m.type == MountType::Tmpfs) throw bad(k + ": invalid mount option for type=tmpfs (a tmpfs has no source)");
            m.source = v;
        } else if (k == "target" || k == "destination" || k == "dst") {
            needValue();
            dst = v;
        } else if (k == "readonly" || k == "ro") {
            m.readOnly = boolValue();
        } else if (k == "rw") {
            m.readOnly = !boolValue();
        } else if (k == "bind-propagation") {
            onlyFor(k, MountType::Bind);
            if (!propagations().count(v)) throw bad(k + "=" + v + ": invalid option type \"" + v + "\"");
            propagation = v;
        } else if (k == "bind-nonrecursive") {
            onlyFor(k, MountType::Bind);
            nonRecursive = boolValue();
        } else if (k == "tmpfs-size") {
            onlyFor(k, MountType::Tmpfs);
            if (!validSize(v)) throw bad(k + "=" + v + ": invalid size (bytes, or a number with k, m, g or %)");
            tmpfsSize = v;
        } else if (k == "tmpfs-mode") {
            onlyFor(k, MountType::Tmpfs);
            if (!validOctal(v)) throw bad(k + "=" + v + ": invalid mode (octal, e.g. 1777)");
            tmpfsMode = v;
        } else if (k == "volume-opt") {
            onlyFor(k, MountType::Volume);
            bool eq = false;
            auto [ok, ov] = str::cut(v, '=', &eq);
            if (!eq || ok.empty()) throw bad(k + "=" + v + ": must be volume-opt=KEY=VALUE");
            checkVolumeOption(ok, flag + " \"" + value + "\": volume-opt");
            m.volumeOptions[ok] = ov;
        } else if (k == "volume-nocopy" || k == "nocopy") {
            onlyFor(k, MountType::Volume);
            m.noCopy = boolValue();
        } else if (k == "U" || k == "chown") {
            m.chown = boolValue();
        } else if (k == "idmap") {
            if (!noValue) throw bad("idmap=" + v + ": idmap takes no mappings here: the container's own are used");
            onlyFor(k, MountType::Bind);
            m.options.push_back(k);
        } else if (flagWords().count(k) && noValue) {
            m.options.push_back(k);
        } else if ((k == "relabel" || k == "z" || k == "Z" || k == "volume-label" || k == "consistency")) {
            // SELinux / Docker Desktop options: accepted, no effect here.
        } else {
            throw bad(k + ": invalid mount option");
        }
    }
    if (dst.empty()) throw bad("must set volume destination (target=)");
    m.destination = destination(flag, value, dst);
    if (m.type == MountType::Bind) {
        if (m.source.empty()) throw bad("type=bind needs source= (the host path)");
        if (m.source[0] != '/' && m.source[0] != '.')
            throw bad("source=" + m.source + ": a bind source must be a host path");
        m.options.insert(m.options.begin(), nonRecursive ? "bind" : "rbind");
        if (!propagation.empty()) m.options.push_back(propagation);
    } else if (m.type == MountType::Volume) {
        if (!m.source.empty()) checkVolumeName(m.source);
    } else {
        std::vector<std::string> opts = kTmpfsDefaults;
        opts.insert(opts.end(), m.options.begin(), m.options.end());
        if (!tmpfsSize.empty()) opts.push_back("size=" + tmpfsSize);
        if (!tmpfsMode.empty()) opts.push_back("mode=" + tmpfsMode);
        m.options = opts;
    }
    return m;
}

MountSpec parseTmpfsFlag(const std::string& value) {
    const std::string flag = "--tmpfs";
    auto [dst, opts] = str::cut(value, ':');
    MountSpec m;
    m.flag = flag;
    m.type = MountType::Tmpfs;
    m.destination = destination(flag, value, dst);
    m.options = kTmpfsDefaults;
    if (!opts.empty())
        for (const auto& w : str::split(opts, ',')) {
            checkTmpfsOption(flag, value, w);
            if (w == "ro") m.readOnly = true;
            else if (w == "rw") m.readOnly = false;
            else if (w == "U") m.chown = true;
            else if (w != "z" && w != "Z") m.options.push_back(w);
        }
    return m;
}

void checkDuplicateDestinations(const std::vector<MountSpec>& mounts) {
    std::set<std::string> seen;
    for (const auto& m : mounts)
        if (!seen.insert(m.destination).second)
            throw InvalidArgument(m.flag + ": \"" + m.destination + "\": duplicate mount destination");
}

void checkVolumeName(const std::string& name) {
    bool ok = !name.empty() && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok)
        throw InvalidArgument("volume name \"" + name + "\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
}

void checkVolumeOption(const std::string& key, const std::string& context) {
    if (key != "type" && key != "device" && key != "o" && key != "nocopy" && key != "copy")
        throw InvalidArgument(context + ": invalid mount option " + key +
                              " for driver 'local' (type, device, o and nocopy are supported)");
}

json tmpfsOciMount(const std::string& destination, const std::vector<std::string>& options) {
    return json{{"destination", destination}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", options}};
}

json ociMountFor(const MountSpec& m, const std::string& hostPath) {
    if (m.type == MountType::Devpts)
        // A devpts of the container's own (--mount type=devpts, as distrobox asks for /dev/pts).
        return json{{"destination", m.destination}, {"type", "devpts"}, {"source", "devpts"},
                    {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}};
    if (m.type == MountType::Tmpfs) {
        std::vector<std::string> opts = m.options;
        if (m.readOnly) opts.push_back("ro");  // the defaults start with rw
        return tmpfsOciMount(m.destination, opts);
    }
    std::vector<std::string> opts;
    bool hasBind = false, hasProp = false;
    for (const auto& o : m.options) {
        hasBind = hasBind || o == "bind" || o == "rbind";
        hasProp = hasProp || propagations().count(o) > 0;
    }
    if (!hasBind) opts.push_back("rbind");
    opts.insert(opts.end(), m.options.begin(), m.options.end());
    if (m.type == MountType::Volume) {
        // podman mounts named volumes nosuid,nodev unless suid / dev is asked for.
        auto given = [&](const char* a, const char* b) {
            return std::find(m.options.begin(), m.options.end(), a) != m.options.end() ||
                   std::find(m.options.begin(), m.options.end(), b) != m.options.end();
        };
        if (!given("suid", "nosuid")) opts.push_back("nosuid");
        if (!given("dev", "nodev")) opts.push_back("nodev");
    }
    if (!hasProp) opts.push_back("rprivate");
    opts.push_back(m.readOnly ? "ro" : "rw");
    return json{{"destination", m.destination}, {"type", "bind"}, {"source", hostPath}, {"options", opts}};
}

}  // namespace hutch::engine
