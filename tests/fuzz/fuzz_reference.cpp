// Image reference grammar (conf/registries_reference): parseReference, parseNormalizedNamed,
// parseNamed, isValidDomain. Also checks that a normalized reference prints as a string that
// parses back to the same reference (what `hutch tag`, image records and pulls rely on).
#include <cstdio>
#include <cstdlib>

#include "fuzz_util.hpp"
#include "hutch/conf/registries_reference.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = fuzz::text(data, size);
    (void)conf::isValidDomain(in);
    fuzz::expectHutchErrors([&] {
        auto r = conf::parseReference(in);
        (void)r.name();
        (void)r.str();
        (void)r.familiarName();
    });
    fuzz::expectHutchErrors([&] { (void)conf::parseNamed(in); });
    conf::ImageReference n;
    try {
        n = conf::parseNormalizedNamed(in);
    } catch (const Error&) {
        return 0;
    }
    (void)n.familiarName();
    std::string s = n.str();
    conf::ImageReference again;
    try {
        again = conf::parseNamed(s);
    } catch (const Error& e) {
        std::fprintf(stderr, "normalized reference \"%s\" does not parse again: %s\n", s.c_str(), e.what());
        std::abort();
    }
    if (!(again == n)) {
        std::fprintf(stderr, "normalized reference \"%s\" parses to \"%s\"\n", s.c_str(), again.str().c_str());
        std::abort();
    }
    return 0;
}
