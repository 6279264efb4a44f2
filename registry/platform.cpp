#include "hutch/registry/platform.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::registry {

std::string Platform::str() const {
    std::string s = os + "/" + architecture;
    if (!variant.empty()) s += "/" + variant;
    return s;
}

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// arm variant number ("v7" -> 7), 0 when it is not of that form.
int armVersion(const std::string& v) {
    if (v.size() < 2 || v[0] != 'v') return 0;
    try {
        return std::stoi(v.substr(1));
    } catch (...) {
        return 0;
    }
}

}  // namespace

Platform normalizePlatform(Platform p) {
    p.os = lower(p.os);
    p.architecture = lower(p.architecture);
    p.variant = lower(p.variant);
    const std::string& a = p.architecture;
    if (a == "x86_64" || a == "x86-64" || a == "amd64") {
        p.architecture = "amd64";
        if (p.variant == "v1") p.variant.clear();
    } else if (a == "i386" || a == "i486" || a == "i586" || a == "i686") {
        p.architecture = "386";
        p.variant.clear();
    } else if (a == "aarch64" || a == "arm64") {
        p.architecture = "arm64";
        if (p.variant.empty() || p.variant == "8" || p.variant == "v8") p.variant = "v8";
    } else if (a == "armhf") {
        p.architecture = "arm";
        p.variant = "v7";
    } else if (a == "armel") {
        p.architecture = "arm";
        p.variant = "v6";
    } else if (a == "arm") {
        if (p.variant.empty() || p.variant == "7") p.variant = "v7";
        else if (p.variant == "5" || p.variant == "6" || p.variant == "8") p.variant = "v" + p.variant;
    }
    return p;
}

bool platformMatches(const Platform& want, const Platform& have) {
    Platform w = normalizePlatform(want), h = normalizePlatform(have);
    if (w.os != h.os || w.architecture != h.architecture) return false;
    if (w.variant == h.variant) return true;
    // containerd's Only(): an arm vN host also runs images for lower arm variants.
    if (w.architecture == "arm") {
        int wv = armVersion(w.variant), hv = armVersion(h.variant);
        return wv > 0 && hv > 0 && hv < wv && wv <= 8;
    }
    return false;
}

Platform canonicalPlatform(Platform p) {
    p.os = lower(p.os);
    p.architecture = lower(p.architecture);
    p.variant = lower(p.variant);
    if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
    if (p.architecture == "aarch64") p.architecture = "arm64";
    bool digits = !p.variant.empty() &&
                  std::all_of(p.variant.begin(), p.variant.end(), [](unsigned char c) { return std::isdigit(c); });
    if (digits && (p.architecture == "arm" || p.architecture == "arm64")) p.variant = "v" + p.variant;
    return p;
}

std::vector<Platform> wantedPlatforms(const Platform& want) {
    static const std::vector<std::pair<std::string, std::vector<std::string>>> kCompat = {
        {"arm", {"v8", "v7", "v6", "v5"}},
        {"arm64", {"v8"}},
    };
    Platform w = canonicalPlatform(want);
    const std::vector<std::string>* order = nullptr;
    for (const auto& [arch, variants] : kCompat)
        if (arch == w.architecture) order = &variants;
    std::vector<std::string> variants;
    if (!w.variant.empty()) {
        if (order) {
            auto it = std::find(order->begin(), order->end(), w.variant);
            if (it != order->end()) variants.assign(it, order->end());
        }
        if (variants.empty()) variants.push_back(w.variant);
        variants.push_back("");
    } else {
        variants.push_back("");
        if (order) variants.insert(variants.end(), order->begin(), order->end());
    }
    std::vector<Platform> out;
    for (const auto& v : variants) out.push_back({w.os, w.architecture, v});
    return out;
}

Platform hostPlatform() {
    struct utsname u {};
    uname(&u);
    std::string m = u.machine;
    Platform p{"linux", m, ""};
    if (m == "x86_64") p.architecture = "amd64";
    else if (m == "aarch64" || m == "arm64") p = {"linux", "arm64", "v8"};
    else if (m.rfind("armv", 0) == 0) {
        // armv7l, armv6l, armv5tel
        std::string v;
        for (size_t i = 4; i < m.size() && std::isdigit(static_cast<unsigned char>(m[i])); ++i) v += m[i];
        p = {"linux", "arm", "v" + (v.empty() ? std::string("7") : v)};
    } else if (m == "i386" || m == "i686") p.architecture = "386";
    else if (m == "ppc64le") p.architecture = "ppc64le";
    else if (m == "s390x") p.architecture = "s390x";
    else if (m == "riscv64") p.architecture = "riscv64";
    else if (m == "mips64") p.architecture = "mips64le";
    return p;
}

Platform parsePlatform(std::string_view s) {
    auto parts = str::split(s, '/');
    if (parts.size() < 2 || parts.size() > 3)
        throw InvalidArgument("invalid platform \"" + std::string(s) +
                              "\": expected os/arch[/variant]");
    for (const auto& part : parts)
        if (part.empty())
            throw InvalidArgument("invalid platform \"" + std::string(s) + "\": empty component");
    Platform p{lower(parts[0]), lower(parts[1]), parts.size() == 3 ? lower(parts[2]) : ""};
    if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
    if (p.architecture == "aarch64") p.architecture = "arm64";
    return p;
}

}  // namespace hutch::registry
