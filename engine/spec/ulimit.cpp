#include "hutch/engine/spec/ulimit.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "hutch/common/error.hpp"

namespace hutch::engine {

namespace {

constexpr const char* kTypes[] = {"core",   "cpu",  "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
                                  "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"};

uint64_t parseLimit(const std::string& spec, const std::string& v) {
    auto bad = [&](const std::string& why) {
        return InvalidArgument("--ulimit \"" + spec + "\": " + why + " (expected TYPE=SOFT[:HARD], -1 for unlimited)");
    };
    if (v == "-1") return std::numeric_limits<uint64_t>::max();
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size()) throw bad("\"" + v + "\" is not a number");
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) throw bad("\"" + v + "\" is out of range");
    return n;
}

}  // namespace

Ulimit parseUlimit(const std::string& spec) {
    auto eq = spec.find('=');
    if (eq == std::string::npos)
        throw InvalidArgument("--ulimit \"" + spec + "\": expected TYPE=SOFT[:HARD]");
    const std::string type = spec.substr(0, eq), value = spec.substr(eq + 1);
    if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes))
        throw InvalidArgument("--ulimit \"" + spec + "\": invalid ulimit type \"" + type +
                              "\" (core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, "
                              "rtprio, rttime, sigpending, stack)");
    auto colon = value.find(':');
    Ulimit u;
    u.type = "RLIMIT_" + type;
    std::transform(u.type.begin(), u.type.end(), u.type.begin(), [](unsigned char c) { return std::toupper(c); });
    u.soft = parseLimit(spec, value.substr(0, colon));
    u.hard = colon == std::string::npos ? u.soft : parseLimit(spec, value.substr(colon + 1));
    if (u.soft > u.hard)
        throw InvalidArgument("--ulimit \"" + spec + "\": the soft limit must not be above the hard limit");
    return u;
}

}  // namespace hutch::engine
