// See reference.hpp.
#include "hutch/registry/reference.hpp"

#include "hutch/common/error.hpp"

namespace hutch::registry {

namespace {
conf::ImageReference toConf(const Reference& r) { return {r.domain, r.path, r.tag, r.digest}; }
}  // namespace

std::string Reference::name() const { return toConf(*this).name(); }
std::string Reference::str() const { return toConf(*this).str(); }
std::string Reference::familiarName() const { return toConf(*this).familiarName(); }

Reference parseNormalizedName(std::string_view s) { return Reference::from(conf::parseNormalizedNamed(s)); }

Reference parseNormalized(std::string_view s) {
    Reference r = parseNormalizedName(s);
    if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
    return r;
}

bool isShortName(std::string_view s) {
    try {
        conf::ImageReference r = conf::parseReference(s);
        return r.domain.find_first_of(".:") == std::string::npos && r.domain != "localhost";
    } catch (const InvalidArgument&) {
        return false;
    }
}

}  // namespace hutch::registry
