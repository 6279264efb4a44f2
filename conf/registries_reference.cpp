// docker/distribution reference grammar (reference/regexp.go) and Docker Hub normalisation
// (reference/normalize.go), as vendored by containers/image docker/reference.
#include "hutch/conf/registries_reference.hpp"

#include <algorithm>
#include <cctype>

#include "hutch/common/error.hpp"

namespace hutch::conf {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoName = "library";
constexpr size_t kNameTotalLengthMax = 255;

// The grammar is checked by linear scanners, never std::regex: libstdc++'s regex recurses
// once per input character and overflows the stack on a long reference. Each scanner accepts
// exactly the language of the regexp it names (reference/regexp.go); the ambiguous splits
// (domain vs. first path component, name vs. tag) are made as Go's leftmost-first match makes
// them.

bool lowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool hexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool wordChar(char c) { return alnum(c) || c == '_'; }
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// pathComponent: [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool isPathComponent(std::string_view s) {
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < s.size() && lowerAlnum(s[i])) ++i;
        if (i == start) return false;
        if (i == s.size()) return true;
        if (s[i] == '.') {
            ++i;
        } else if (s[i] == '_') {
            ++i;
            if (i < s.size() && s[i] == '_') ++i;
        } else if (s[i] == '-') {
            while (i < s.size() && s[i] == '-') ++i;
        } else {
            return false;
        }
    }
}

/// remoteName: pathComponent(?:/pathComponent)*
bool isRemoteName(std::string_view s) {
    for (;;) {
        size_t slash = s.find('/');
        if (!isPathComponent(s.substr(0, slash))) return false;
        if (slash == std::string_view::npos) return true;
        s.remove_prefix(slash + 1);
    }
}

/// domainNameComponent: [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool isDomainLabel(std::string_view s) {
    if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
    for (char c : s)
        if (!alnum(c) && c != '-') return false;
    return true;
}

/// domainAndPort: (?:domainName|\[[a-fA-F0-9:]+\])(?::[0-9]+)?, domainName being
/// domainNameComponent(?:\.domainNameComponent)*.
bool isDomainAndPort(std::string_view s) {
    std::string_view port;
    if (!s.empty() && s[0] == '[') {
        size_t close = s.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        for (size_t i = 1; i < close; ++i)
            if (!hexDigit(s[i]) && s[i] != ':') return false;
        std::string_view rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return false;
            port = rest.substr(1);
            if (port.empty()) return false;
        }
    } else {
        size_t colon = s.find(':');
        std::string_view host = s.substr(0, colon);
        for (;;) {
            size_t dot = host.find('.');
            if (!isDomainLabel(host.substr(0, dot))) return false;
            if (dot == std::string_view::npos) break;
            host.remove_prefix(dot + 1);
        }
        if (colon != std::string_view::npos) {
            port = s.substr(colon + 1);
            if (port.empty()) return false;
        }
    }
    for (char c : port)
        if (c < '0' || c > '9') return false;
    return true;
}

/// tag: [\w][\w.-]{0,127}
bool isTag(std::string_view s) {
    if (s.empty() || s.size() > 128 || !wordChar(s[0])) return false;
    for (char c : s)
        if (!wordChar(c) && c != '.' && c != '-') return false;
    return true;
}

/// digest: [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}
bool isDigest(std::string_view s) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view algo = s.substr(0, colon), hex = s.substr(colon + 1);
    size_t i = 0;
    for (;;) {
        if (i >= algo.size() || !alpha(algo[i])) return false;
        ++i;
        while (i < algo.size() && alnum(algo[i])) ++i;
        if (i == algo.size()) break;
        if (std::string_view("-_+.").find(algo[i]) == std::string_view::npos) return false;
        ++i;
    }
    if (hex.size() < 32) return false;
    for (char c : hex)
        if (!hexDigit(c)) return false;
    return true;
}

/// anchoredName: ^(?:(domainAndPort)/)?(remoteName)$. The domain, when there is one, is
/// everything before the first "/" (domainAndPort has no "/"); the optional group is tried
/// first, as a leftmost-first match does.
bool splitName(std::string_view name, std::string_view& domain, std::string_view& path) {
    size_t slash = name.find('/');
    if (slash != std::string_view::npos && isDomainAndPort(name.substr(0, slash)) &&
        isRemoteName(name.substr(slash + 1))) {
        domain = name.substr(0, slash);
        path = name.substr(slash + 1);
        return true;
    }
    if (!isRemoteName(name)) return false;
    domain = {};
    path = name;
    return true;
}

