// netconf (-p grammar, network modes, port lines, record JSON) and the generated
// /etc/hosts and /etc/resolv.conf for private networks.
#include <catch2/catch.hpp>

#include "hutch/common/error.hpp"
#include "hutch/engine/spec/etcfiles.hpp"
#include "hutch/engine/spec/netconf.hpp"

using namespace hutch;
using namespace hutch::engine;

TEST_CASE("parsePublish follows podman's -p grammar", "[engine][network]") {
    CHECK(parsePublish("8080:80") == PortMapping{"", 8080, 80, 1, "tcp"});
    CHECK(parsePublish("80") == PortMapping{"", 0, 80, 1, "tcp"});
    CHECK(parsePublish("127.0.0.1:8080:80/udp") == PortMapping{"127.0.0.1", 8080, 80, 1, "udp"});
    CHECK(parsePublish("127.0.0.1::80") == PortMapping{"127.0.0.1", 0, 80, 1, "tcp"});
    CHECK(parsePublish("8000-8002:9000-9002") == PortMapping{"", 8000, 9000, 3, "tcp"});
    CHECK(parsePublish("[::1]:8080:80") == PortMapping{"::1", 8080, 80, 1, "tcp"});
    CHECK(parsePublish(":80") == PortMapping{"", 0, 80, 1, "tcp"});
    for (const char* bad : {"8080:0", "x:80", "80/sctp", "8000-8001:80", "1:2:3:4", "70000:80", "90-80:90-80", ""}) {
        INFO(bad);
        CHECK_THROWS_AS(parsePublish(bad), InvalidArgument);
    }
    CHECK_THROWS_WITH(parsePublish("80/sctp"), Catch::Contains("80/sctp") && Catch::Contains("protocol"));
}

TEST_CASE("exposedPorts reads ExposedPorts keys", "[engine][network]") {
    auto p = exposedPorts({"80/tcp", "53/udp", "8080"});
    REQUIRE(p.size() == 3);
    CHECK(p[0] == PortMapping{"", 0, 80, 1, "tcp"});
    CHECK(p[1] == PortMapping{"", 0, 53, 1, "udp"});
    CHECK(p[2].containerPort == 8080);
    CHECK_THROWS_AS(exposedPorts({"1:2"}), InvalidArgument);
}

TEST_CASE("network modes, --add-host and port lines", "[engine][network]") {
    for (const char* m : {"private", "pasta", "slirp4netns", "host", "none", "container:web"})
        CHECK_NOTHROW(validateNetworkMode(m));
    for (const char* m : {"bridge", "", "container:", "slirp"}) CHECK_THROWS_AS(validateNetworkMode(m), InvalidArgument);
    CHECK(parseAddHost("db:10.0.0.5") == std::pair<std::string, std::string>{"db", "10.0.0.5"});
    CHECK(parseAddHost("v6:[::1]").second == "::1");
    CHECK(parseAddHost("gw:host-gateway").second == "host-gateway");
    CHECK_THROWS_AS(parseAddHost("nohost"), InvalidArgument);
    CHECK_THROWS_AS(parseAddHost(":1.2.3.4"), InvalidArgument);
    auto lines = portLines({PortMapping{"", 8000, 90, 2, "tcp"}, PortMapping{"127.0.0.1", 5353, 53, 1, "udp"}});
    CHECK(lines == std::vector<std::string>{"53/udp -> 127.0.0.1:5353", "90/tcp -> 0.0.0.0:8000",
                                            "91/tcp -> 0.0.0.0:8001"});
}

TEST_CASE("NetworkOptions and NetworkState round-trip through JSON", "[engine][network]") {
    NetworkOptions o;
    o.ports = {PortMapping{"127.0.0.1", 8080, 80, 2, "udp"}};
    o.dns = {"1.1.1.1"};
    o.dnsSearch = {"example.com"};
    o.dnsOptions = {"ndots:2"};
    o.addHosts = {"db:10.0.0.5"};
    o.noHosts = true;
    NetworkOptions back = NetworkOptions::fromJson(o.toJson());
    CHECK(back.ports == o.ports);
    CHECK(back.dns == o.dns);
    CHECK(back.dnsSearch == o.dnsSearch);
    CHECK(back.dnsOptions == o.dnsOptions);
    CHECK(back.addHosts == o.addHosts);
    CHECK(back.noHosts);
    NetworkState st;
    st.helper = "pasta";
    st.nsPath = "/run/x/netns/id";
    st.ownsNamespace = true;
    st.helperPid = 42;
    st.helperStartTime = 7;
    st.address = "192.0.2.2";
    NetworkState sb = NetworkState::fromJson(st.toJson());
    CHECK(sb.helper == "pasta");
    CHECK(sb.nsPath == st.nsPath);
    CHECK(sb.ownsNamespace);
    CHECK(sb.helperPid == 42);
    CHECK(sb.helperStartTime == 7);
    CHECK(sb.address == "192.0.2.2");
    CHECK(NetworkState::fromJson(nullptr).helper.empty());
}

TEST_CASE("hostsFile for a private network", "[engine][etcfiles]") {
    HostsInput in;
    in.hostname = "web.example.com";
    in.address = "192.0.2.2";
    in.hostGateway = "192.0.2.1";
    in.extra = {{"db", "10.0.0.5"}};
    std::string h = hostsFile(in);
    INFO(h);
    CHECK(h.rfind("10.0.0.5\tdb\n", 0) == 0);  // --add-host first, as podman
    CHECK(h.find("127.0.0.1\tlocalhost") != std::string::npos);
    CHECK(h.find("192.0.2.2\tweb.example.com web\n") != std::string::npos);
    CHECK(h.find("192.0.2.1\thost.containers.internal\n") != std::string::npos);
    CHECK(h.find("127.0.1.1") == std::string::npos);
}

TEST_CASE("resolvConfFile drops loopback servers for the forwarder and applies --dns flags", "[engine][etcfiles]") {
    const std::string host = "# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\n"
                             "search lan corp\noptions edns0 trust-ad\n";
    ResolvInput in;
    in.forwarder = "169.254.1.1";
    CHECK(resolvConfFile(host, in) ==
          "search lan corp\nnameserver 169.254.1.1\nnameserver 10.0.0.1\noptions edns0 trust-ad\n");
    in.dns = {"9.9.9.9"};
    in.search = {"example.com"};
    in.options = {"ndots:3"};
    CHECK(resolvConfFile(host, in) == "search example.com\nnameserver 9.9.9.9\noptions ndots:3\n");
    in.search = {"."};
    CHECK(resolvConfFile(host, in).find("search") == std::string::npos);
    ResolvInput none;
    none.noNetwork = true;
    CHECK(resolvConfFile(host, none).find("nameserver") == std::string::npos);
    ResolvInput hostNet;
    hostNet.hostNetwork = true;
    CHECK(resolvConfFile(host, hostNet).find("nameserver 127.0.0.53") != std::string::npos);
    CHECK(isLoopbackAddress("127.1.2.3"));
    CHECK_FALSE(isLoopbackAddress("10.0.0.1"));
}
