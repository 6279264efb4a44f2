// Registry data and references of any length are checked without std::regex (whose matcher
// recursed per character: a 30 KB Env entry, a long "created", a 300 KB "urls" entry or a
// 100 KB reference crashed hutch with SIGSEGV), and the linear scanners accept exactly the
// language the regular expressions did (compared on generated short strings).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "hutch/common/error.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/registry/oci_schema.hpp"
#include "hutch/registry/reference.hpp"

using namespace hutch;
using namespace hutch::registry;
using nlohmann::json;
using Catch::Matchers::Contains;

namespace {

const std::string kD1 = "sha256:" + std::string(64, 'a');
const std::string kD2 = "sha256:" + std::string(64, 'b');

json config() {
    return json{{"architecture", "amd64"},
                {"os", "linux"},
                {"config", {{"Env", {"PATH=/bin"}}, {"Labels", json::object()}}},
                {"rootfs", {{"type", "layers"}, {"diff_ids", {kD1}}}}};
}

json manifest() {
    return json{{"schemaVersion", 2},
                {"mediaType", mediatype::kOciManifest},
                {"config", {{"mediaType", mediatype::kOciConfig}, {"digest", kD1}, {"size", 10}}},
                {"layers", {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"digest", kD2}, {"size", 20}}}}};
}

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("image configs with long values validate without recursion", "[oci][long]") {
    auto c = config();
    c["config"]["Env"].push_back("BIG=" + std::string(64 * 1024, 'x'));   // podman takes 64 KB values
    c["config"]["Env"].push_back("MID=" + std::string(30 * 1024, 'y'));
    c["config"]["Labels"]["big"] = std::string(200 * 1024, 'z');
    c["history"] = {{{"created", "2024-01-02T03:04:05." + std::string(30 * 1024, '1') + "Z"}}};
    c["created"] = "2024-01-02T03:04:05." + std::string(100 * 1024, '9') + "+01:00";
    auto ic = parseImageConfig(c.dump());
    REQUIRE(ic.env.size() == 3);
    CHECK(ic.env[1].size() == 4 + 64 * 1024);
    CHECK(ic.labels.at("big").size() == 200 * 1024);

    auto bad = config();
    bad["config"]["Env"].push_back(std::string(30 * 1024, 'x'));  // no "="
    CHECK_THROWS_WITH(parseImageConfig(bad.dump()), Contains("config.config.Env[1]") && Contains("is not KEY=VALUE"));
    bad = config();
    bad["created"] = std::string(100 * 1024, '2');
    CHECK_THROWS_WITH(parseImageConfig(bad.dump()), Contains("config.created"));
}

TEST_CASE("descriptors with a 300 KB url validate without recursion", "[oci][long]") {
    auto m = manifest();
    m["layers"][0]["urls"] = {"https://example.com/" + std::string(300 * 1024, 'a')};
    CHECK(parseManifest(m.dump(), ManifestKind::OciManifest).layers.size() == 1);
    m["layers"][0]["urls"] = {"https://example.com/" + std::string(300 * 1024, 'a') + " x"};
    CHECK_THROWS_WITH(parseManifest(m.dump(), ManifestKind::OciManifest),
                      Contains("manifest.layers[0].urls[0]") && Contains("not an absolute URI"));
}

TEST_CASE("a 100 KB image reference is refused, not a crash", "[reference][long]") {
    const std::string longName(100 * 1024, 'a');
    CHECK_THROWS_WITH(parseNormalizedName(longName), Contains("must not be more than 255 characters"));
    CHECK_THROWS_WITH(conf::parseReference(longName + ":" + std::string(100 * 1024, 'b')),
                      Contains("invalid reference format"));
    std::string many;
    for (int i = 0; i < 30000; ++i) many += "a-b/";
    CHECK_THROWS_WITH(conf::parseReference(many + "x"), Contains("must not be more than 255 characters"));
    CHECK_THROWS_WITH(conf::parseReference(many + "X"), Contains("invalid reference format"));
    CHECK_FALSE(conf::isValidDomain(std::string(100 * 1024, 'a') + ":"));
    CHECK(conf::isValidDomain(std::string(100 * 1024, 'a') + ":5000"));
}

TEST_CASE("manifests with unknown layer media types are refused naming the layer", "[manifest]") {
    for (const char* ok : {"application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+zstd",
                           "application/vnd.docker.image.rootfs.diff.tar.gzip",
                           "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"}) {
        auto m = manifest();
        m["layers"][0]["mediaType"] = ok;
        CHECK_NOTHROW(parseManifest(m.dump(), ManifestKind::OciManifest));
    }
    for (const char* bad : {"application/x-foo", "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
                            "application/vnd.oci.image.config.v1+json"}) {
        auto m = manifest();
        m["layers"][0]["mediaType"] = bad;
        std::string err = errorOf([&] { parseManifest(m.dump(), ManifestKind::OciManifest); });
        INFO(err);
        CHECK(err.find("manifest.layers[0]") != std::string::npos);
        CHECK(err.find(kD2) != std::string::npos);
        CHECK(err.find(std::string("\"") + bad + "\"") != std::string::npos);
    }
}