/// ReferenceRegexp: ^(name)(?::(tag))?(?:@(digest))?$. Neither tag nor digest contains "/",
/// and the name has no ":" after its last "/" (only a domain's port has one), so the tag is
/// whatever follows the first ":" after the last "/", and the digest what follows the "@".
struct RawReference {
    std::string_view name, domain, path, tag, digest;
};
bool scanReference(std::string_view s, RawReference& r) {
    size_t at = s.find('@');
    if (at != std::string_view::npos) {
        r.digest = s.substr(at + 1);
        if (!isDigest(r.digest)) return false;
        s = s.substr(0, at);
    }
    size_t lastSlash = s.rfind('/');
    size_t colon = s.find(':', lastSlash == std::string_view::npos ? 0 : lastSlash + 1);
    if (colon != std::string_view::npos) {
        r.tag = s.substr(colon + 1);
        if (!isTag(r.tag)) return false;
        s = s.substr(0, colon);
    }
    r.name = s;
    return splitName(s, r.domain, r.path);
}

bool isIdentifier(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

[[noreturn]] void fail(std::string_view s, std::string_view why) {
    throw InvalidArgument("invalid image reference \"" + std::string(s) + "\": " + std::string(why));
}

std::string lower(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
    return r;
}

/// go-digest Digest.Validate for the algorithms go-digest registers (sha256/384/512).
void validateDigest(std::string_view ref, std::string_view d) {
    size_t i = d.find(':');
    if (i == std::string_view::npos || i == 0 || i + 1 == d.size())
        fail(ref, "invalid checksum digest format");
    std::string_view algo = d.substr(0, i), enc = d.substr(i + 1);
    size_t hexLen = algo == "sha256" ? 64 : algo == "sha384" ? 96 : algo == "sha512" ? 128 : 0;
    if (hexLen == 0) fail(ref, "unsupported digest algorithm");
    if (enc.size() != hexLen) fail(ref, "invalid checksum digest length");
    for (char c : enc)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) fail(ref, "invalid checksum digest format");
}

}  // namespace

std::string ImageReference::name() const { return domain.empty() ? path : domain + "/" + path; }

std::string ImageReference::str() const {
    std::string s = name();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

std::string ImageReference::familiarName() const {
    if (domain != kDefaultDomain) return name();
    std::string p = path;
    const std::string lib = std::string(kOfficialRepoName) + "/";
    if (p.rfind(lib, 0) == 0 && p.find('/', lib.size()) == std::string::npos) p = p.substr(lib.size());
    return p;
}

ImageReference parseReference(std::string_view s) {
    RawReference m;
    if (!scanReference(s, m)) {
        if (s.empty()) fail(s, "repository name must have at least one component");
        std::string low = lower(s);
        RawReference lm;
        if (scanReference(low, lm)) fail(s, "invalid reference format: repository name must be lowercase");
        fail(s, "invalid reference format");
    }
    if (m.name.size() > kNameTotalLengthMax)
        fail(s, "repository name must not be more than 255 characters");
    ImageReference r;
    r.domain = m.domain;
    r.path = m.path;
    r.tag = m.tag;
    r.digest = m.digest;
    if (!r.digest.empty()) validateDigest(s, r.digest);
    return r;
}

ImageReference parseNormalizedNamed(std::string_view s) {
    std::string str(s);
    if (isIdentifier(str))
        fail(s, "invalid repository name, cannot specify 64-byte hexadecimal strings");
    // splitDockerDomain
    std::string domain, remainder;
    size_t i = str.find('/');
    if (i == std::string::npos ||
        (str.substr(0, i).find_first_of(".:") == std::string::npos && str.substr(0, i) != "localhost" &&
         lower(str.substr(0, i)) == str.substr(0, i))) {
        domain = kDefaultDomain;
        remainder = str;
    } else {
        domain = str.substr(0, i);
        remainder = str.substr(i + 1);
    }
    if (domain == kLegacyDefaultDomain) domain = kDefaultDomain;
    if (domain == kDefaultDomain && remainder.find('/') == std::string::npos)
        remainder = std::string(kOfficialRepoName) + "/" + remainder;
    std::string remoteName = remainder.substr(0, remainder.find(':'));
    if (lower(remoteName) != remoteName) fail(s, "invalid reference format: repository name must be lowercase");
    ImageReference r = parseReference(domain + "/" + remainder);
    if (r.domain.empty()) fail(s, "invalid reference format");
    return r;
}

ImageReference parseNamed(std::string_view s) {
    ImageReference r = parseNormalizedNamed(s);
    if (r.str() != s) fail(s, "repository name must be canonical");
    return r;
}

bool isValidDomain(std::string_view s) { return isDomainAndPort(s); }

}  // namespace hutch::conf
