// common/jsonbytes: record JSON keeps bytes that are not UTF-8; JSON for people never throws.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "hutch/common/jsonbytes.hpp"

using namespace hutch;

TEST_CASE("jsonbytes: strings that are not UTF-8 round-trip through record JSON", "[jsonbytes]") {
    const std::string cafe = "caf\xe9", ff = "\xff", mixed = "ok \xc3\xa9 \xe2\x82 \xf4\x8f\xbf\xbf \xf4\x8f\xbe\x80 end";
    const std::string escapeLike = "\xf4\x8f\xbe\x80\xf4\x8f\xbf\xbf";  // U+10FF80, U+10FFFF: valid UTF-8
    nlohmann::json j = {{"args", {"echo", cafe}},
                        {"env", {"K=" + ff, "E=" + mixed}},
                        {"labels", {{cafe, escapeLike}, {"plain", "caf\xc3\xa9"}}},
                        {"n", 3}};
    CHECK_THROWS(j.dump());  // nlohmann's type_error 316: what hutch ran into
    std::string text = jsonbytes::dump(j, 2);
    CHECK_NOTHROW(nlohmann::json::parse(text).dump());  // valid UTF-8 JSON
    nlohmann::json back = jsonbytes::parse(text);
    CHECK(back == j);
    CHECK(back["args"][1].get<std::string>() == cafe);
    CHECK(back["labels"][cafe].get<std::string>() == escapeLike);
    // Valid text is written as is: records from before read the same.
    nlohmann::json plain = {{"a", "caf\xc3\xa9"}, {"b", {1, 2}}};
    CHECK(jsonbytes::dump(plain) == plain.dump());
    CHECK(jsonbytes::parse(plain.dump()) == plain);
    // Every byte value, alone and after a truncated sequence.
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    all += "\xe2\x82\xf0\x9f\x98\xc0\xaf\xed\xa0\x80";
    CHECK(jsonbytes::unescape(jsonbytes::escape(all)) == all);
    CHECK(jsonbytes::parse(jsonbytes::dump(nlohmann::json{{"s", all}}))["s"].get<std::string>() == all);
    // For people: U+FFFD, never an exception.
    CHECK(jsonbytes::dumpReplacing(nlohmann::json{cafe}) == "[\"caf\xef\xbf\xbd\"]");
    CHECK(jsonbytes::dumpReplacing(nlohmann::ordered_json{{"k", ff}}) == "{\"k\":\"\xef\xbf\xbd\"}");
}
