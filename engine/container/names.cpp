#include "hutch/engine/container/names.hpp"

#include <array>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {
namespace {
constexpr std::array kAdjectives = {"brave",   "calm",   "clever", "eager",  "fancy",  "gentle", "happy",
                                    "jolly",   "keen",   "lucid",  "merry",  "nifty",  "quiet",  "quirky",
                                    "rapid",   "sharp",  "sleepy", "snappy", "sturdy", "sunny",  "swift",
                                    "tender",  "vivid",  "witty",  "zealous", "bold",  "cosmic", "dreamy"};
constexpr std::array kNouns = {"badger", "beaver", "bison",  "crane",  "dolphin", "falcon", "ferret", "gecko",
                               "heron",  "ibis",   "jackal", "koala",  "lemur",   "lynx",   "marten", "narwhal",
                               "otter",  "panda",  "puffin", "quokka", "raven",   "seal",   "stoat",  "tapir",
                               "vole",   "walrus", "wombat", "yak"};

size_t pick(size_t n) {
    std::string h = str::randomHex(4);
    return std::stoul(h, nullptr, 16) % n;
}
}  // namespace

std::string generateName(const std::function<bool(const std::string&)>& taken) {
    for (int i = 0; i < 20; ++i) {
        std::string n = std::string(kAdjectives[pick(kAdjectives.size())]) + "_" + kNouns[pick(kNouns.size())];
        if (i >= 5) n += std::to_string(pick(1000));
        if (!taken(n)) return n;
    }
    return "hutch_" + str::randomHex(6);
}

void validateName(const std::string& name) {
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    bool ok = !name.empty() && alnum(name[0]);
    for (char c : name) ok = ok && (alnum(c) || c == '_' || c == '.' || c == '-');
    if (!ok)
        throw InvalidArgument("invalid container name \"" + name +
                              "\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
}

}  // namespace hutch::engine