// The regular expressions the scanners replace (distribution's reference/regexp.go and the
// image-spec formats), used here on short strings only, as the oracle.
namespace {

struct Oracle {
    std::regex reference, anchoredName, domain, uri, dateTime, env;
    Oracle() {
        const std::string alnum = "[a-z0-9]+";
        const std::string sep = "(?:[._]|__|[-]+)";
        const std::string pathComponent = alnum + "(?:" + sep + alnum + ")*";
        const std::string dnc = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        const std::string domainName = dnc + "(?:\\." + dnc + ")*";
        const std::string ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
        const std::string domainAndPort = "(?:" + domainName + "|" + ipv6 + ")(?::[0-9]+)?";
        const std::string tag = "[\\w][\\w.-]{0,127}";
        const std::string digestPat = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
        const std::string remoteName = pathComponent + "(?:/" + pathComponent + ")*";
        const std::string namePat = "(?:" + domainAndPort + "/)?" + remoteName;
        reference = std::regex("^(" + namePat + ")(?::(" + tag + "))?(?:@(" + digestPat + "))?$");
        anchoredName = std::regex("^(?:(" + domainAndPort + ")/)?(" + remoteName + ")$");
        domain = std::regex("^" + domainAndPort + "$");
        uri = std::regex(R"(^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$)");
        dateTime = std::regex(R"(^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+\-]\d{2}:\d{2})$)");
        env = std::regex("^[^=]+=.*$");
    }
};

/// What the old regex-based parseReference returned for `s`: "domain|path|tag|digest" or the
/// error (without the digest checks that follow the grammar, identical in both).
std::string oracleParse(const Oracle& o, const std::string& s) {
    std::smatch m;
    if (!std::regex_match(s, m, o.reference)) {
        if (s.empty()) return "error: empty";
        std::string low = s;
        for (auto& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return std::regex_match(low, o.reference) ? "error: lowercase" : "error: format";
    }
    std::string name = m[1].str();
    if (name.size() > 255) return "error: long";
    std::smatch nm;
    if (!std::regex_match(name, nm, o.anchoredName)) return "error: format";
    return nm[1].str() + "|" + nm[2].str() + "|" + m[2].str() + "|" + m[3].str();
}

std::string scannerParse(const std::string& s) {
    try {
        auto r = conf::parseReference(s);
        return r.domain + "|" + r.path + "|" + r.tag + "|" + r.digest;
    } catch (const InvalidArgument& e) {
        std::string w = e.what();
        if (w.find("at least one component") != std::string::npos) return "error: empty";
        if (w.find("must be lowercase") != std::string::npos) return "error: lowercase";
        if (w.find("255 characters") != std::string::npos) return "error: long";
        if (w.find("digest") != std::string::npos) return "digest-error";
        return "error: format";
    }
}

}  // namespace

TEST_CASE("the reference scanner accepts exactly distribution's regexp language", "[reference]") {
    const Oracle o;
    const std::vector<std::string> pieces = {"a", "b0", "Z", "x", "9", ".", "_", "__", "-", "--", "/", ":", "@", "[",
                                             "]", "::1", "5000", "sha256:" + std::string(64, 'e'), "f", "A:", "ab"};
    std::mt19937 rng(1234);
    int compared = 0;
    for (int n = 0; n < 60000; ++n) {
        std::string s;
        int len = 1 + static_cast<int>(rng() % 7);
        for (int k = 0; k < len; ++k) s += pieces[rng() % pieces.size()];
        std::string want = oracleParse(o, s), got = scannerParse(s);
        if (got == "digest-error") continue;  // the grammar matched; go-digest's checks refused it
        INFO(s);
        REQUIRE(got == want);
        CHECK(conf::isValidDomain(s) == std::regex_match(s, o.domain));
        ++compared;
    }
    CHECK(compared > 50000);
}

TEST_CASE("the uri, date-time and Env scanners accept exactly the schema's regexps", "[oci]") {
    const Oracle o;
    const std::vector<std::string> pieces = {"a", "Z", "1", "0", "+", "-", ".", ":", " ", "\t", "\n", "\r", "=",
                                             "T", "t", "z", "Z", "12", "2024-01-02", "T03:04:05", "+01:00", "\xe9"};
    std::mt19937 rng(99);
    auto probe = [&](const std::string& s, const char* field, const std::regex& re) {
        auto m = manifest();
        auto c = config();
        bool want = std::regex_match(s, re);
        std::string err;
        if (std::string(field) == "urls") {
            m["layers"][0]["urls"] = {s};
            err = errorOf([&] { oci::validate(mediatype::kOciManifest, m.dump(-1, ' ', false, json::error_handler_t::replace)); });
        } else if (std::string(field) == "created") {
            c["created"] = s;
            err = errorOf([&] { oci::validate(mediatype::kOciConfig, c.dump(-1, ' ', false, json::error_handler_t::replace)); });
        } else {
            c["config"]["Env"] = {s};
            err = errorOf([&] { oci::validate(mediatype::kOciConfig, c.dump(-1, ' ', false, json::error_handler_t::replace)); });
        }
        INFO(field << ": \"" << s << "\" " << err);
        CHECK(err.empty() == want);
    };
    for (int n = 0; n < 20000; ++n) {
        std::string s;
        int len = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < len; ++k) s += pieces[rng() % pieces.size()];
        if (s.find('\xe9') != std::string::npos) continue;  // not JSON text
        probe(s, "urls", o.uri);
        probe(s, "created", o.dateTime);
        probe(s, "Env", o.env);
    }
    probe("2024-01-02T03:04:05.5Z", "created", o.dateTime);
    probe("2024-01-02t03:04:05+01:00", "created", o.dateTime);
    probe("2024-01-02T03:04:05.Z", "created", o.dateTime);
}
