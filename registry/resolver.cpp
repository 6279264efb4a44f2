// See resolver.hpp.
#include "hutch/registry/resolver.hpp"

#include <unistd.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::registry {

Reference rewriteReference(const Reference& ref, std::string_view prefix, std::string_view location) {
    const std::string s = ref.str();
    int len = conf::refMatchingPrefix(s, prefix);
    if (len == -1) throw Error("invalid prefix '" + std::string(prefix) + "' for reference '" + s + "'");
    if (location.empty()) {
        if (prefix.rfind("*.", 0) != 0)
            throw Error("invalid prefix '" + std::string(prefix) +
                        "' for empty location, should be in the format: *.example.com");
        return ref;
    }
    std::string rewritten = std::string(location) + s.substr(static_cast<size_t>(len));
    try {
        return Reference::from(conf::parseNamed(rewritten));
    } catch (const InvalidArgument& e) {
        throw Error("rewriting reference: " + std::string(e.what()));
    }
}

std::vector<PullSource> pullSources(const Reference& ref, const conf::Registry* reg) {
    if (!reg) return {PullSource{ref, ref.domain, false, false, ""}};
    const bool digested = !ref.digest.empty();
    std::vector<std::pair<const conf::Endpoint*, bool>> eps;
    if (reg->mirrorByDigestOnly) {
        if (digested)
            for (const auto& m : reg->mirrors) eps.push_back({&m, true});
    } else {
        for (const auto& m : reg->mirrors) {
            if (m.pullFromMirror == "digest-only" && !digested) continue;
            if (m.pullFromMirror == "tag-only" && digested) continue;
            eps.push_back({&m, true});
        }
    }
    eps.push_back({&reg->endpoint, false});
    std::vector<PullSource> out;
    for (const auto& [ep, isMirror] : eps) {
        Reference r = rewriteReference(ref, reg->prefix, ep->location);
        out.push_back(PullSource{r, r.domain, ep->insecure, isMirror, ""});
    }
    return out;
}

namespace {

/// Adds a candidate for `ref`, or records why its registry refuses it: sources whose
/// location is blocked are marked; a candidate with no usable source is skipped.
void addCandidate(Resolution& res, const Reference& ref, const conf::RegistriesConf& conf) {
    const conf::Registry* reg = conf.findRegistry(ref.name());
    std::string where = conf.sources.empty() ? std::string("registries.conf") : str::join(conf.sources, ", ");
    auto sources = pullSources(ref, reg);
    bool usable = false;
    for (auto& src : sources) {
        const conf::Registry* at = conf.findRegistry(src.ref.name());
        bool blocked = (at && at->blocked) || (!src.mirror && reg && reg->blocked);
        if (blocked) src.blocked = "registry " + src.ref.domain + " is blocked in " + where;
        usable = usable || !blocked;
    }
    if (!usable) {
        res.skipped.push_back("registry " + ref.domain + " is blocked in " + where);
        return;
    }
    res.candidates.push_back(Candidate{ref, std::move(sources)});
}

void finish(Resolution& res, std::string_view name) {
    if (!res.candidates.empty()) return;
    std::string msg = "cannot pull \"" + std::string(name) + "\":";
    for (const auto& s : res.skipped) msg += " " + s + ";";
    msg.pop_back();
    throw Error(msg);
}

}  // namespace

Resolution resolve(std::string_view name, const conf::RegistriesConf& conf, const ResolveOptions& opts) {
    using conf::ShortNameMode;
    ShortNameMode mode = conf.shortNameMode == ShortNameMode::Unset ? ShortNameMode::Permissive : conf.shortNameMode;
    if (mode == ShortNameMode::Invalid) throw InvalidArgument("unsupported short-name mode (invalid)");

    conf::ImageReference raw;
    try {
        raw = conf::parseReference(name);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument("cannot parse input: \"" + std::string(name) + "\": " + e.what());
    }
    Resolution res;
    if (raw.domain.find_first_of(".:") != std::string::npos || raw.domain == "localhost") {
        res.how = "fully-qualified";
        addCandidate(res, parseNormalized(name), conf);
        finish(res, name);
        return res;
    }

    // Short name: the alias (looked up without tag/digest) wins.
    const std::string shortName = raw.name();
    const std::string alias = conf.alias(shortName);
    if (!alias.empty()) {
        Reference ref = parseNormalizedName(alias);
        ref.tag = raw.tag;
        ref.digest = raw.digest;
        if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
        res.how = "alias";
        auto it = conf.aliasOrigins.find(shortName);
        if (it != conf.aliasOrigins.end()) res.origin = it->second;
        addCandidate(res, ref, conf);
        finish(res, name);
        return res;
    }

    res.how = "search";
    res.origin = conf.unqualifiedSearchRegistriesOrigin;
    if (conf.unqualifiedSearchRegistries.empty()) {
        if (!res.origin.empty())
            throw InvalidArgument("short-name \"" + std::string(name) +
                                  "\" did not resolve to an alias and no unqualified-search registries are defined in \"" +
                                  res.origin + "\"");
        throw InvalidArgument("short-name \"" + std::string(name) +
                              "\" did not resolve to an alias and no containers-registries.conf(5) was found");
    }
    if (mode == ShortNameMode::Enforcing && conf.unqualifiedSearchRegistries.size() > 1 && !opts.interactive)
        throw InvalidArgument("short-name resolution enforced but cannot prompt without a TTY (short name \"" +
                              std::string(name) + "\" matches " +
                              std::to_string(conf.unqualifiedSearchRegistries.size()) +
                              " unqualified-search registries; use a fully-qualified name)");
    for (const std::string& reg : conf.unqualifiedSearchRegistries) {
        Reference ref;
        try {
            ref = parseNormalized(reg + "/" + std::string(name));
        } catch (const InvalidArgument& e) {
            throw InvalidArgument("creating reference with unqualified-search registry \"" + reg + "\": " + e.what());
        }
        addCandidate(res, ref, conf);
    }
    finish(res, name);
    return res;
}

std::vector<Reference> resolveLocally(std::string_view name, const conf::RegistriesConf& conf) {
    conf::ImageReference raw;
    try {
        raw = conf::parseReference(name);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument("cannot parse input: \"" + std::string(name) + "\": " + e.what());
    }
    if (raw.domain.find_first_of(".:") != std::string::npos || raw.domain == "localhost")
        return {parseNormalized(name)};
    std::vector<Reference> out;
    const std::string alias = conf.alias(raw.name());
    if (!alias.empty()) {
        Reference ref = parseNormalizedName(alias);
        ref.tag = raw.tag;
        ref.digest = raw.digest;
        if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
        out.push_back(ref);
    }
    out.push_back(parseNormalized("localhost/" + std::string(name)));
    for (const std::string& reg : conf.unqualifiedSearchRegistries)
        out.push_back(parseNormalized(reg + "/" + std::string(name)));
    return out;
}

Resolution resolve(std::string_view name, const conf::RegistriesConf& conf) {
    return resolve(name, conf, ResolveOptions{isatty(0) && isatty(1)});
}

}  // namespace hutch::registry
