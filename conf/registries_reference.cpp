// docker/distribution reference grammar (reference/regexp.go) and Docker Hub normalisation
// (reference/normalize.go), as vendored by containers/image docker/reference.
#include "hutch/conf/registries_reference.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "hutch/common/error.hpp"

namespace hutch::conf {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoName = "library";
constexpr size_t kNameTotalLengthMax = 255;

struct Grammar {
    std::regex reference, anchoredName, identifier, domain;
    Grammar() {
        const std::string alnum = "[a-z0-9]+";
        const std::string sep = "(?:[._]|__|[-]+)";
        const std::string pathComponent = alnum + "(?:" + sep + alnum + ")*";
        const std::string dnc = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        const std::string domainName = dnc + "(?:\\." + dnc + ")*";
        const std::string ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
        const std::string domainAndPort = "(?:" + domainName + "|" + ipv6 + ")(?::[0-9]+)?";
        const std::string tag = "[\\w][\\w.-]{0,127}";
        const std::string digestPat =
            "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
        const std::string remoteName = pathComponent + "(?:/" + pathComponent + ")*";
        const std::string namePat = "(?:" + domainAndPort + "/)?" + remoteName;
        reference = std::regex("^(" + namePat + ")(?::(" + tag + "))?(?:@(" + digestPat + "))?$");
        anchoredName = std::regex("^(?:(" + domainAndPort + ")/)?(" + remoteName + ")$");
        identifier = std::regex("^[a-f0-9]{64}$");
        domain = std::regex("^" + domainAndPort + "$");
    }
};

const Grammar& grammar() {
    static const Grammar g;
    return g;
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
    const Grammar& g = grammar();
    std::string str(s);
    std::smatch m;
    if (!std::regex_match(str, m, g.reference)) {
        if (str.empty()) fail(s, "repository name must have at least one component");
        std::string low = lower(str);
        if (std::regex_match(low, g.reference))
            fail(s, "invalid reference format: repository name must be lowercase");
        fail(s, "invalid reference format");
    }
    std::string name = m[1].str();
    if (name.size() > kNameTotalLengthMax)
        fail(s, "repository name must not be more than 255 characters");
    ImageReference r;
    std::smatch nm;
    if (!std::regex_match(name, nm, g.anchoredName)) fail(s, "invalid reference format");
    r.domain = nm[1].str();
    r.path = nm[2].str();
    r.tag = m[2].str();
    r.digest = m[3].str();
    if (!r.digest.empty()) validateDigest(s, r.digest);
    return r;
}

ImageReference parseNormalizedNamed(std::string_view s) {
    std::string str(s);
    if (std::regex_match(str, grammar().identifier))
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

bool isValidDomain(std::string_view s) {
    std::string str(s);
    return std::regex_match(str, grammar().domain);
}

}  // namespace hutch::conf
