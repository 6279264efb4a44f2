// The distribution API's listing endpoints: the repository catalog (GET /v2/_catalog,
// docker/distribution's extension, paginated with a Link header) and a repository's tags
// (GET /v2/<name>/tags/list, distribution-spec "Listing Tags"). `search` uses them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hutch/registry/client.hpp"

namespace hutch::registry {

/// Repositories of the registry whose name contains `term` ("" = all), in the registry's
/// order but an exact match first (as containers/image does), at most `limit` of them (a
/// limit <= 0 gives none). Pages are followed through their `Link: <...>; rel="next"`
/// header until `limit` matches are found. Scope "registry:catalog:*" for a bearer token.
/// Throws RegistryError whose message is "invalid status code from registry N (Text)" for
/// a registry that answers the catalog with an error status (404: no catalog), the client's
/// errors (RegistryError/AuthError) for transport and auth failures, InvalidArgument for a
/// body that is not `{"repositories": [...]}`.
std::vector<std::string> searchCatalog(Client& client, const std::string& term, int limit);

/// Every tag of repository `repo`, in the registry's order (pages followed as above).
/// Throws RegistryError "fetching tags list: invalid status code from registry N (Text)"
/// for an error status, the client's errors, InvalidArgument for a malformed body.
std::vector<std::string> listTags(Client& client, const std::string& repo);

/// "invalid status code from registry 404 (Not Found)": Go's text for the status.
std::string invalidStatusText(long status);

/// The path and query of a `Link` header's next page ("</v2/_catalog?last=a&n=2>;
/// rel=\"next\"" -> "/v2/_catalog?last=a&n=2"; an absolute URL keeps only path and
/// query); "" when there is none.
std::string nextPageLink(const std::string& linkHeader);

}  // namespace hutch::registry
