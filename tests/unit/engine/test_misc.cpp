// etcfiles, pull::chainIds (image-spec config.md "Layer ChainID") and names.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/spec/etcfiles.hpp"
#include "hutch/engine/container/names.hpp"
#include "hutch/engine/image/pull.hpp"

using namespace hutch;
using namespace hutch::engine;

TEST_CASE("hostnameFile and hostsFile", "[engine][etcfiles]") {
    CHECK(hostnameFile("abc123") == "abc123\n");

    std::string h = hostsFile("x250.home");
    INFO(h);
    CHECK(h.back() == '\n');
    CHECK(h.find("127.0.0.1\tlocalhost") != std::string::npos);
    CHECK(h.find("::1\tlocalhost") != std::string::npos);
    CHECK(h.find("x250.home x250") != std::string::npos);
    // the hostname line resolves to a loopback address
    std::regex line(R"((^|\n)127\.0\.1\.1\s+x250\.home x250\n)");
    CHECK(std::regex_search(h, line));

    std::string plain = hostsFile("0123456789ab");
    CHECK(std::regex_search(plain, std::regex(R"((^|\n)127\.0\.1\.1\s+0123456789ab\n)")));
    // no short-name alias without a dot
    CHECK(plain.find("0123456789ab ") == std::string::npos);
}

TEST_CASE("resolvConfFile", "[engine][etcfiles]") {
    std::string host = "nameserver 10.0.0.1\nsearch lan\n";
    CHECK(resolvConfFile(host, true) == host);
    CHECK(resolvConfFile(host, false).find("10.0.0.1") == std::string::npos);
}

TEST_CASE("chainIds follows the image-spec ChainID formula", "[engine][pull]") {
    // diffIDs = sha256("layer0"), sha256("layer1"), sha256("layer2")
    const std::vector<std::string> diff = {
        "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e",
        "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",
        "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06",
    };
    REQUIRE(Digest::sha256Of("layer0").str() == diff[0]);

    CHECK(chainIds({}).empty());
    CHECK(chainIds({diff[0]}) == std::vector<std::string>{diff[0]});

    auto c = chainIds(diff);
    REQUIRE(c.size() == 3);
    // ChainID(L0) = DiffID(L0)
    CHECK(c[0] == diff[0]);
    // ChainID(L0|L1) = Digest(ChainID(L0) + " " + DiffID(L1)), computed independently ...
    std::string c1 = Digest::sha256Of(diff[0] + " " + diff[1]).str();
    std::string c2 = Digest::sha256Of(c1 + " " + diff[2]).str();
    CHECK(c[1] == c1);
    CHECK(c[2] == c2);
    // ... and with the shell: printf 'sha256:4fbe... sha256:77ea...' | sha256sum
    CHECK(c[1] == "sha256:ef232af0eb422cdfd7917631657cd8ed2bfd5b9461b37c427aa0d3e0a19adf79");
    CHECK(c[2] == "sha256:7ad3896338947cc04ee0b35b50d400ff32538d63f42f85ec87feac78bf71a54d");
    // order matters
    auto rev = chainIds({diff[1], diff[0]});
    CHECK(rev[1] != c[1]);
}

TEST_CASE("generateName avoids taken names", "[engine][names]") {
    SECTION("a fresh store: adjective_noun, valid") {
        std::vector<std::string> asked;
        std::string n = generateName([&](const std::string& s) {
            asked.push_back(s);
            return false;
        });
        CHECK(std::regex_match(n, std::regex("[a-z]+_[a-z]+")));
        CHECK_NOTHROW(validateName(n));
        CHECK(asked == std::vector<std::string>{n});
    }
    SECTION("never returns a name `taken` said is taken") {
        std::set<std::string> taken;
        for (int i = 0; i < 200; ++i) {
            std::string n = generateName([&](const std::string& s) { return taken.count(s) > 0; });
            CHECK(taken.count(n) == 0);
            CHECK_NOTHROW(validateName(n));
            taken.insert(n);
        }
        CHECK(taken.size() == 200);
    }
    SECTION("when every plain adjective_noun is taken, a suffixed name is used") {
        std::set<std::string> refused;
        std::string n = generateName([&](const std::string& s) {
            bool plain = std::regex_match(s, std::regex("[a-z]+_[a-z]+"));
            if (plain) refused.insert(s);
            return plain;
        });
        INFO(n);
        CHECK(refused.count(n) == 0);
        CHECK_FALSE(std::regex_match(n, std::regex("[a-z]+_[a-z]+")));
        CHECK_NOTHROW(validateName(n));
    }
    SECTION("names vary") {
        std::set<std::string> seen;
        for (int i = 0; i < 50; ++i) seen.insert(generateName([](const std::string&) { return false; }));
        CHECK(seen.size() > 10);
    }
}

TEST_CASE("validateName follows podman's container name rule", "[engine][names]") {
    for (const char* ok : {"a_b.c-1", "a", "Z", "0", "web1", "my.container_name-2", "A-"})
        CHECK_NOTHROW(validateName(ok));
    for (const char* bad : {"", "-x", "_x", ".x", "a/b", "a b", "a:b", "é", "a\n", "/abc"}) {
        INFO("name: " << bad);
        CHECK_THROWS_AS(validateName(bad), InvalidArgument);
    }
    CHECK_THROWS_WITH(validateName("a/b"), Catch::Contains("a/b"));
}
