#include "hutch/engine/image/search.hpp"

#include <algorithm>
#include <exception>
#include <thread>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/conf/registries.hpp"
#include "hutch/registry/catalog.hpp"
#include "hutch/registry/client.hpp"
#include "hutch/registry/reference.hpp"

namespace hutch::engine {
namespace {

constexpr int kDefaultLimit = 25;  // podman's maximum results per registry

registry::Client clientFor(Context& ctx, const std::string& host, const SearchOptions& o) {
    registry::ClientOptions co;
    co.host = host;
    const conf::Registry* reg = ctx.registries().findRegistry(host);
    co.insecure = o.tlsVerify ? !*o.tlsVerify : (reg && reg->endpoint.insecure);
    return registry::Client(co);
}

std::vector<SearchResult> searchOne(Context& ctx, const std::string& host, const std::string& term,
                                    const SearchOptions& o) {
    std::vector<SearchResult> out;
    if (o.listTags) {
        registry::Reference ref;
        try {
            ref = registry::parseNormalizedName(host + "/" + term);
        } catch (const InvalidArgument&) {
            throw InvalidArgument("reference \"" + term + "\" must be a docker reference");
        }
        std::vector<std::string> tags;
        try {
            auto client = clientFor(ctx, ref.domain, o);
            tags = registry::listTags(client, ref.path);
        } catch (const Error& e) {
            throw Error(std::string("getting repository tags: ") + e.what());
        }
        size_t keep = searchKeep(tags.size(), o.limit);
        for (size_t i = 0; i < keep; ++i) out.push_back({host, ref.name(), "", 0, "", "", tags[i]});
        return out;
    }
    std::vector<std::string> repos;
    try {
        auto client = clientFor(ctx, host, o);
        repos = registry::searchCatalog(client, term, o.limit > 0 ? o.limit : kDefaultLimit);
    } catch (const Error& e) {
        throw Error("couldn't search registry \"" + host + "\": " + e.what());
    }
    size_t keep = searchKeep(repos.size(), o.limit);
    for (size_t i = 0; i < keep; ++i) {
        SearchResult r;
        r.index = host;
        r.name = host + "/" + repos[i];
        if (host == "docker.io" && repos[i].find('/') == std::string::npos) r.name = "docker.io/library/" + repos[i];
        // The catalog has no stars and no official or automated flags: only "=false" filters pass.
        if (r.stars < o.minStars || (o.official && *o.official) || (o.automated && *o.automated)) continue;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

size_t searchKeep(size_t found, int limit) {
    if (limit < 0) return 0;
    size_t cap = limit == 0 ? static_cast<size_t>(kDefaultLimit) : static_cast<size_t>(limit);
    return std::min(found, cap);
}

std::vector<SearchResult> searchImages(Context& ctx, const SearchOptions& o) {
    if (o.term.empty()) throw InvalidArgument("search requires exactly one argument");
    std::vector<std::string> hosts;
    std::string term = o.term;
    if (auto slash = term.find('/'); slash != std::string::npos) {
        hosts.push_back(term.substr(0, slash));
        term = term.substr(slash + 1);
    } else {
        hosts = ctx.registries().unqualifiedSearchRegistries;
        if (hosts.empty())
            throw InvalidArgument("no unqualified-search registries are defined in registries.conf: search HOST/" + term +
                                  " instead");
    }
    log::debug("searching images matching term {} at the registries {}", term, str::join(hosts, ", "));
    std::vector<std::vector<SearchResult>> results(hosts.size());
    std::vector<std::exception_ptr> errors(hosts.size());
    std::vector<std::thread> threads;
    ctx.registries();  // loaded (and its errors thrown) before the threads share it
    for (size_t i = 0; i < hosts.size(); ++i)
        threads.emplace_back([&, i] {
            try {
                results[i] = searchOne(ctx, hosts[i], term, o);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    std::vector<SearchResult> all;
    std::vector<std::string> messages;
    for (size_t i = 0; i < hosts.size(); ++i) {
        all.insert(all.end(), results[i].begin(), results[i].end());
        if (!errors[i]) continue;
        try {
            std::rethrow_exception(errors[i]);
        } catch (const InvalidArgument&) {
            throw;
        } catch (const std::exception& e) {
            messages.push_back(e.what());
        }
    }
    // As podman: one registry that answered is enough.
    if (!all.empty() || messages.empty()) return all;
    std::string text = std::to_string(messages.size()) + (messages.size() == 1 ? " error occurred:" : " errors occurred:");
    for (const auto& m : messages) text += "\n\t* " + m;
    throw Error(text + "\n\n");
}

}  // namespace hutch::engine
