#include "hutch/conf/seccomp.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "hutch/common/error.hpp"

namespace hutch::conf {

namespace detail {
extern const char* const kDefaultSeccompProfile;  // seccomp_profile.cpp, generated
}

using nlohmann::json;

namespace {

const char* const kWhere = "seccomp profile";

std::string capName(std::string c) {
    std::transform(c.begin(), c.end(), c.begin(), [](unsigned char x) { return std::toupper(x); });
    if (c.rfind("CAP_", 0) != 0) c = "CAP_" + c;
    return c;
}

std::string goArch(const std::string& a) {
    static const std::pair<const char*, const char*> t[] = {
        {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i386", "386"},     {"i686", "386"}, {"x86", "386"},
        {"armv7l", "arm"},   {"armv6l", "arm"},    {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
        {"riscv64", "riscv64"}, {"mips64", "mips64"},
    };
    for (const auto& [k, v] : t)
        if (a == k) return v;
    return a;
}

/// The SCMP_ARCH_* name of a Go architecture (containers/common nativeToSeccomp).
std::string scmpArch(const std::string& go) {
    static const std::pair<const char*, const char*> t[] = {
        {"amd64", "SCMP_ARCH_X86_64"},   {"arm64", "SCMP_ARCH_AARCH64"}, {"386", "SCMP_ARCH_X86"},
        {"arm", "SCMP_ARCH_ARM"},        {"mips64", "SCMP_ARCH_MIPS64"}, {"mips64n32", "SCMP_ARCH_MIPS64N32"},
        {"mipsel64", "SCMP_ARCH_MIPSEL64"}, {"mipsel64n32", "SCMP_ARCH_MIPSEL64N32"},
        {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"s390x", "SCMP_ARCH_S390X"}, {"riscv64", "SCMP_ARCH_RISCV64"},
    };
    for (const auto& [k, v] : t)
        if (go == k) return v;
    return "";
}

std::vector<std::string> strings(const json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    try {
        return it->get<std::vector<std::string>>();
    } catch (const json::exception&) {
        throw ConfigError(kWhere, 0, where + "." + key + " must be an array of strings");
    }
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

/// "5.8" <= running kernel? Unparseable versions compare as satisfied (debug-free, lenient).
bool kernelAtLeast(const std::string& want) {
    struct utsname u;
    if (::uname(&u) != 0) return true;
    int wMaj = 0, wMin = 0, kMaj = 0, kMin = 0;
    if (std::sscanf(want.c_str(), "%d.%d", &wMaj, &wMin) < 1) throw ConfigError(kWhere, 0, "bad minKernel \"" + want + "\"");
    if (std::sscanf(u.release, "%d.%d", &kMaj, &kMin) < 1) return true;
    return kMaj != wMaj ? kMaj > wMaj : kMin >= wMin;
}

}  // namespace

std::string nativeArch() {
    struct utsname u;
    if (::uname(&u) != 0) return "amd64";
    return goArch(u.machine);
}

json seccompToOci(const std::string& profileJson, const std::vector<std::string>& capabilities, const std::string& arch) {
    json p;
    try {
        p = json::parse(profileJson);
    } catch (const json::exception& e) {
        throw ConfigError(kWhere, 0, std::string("invalid JSON: ") + e.what());
    }
    if (!p.is_object()) throw ConfigError(kWhere, 0, "top level must be an object");
    std::vector<std::string> caps;
    for (const auto& c : capabilities) caps.push_back(capName(c));
    std::string go = goArch(arch);

    json out = json::object();
    if (!p.contains("defaultAction") || !p["defaultAction"].is_string())
        throw ConfigError(kWhere, 0, "defaultAction must be a string");
    out["defaultAction"] = p["defaultAction"];
    if (p.contains("defaultErrnoRet") && !p["defaultErrnoRet"].is_null()) {
        if (!p["defaultErrnoRet"].is_number_unsigned()) throw ConfigError(kWhere, 0, "defaultErrnoRet must be a number");
        out["defaultErrnoRet"] = p["defaultErrnoRet"];
    }

    json archs = json::array();
    std::string native = scmpArch(go);
    if (auto it = p.find("archMap"); it != p.end() && it->is_array()) {
        for (const auto& a : *it) {
            std::string name = a.value("architecture", "");
            if (name.empty() || name != native) continue;
            archs.push_back(name);
            for (const auto& s : strings(a, "subArchitectures", "archMap[]")) archs.push_back(s);
        }
    } else if (auto it2 = p.find("architectures"); it2 != p.end() && it2->is_array()) {
        archs = *it2;
    }
    if (!archs.empty()) out["architectures"] = archs;
    if (auto it = p.find("flags"); it != p.end() && it->is_array() && !it->empty()) out["flags"] = *it;

    json calls = json::array();
    if (auto it = p.find("syscalls"); it != p.end() && !it->is_null()) {
        if (!it->is_array()) throw ConfigError(kWhere, 0, "syscalls must be an array");
        for (size_t i = 0; i < it->size(); ++i) {
            const json& c = (*it)[i];
            std::string where = "syscalls[" + std::to_string(i) + "]";
            if (!c.is_object()) throw ConfigError(kWhere, 0, where + " must be an object");
            std::vector<std::string> names = strings(c, "names", where);
            if (auto n = c.find("name"); n != c.end() && n->is_string() && !n->get<std::string>().empty()) {
                if (!names.empty()) throw ConfigError(kWhere, 0, where + ": both name and names are set");
                names.push_back(n->get<std::string>());
            }
            if (names.empty()) continue;
            const json empty = json::object();
            const json& inc = c.contains("includes") && c["includes"].is_object() ? c["includes"] : empty;
            const json& exc = c.contains("excludes") && c["excludes"].is_object() ? c["excludes"] : empty;
            bool keep = true;
            for (const auto& cap : strings(exc, "caps", where + ".excludes")) keep &= !contains(caps, capName(cap));
            keep &= !contains(strings(exc, "arches", where + ".excludes"), go);
            auto incArches = strings(inc, "arches", where + ".includes");
            if (!incArches.empty()) keep &= contains(incArches, go);
            for (const auto& cap : strings(inc, "caps", where + ".includes")) keep &= contains(caps, capName(cap));
            if (auto mk = inc.find("minKernel"); keep && mk != inc.end() && mk->is_string() && !mk->get<std::string>().empty())
                keep &= kernelAtLeast(mk->get<std::string>());
            if (!keep) continue;
            if (!c.contains("action") || !c["action"].is_string())
                throw ConfigError(kWhere, 0, where + ".action must be a string");
            json r = {{"names", names}, {"action", c["action"]}};
            if (auto a = c.find("args"); a != c.end() && a->is_array() && !a->empty()) r["args"] = *a;
            if (auto e = c.find("errnoRet"); e != c.end() && !e->is_null()) r["errnoRet"] = *e;
            calls.push_back(std::move(r));
        }
    }
    out["syscalls"] = calls;
    return out;
}

std::string defaultSeccompProfile() { return detail::kDefaultSeccompProfile; }

}  // namespace hutch::conf
