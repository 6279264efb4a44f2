// Go text/template subset (common/gotemplate*): parse the input as a --format template and
// execute it against a fixed inspect-like document.
#include "fuzz_util.hpp"
#include "hutch/common/gotemplate.hpp"

using namespace hutch;

namespace {
const gotemplate::Json& document() {
    static const gotemplate::Json doc = gotemplate::Json::parse(R"({
      "Id": "0123456789abcdef", "Names": ["web", "db"], "Size": 1048576, "Ratio": 0.25,
      "Created": 1700000000, "Running": true, "Nothing": null,
      "Labels": {"a": "1", "b.c": "two"},
      "Config": {"Env": ["A=1", "B=2"], "Cmd": ["sh", "-c", "echo hi"], "Labels": {}},
      "Mounts": [{"Type": "bind", "Source": "/x", "Destination": "/y", "RW": false}],
      "Nested": {"Deep": {"Deeper": [1, 2.5, "s", [true, false], {"k": "v"}]}}
    })");
    return doc;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    (void)document();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(fuzz::text(data, size));
    gotemplate::Template t;
    try {
        t = gotemplate::Template::parse("fuzz", text);
    } catch (const Error&) {
        return 0;
    }
    fuzz::expectHutchErrors([&] { (void)t.execute(document()); });
    fuzz::expectHutchErrors([&] { (void)t.execute(gotemplate::Json::array({1, "x", nullptr})); });
    return 0;
}
