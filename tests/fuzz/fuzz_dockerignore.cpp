// .dockerignore / .containerignore matcher (builder/dockerignore). Input: the ignore file,
// then a NUL byte, then paths to test, one a line.
#include "fuzz_util.hpp"
#include "hutch/builder/dockerignore.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = fuzz::text(data, size);
    size_t nul = in.find('\0');
    auto patterns = in.substr(0, nul);
    std::vector<std::string> paths = {"a", "a/b", "a/b/c.txt", ".git/config", "Dockerfile", "x/../y"};
    if (nul != std::string_view::npos) paths = fuzz::split(in.substr(nul + 1), '\n');
    builder::DockerIgnore ig;
    try {
        ig = builder::DockerIgnore::parse(patterns, ".dockerignore");
    } catch (const Error&) {
        return 0;
    }
    (void)ig.hasExceptions();
    for (const auto& p : paths) {
        (void)ig.excluded(p);
        (void)builder::cleanPath(p);
    }
    return 0;
}
