// Unit tests: run's flag values checked before anything is made (hostname, DNS, hosts, stop
// timeout live in engine/netconf + run), comma lists of capabilities, a linear environment
// merge.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "hutch/common/error.hpp"
#include "hutch/engine/spec/capabilities.hpp"
#include "hutch/engine/spec/netconf.hpp"
#include "hutch/engine/spec/specgen.hpp"

using namespace hutch;
using namespace hutch::engine;
using Catch::Matchers::Contains;

TEST_CASE("validateHostname: RFC 1123 labels, dotted names kept", "[engine][input]") {
    for (const char* ok : {"", "x250.home", "a", "web-1", "my_host", "A1.b2.C3", "0123456789ab"})
        CHECK_NOTHROW(validateHostname(ok));
    for (const char* bad : {"a\nb", "x250.home\n127.0.0.1 evil", "a b", "-ab", "ab-", "a..b", ".a", "a.", "caf\xc3\xa9",
                            "a\tb", "a/b"}) {
        INFO(bad);
        CHECK_THROWS_WITH(validateHostname(bad), Contains("-h/--hostname") && Contains("invalid hostname"));
    }
    CHECK_NOTHROW(validateHostname(std::string(64, 'a')));
    CHECK_THROWS_AS(validateHostname(std::string(65, 'a')), InvalidArgument);
    CHECK_THROWS_WITH(validateHostname("a\nb"), Contains("\"a\\nb\""));  // the newline shown escaped
}

TEST_CASE("validateNetworkOptions: --dns, --dns-search, --dns-option, --add-host", "[engine][input]") {
    auto with = [](auto set) {
        NetworkOptions o;
        set(o);
        return o;
    };
    CHECK_NOTHROW(validateNetworkOptions(with([](NetworkOptions& o) {
        o.dns = {"1.1.1.1", "2001:db8::1"};
        o.dnsSearch = {"example.com", "x250.home.", "."};
        o.dnsOptions = {"ndots:2", "edns0"};
        o.addHosts = {"db:10.0.0.5", "v6:[::1]", "gw:host-gateway", "a b:1.2.3.4"};
    })));
    CHECK_THROWS_WITH(validateNetworkOptions(with([](NetworkOptions& o) { o.dns = {"not-an-ip"}; })),
                      Contains("--dns \"not-an-ip\": not an IP address"));
    CHECK_THROWS_WITH(validateNetworkOptions(with([](NetworkOptions& o) { o.dns = {"1.1.1.1\nnameserver 6.6.6.6"}; })),
                      Contains("--dns"));
    for (const char* bad : {"a\nb", "a b", "-a.com", "a..com", "a_b.com"}) {
        INFO(bad);
        CHECK_THROWS_WITH(validateNetworkOptions(with([&](NetworkOptions& o) { o.dnsSearch = {bad}; })),
                          Contains("--dns-search") && Contains("not a valid domain"));
    }
    CHECK_THROWS_WITH(validateNetworkOptions(with([](NetworkOptions& o) { o.dnsOptions = {"ndots:1\nnameserver 6.6.6.6"}; })),
                      Contains("--dns-option"));
    CHECK_THROWS_WITH(validateNetworkOptions(with([](NetworkOptions& o) { o.addHosts = {"evil\n6.6.6.6 good:1.2.3.4"}; })),
                      Contains("--add-host") && Contains("invalid host name"));
    CHECK_THROWS_WITH(validateNetworkOptions(with([](NetworkOptions& o) { o.addHosts = {"foo:notip"}; })),
                      Contains("--add-host \"foo:notip\": invalid IP address \"notip\""));
    CHECK_THROWS_WITH(parseAddHost("foo:1.2.3.4\n"), Contains("invalid IP address"));
}

TEST_CASE("capabilitySet takes comma-separated lists, as podman's --cap-add/--cap-drop", "[engine][caps]") {
    auto caps = capabilitySet({"NET_ADMIN,net_raw"}, {}, false);
    CHECK(std::count(caps.begin(), caps.end(), "CAP_NET_ADMIN") == 1);
    CHECK(std::count(caps.begin(), caps.end(), "CAP_NET_RAW") == 1);
    CHECK(capabilitySet({"cap_kill,CAP_CHOWN"}, {"all"}, false) == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"});
    CHECK(capabilitySet({"ALL"}, {}, false) == allCapabilities());
    auto dropped = capabilitySet({}, {"chown,kill"}, false);
    CHECK(std::count(dropped.begin(), dropped.end(), "CAP_CHOWN") == 0);
    CHECK(std::count(dropped.begin(), dropped.end(), "CAP_KILL") == 0);
    CHECK_THROWS_WITH(capabilitySet({"NET_ADMIN,"}, {}, false), Contains("\"CAP_\": unknown capability"));
    CHECK_THROWS_WITH(capabilitySet({"NET_ADMIN,BOGUS"}, {}, false), Contains("\"CAP_BOGUS\": unknown capability"));
}

TEST_CASE("effectiveEnv is linear: 200,000 --env-file entries merge in well under a second", "[engine][input]") {
    ImageDefaults image;
    for (int i = 0; i < 1000; ++i) image.env.push_back("IMG" + std::to_string(i) + "=x");
    ContainerConfig c;
    for (int i = 0; i < 200000; ++i) c.env.push_back("K" + std::to_string(i) + "=v" + std::to_string(i));
    c.env.push_back("IMG7=override");
    c.env.push_back("K5=last");
    auto start = std::chrono::steady_clock::now();
    auto env = effectiveEnv(image, c, "host", "/root");
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(secs << " s");
    CHECK(secs < 2.0);  // the old nested scan took tens of seconds here
    CHECK(env.size() == 3 + 1000 + 1 + 200000);  // PATH, container, HOSTNAME; image; HOME; -e
    CHECK(std::find(env.begin(), env.end(), "IMG7=override") != env.end());
    CHECK(std::find(env.begin(), env.end(), "K5=last") != env.end());
    CHECK(std::find(env.begin(), env.end(), "K5=v5") == env.end());
    CHECK(env[0].rfind("PATH=", 0) == 0);
}
