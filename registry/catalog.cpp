#include "hutch/registry/catalog.hpp"

#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"

namespace hutch::registry {
namespace {

constexpr int kMaxPages = 10000;  // a registry whose Link never ends must not loop for ever

/// GETs `path` and every following page; `page` receives each parsed body. Stops when a
/// page has no next link or `page` returns false.
template <typename Page>
void eachPage(Client& client, const std::string& repo, const std::string& scope, std::string path,
              const std::string& context, Page&& page) {
    for (int n = 0; n < kMaxPages && !path.empty(); ++n) {
        http::Request req;
        req.url = path;
        req.headers.push_back("Accept: application/json");
        req.maxBody = 64u << 20;
        http::Response r = client.send(repo, scope, req);
        if (r.status == 401 || r.status == 403) client.throwFor(repo, r, context);
        if (r.status != 200)
            throw RegistryError(static_cast<int>(r.status), "",
                                (context.empty() ? "" : context + ": ") + invalidStatusText(r.status));
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(r.body);
        } catch (const nlohmann::json::exception& e) {
            throw InvalidArgument(client.host() + ": " + path + ": not JSON: " + e.what());
        }
        if (!j.is_object()) throw InvalidArgument(client.host() + ": " + path + ": not a JSON object");
        if (!page(j)) return;
        path = nextPageLink(r.header("Link"));
    }
}

/// The string array `key` of `j` (null or missing = empty). Throws InvalidArgument.
std::vector<std::string> strings(const nlohmann::json& j, const char* key, const std::string& where) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) throw InvalidArgument(where + ": \"" + key + "\" is not an array");
    for (const auto& s : *it) {
        if (!s.is_string()) throw InvalidArgument(where + ": \"" + key + "\" holds a non-string");
        out.push_back(s.get<std::string>());
    }
    return out;
}

}  // namespace

std::string invalidStatusText(long status) {
    static const std::pair<long, const char*> kTexts[] = {
        {400, "Bad Request"},      {401, "Unauthorized"},          {403, "Forbidden"},
        {404, "Not Found"},        {405, "Method Not Allowed"},    {406, "Not Acceptable"},
        {408, "Request Timeout"},  {410, "Gone"},                  {429, "Too Many Requests"},
        {500, "Internal Server Error"}, {501, "Not Implemented"},  {502, "Bad Gateway"},
        {503, "Service Unavailable"},   {504, "Gateway Timeout"},
    };
    std::string text;
    for (const auto& [s, t] : kTexts)
        if (s == status) text = t;
    return "invalid status code from registry " + std::to_string(status) + " (" + text + ")";
}

std::string nextPageLink(const std::string& linkHeader) {
    auto open = linkHeader.find('<');
    auto close = linkHeader.find('>', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) return "";
    std::string url = linkHeader.substr(open + 1, close - open - 1);
    if (auto scheme = url.find("://"); scheme != std::string::npos) {
        auto slash = url.find('/', scheme + 3);
        url = slash == std::string::npos ? "/" : url.substr(slash);
    }
    if (url.empty() || url[0] != '/') return "";
    return url;
}

std::vector<std::string> searchCatalog(Client& client, const std::string& term, int limit) {
    std::vector<std::string> out;
    if (limit <= 0) return out;
    eachPage(client, "", "registry:catalog:*", "/v2/_catalog", "", [&](const nlohmann::json& j) {
        for (auto& repo : strings(j, "repositories", client.host() + "/v2/_catalog")) {
            if (static_cast<int>(out.size()) == limit) break;
            if (repo.find(term) == std::string::npos) continue;
            if (repo == term) out.insert(out.begin(), repo);
            else out.push_back(repo);
        }
        return static_cast<int>(out.size()) < limit;
    });
    return out;
}

std::vector<std::string> listTags(Client& client, const std::string& repo) {
    std::vector<std::string> out;
    eachPage(client, repo, "repository:" + repo + ":pull", "/v2/" + repo + "/tags/list", "fetching tags list",
             [&](const nlohmann::json& j) {
                 auto tags = strings(j, "tags", client.host() + "/" + repo + " tags");
                 out.insert(out.end(), tags.begin(), tags.end());
                 return true;
             });
    return out;
}

}  // namespace hutch::registry
