// registry/catalog: the repository catalog and tag lists, paginated through Link headers,
// against the fake registry; podman's wording for a registry without a catalog.
#include <catch2/catch.hpp>

#include "fake_registry.hpp"
#include "hutch/common/error.hpp"
#include "hutch/registry/catalog.hpp"

using namespace hutch;
using namespace hutch::registry;
using hutch::test::FakeRegistry;

namespace {

ClientOptions fakeOpts(const FakeRegistry& r) {
    ClientOptions o;
    o.host = r.host();
    o.insecure = true;
    o.readAuthFiles = false;
    o.retryBase = std::chrono::milliseconds(10);
    return o;
}

}  // namespace

TEST_CASE("nextPageLink takes the path and query of a Link header", "[registry][catalog]") {
    CHECK(nextPageLink("</v2/_catalog?last=a&n=2>; rel=\"next\"") == "/v2/_catalog?last=a&n=2");
    CHECK(nextPageLink("<https://r.example/v2/x/tags/list?last=1>; rel=\"next\"") == "/v2/x/tags/list?last=1");
    CHECK(nextPageLink("").empty());
    CHECK(nextPageLink("garbage").empty());
    CHECK(nextPageLink("<relative?x>; rel=\"next\"").empty());
}

TEST_CASE("invalidStatusText is Go's text for the status", "[registry][catalog]") {
    CHECK(invalidStatusText(404) == "invalid status code from registry 404 (Not Found)");
    CHECK(invalidStatusText(503) == "invalid status code from registry 503 (Service Unavailable)");
}

TEST_CASE("searchCatalog filters by the term across pages, exact match first, up to the limit", "[registry][catalog]") {
    FakeRegistry reg({"--catalog", "a/busy,busy,busybox,other,zbusy", "--page-size", "2"});
    Client c(fakeOpts(reg));
    // sorted catalog: a/busy busy busybox other test/img zbusy, two per page
    CHECK(searchCatalog(c, "busy", 25) == std::vector<std::string>{"busy", "a/busy", "busybox", "zbusy"});
    CHECK(searchCatalog(c, "", 25).size() == 6);
    CHECK(searchCatalog(c, "busy", 2) == std::vector<std::string>{"busy", "a/busy"});
    CHECK(searchCatalog(c, "busy", 0).empty());
    CHECK(searchCatalog(c, "nothing", 25).empty());
    CHECK(listTags(c, "test/img") == std::vector<std::string>{"latest", "multi", "schema1"});  // over two pages
}

TEST_CASE("a registry without a catalog, and tags of an unknown repository, fail in podman's words",
          "[registry][catalog]") {
    FakeRegistry reg({"--no-catalog"});
    Client c(fakeOpts(reg));
    try {
        searchCatalog(c, "x", 25);
        FAIL("expected an error");
    } catch (const RegistryError& e) {
        CHECK(std::string(e.what()) == "invalid status code from registry 404 (Not Found)");
    }
    try {
        listTags(c, "no/such");
        FAIL("expected an error");
    } catch (const RegistryError& e) {
        CHECK(std::string(e.what()) == "fetching tags list: invalid status code from registry 404 (Not Found)");
    }
}
