#include "hutch/engine/spec/ulimit.hpp"

#include <sys/resource.h>

#include <cctype>
#include <map>
#include <optional>

#include "hutch/common/error.hpp"

namespace hutch::engine {

namespace {

/// A decimal integer (optional sign) or nullopt.
std::optional<int64_t> parseInt(const std::string& s) {
    if (s.empty()) return std::nullopt;
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (i == s.size()) return std::nullopt;
    for (size_t k = i; k < s.size(); ++k)
        if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
    try {
        return std::stoll(s);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

Ulimit parseUlimit(const std::string& flag) {
    static const std::map<std::string, std::string> kTypes = {
        {"as", "RLIMIT_AS"},         {"core", "RLIMIT_CORE"},         {"cpu", "RLIMIT_CPU"},
        {"data", "RLIMIT_DATA"},     {"fsize", "RLIMIT_FSIZE"},       {"locks", "RLIMIT_LOCKS"},
        {"memlock", "RLIMIT_MEMLOCK"}, {"msgqueue", "RLIMIT_MSGQUEUE"}, {"nice", "RLIMIT_NICE"},
        {"nofile", "RLIMIT_NOFILE"}, {"nproc", "RLIMIT_NPROC"},       {"rss", "RLIMIT_RSS"},
        {"rtprio", "RLIMIT_RTPRIO"}, {"rttime", "RLIMIT_RTTIME"},     {"sigpending", "RLIMIT_SIGPENDING"},
        {"stack", "RLIMIT_STACK"},
    };
    auto fail = [&](const std::string& why) -> Ulimit {
        throw InvalidArgument("ulimit option \"" + flag + "\" requires name=SOFT:HARD, failed to be parsed: " + why);
    };
    auto eq = flag.find('=');
    if (eq == std::string::npos) return fail("invalid ulimit argument: " + flag);
    std::string name = flag.substr(0, eq), value = flag.substr(eq + 1);
    auto t = kTypes.find(name);
    if (t == kTypes.end()) return fail("invalid ulimit type: " + name);
    auto colon = value.find(':');
    std::string softS = value.substr(0, colon), hardS = colon == std::string::npos ? softS : value.substr(colon + 1);
    if (colon != std::string::npos && hardS.find(':') != std::string::npos)
        return fail("too many limit value arguments - " + value + ", can only have up to two, `soft[:hard]`");
    auto soft = parseInt(softS), hard = parseInt(hardS);
    if (!soft) return fail("strconv.ParseInt: parsing \"" + softS + "\": invalid syntax");
    if (!hard) return fail("strconv.ParseInt: parsing \"" + hardS + "\": invalid syntax");
    auto toRlim = [](int64_t v) { return v < 0 ? static_cast<uint64_t>(RLIM_INFINITY) : static_cast<uint64_t>(v); };
    if (*soft < -1 || *hard < -1) return fail("ulimit values must be -1 (unlimited) or non-negative");
    if (toRlim(*soft) > toRlim(*hard))
        return fail("ulimit soft limit must be less than or equal to hard limit: " + softS + " > " + hardS);
    return Ulimit{t->second, toRlim(*soft), toRlim(*hard)};
}

}  // namespace hutch::engine
