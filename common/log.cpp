#include "hutch/common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>

#include "hutch/common/error.hpp"

namespace hutch::log {
namespace {
std::atomic<Level> g_level{Level::Warn};
}

Level level() { return g_level.load(std::memory_order_relaxed); }
void setLevel(Level l) { g_level.store(l, std::memory_order_relaxed); }

Level parseLevel(std::string_view n) {
    if (n == "debug" || n == "trace") return Level::Debug;
    if (n == "info") return Level::Info;
    if (n == "warn" || n == "warning") return Level::Warn;
    if (n == "error" || n == "fatal" || n == "panic") return Level::Error;
    throw InvalidArgument("invalid --log-level \"" + std::string(n) +
                          "\": must be one of debug, info, warn, error, fatal, panic, trace");
}

void write(Level l, std::string_view msg) {
    static const char* names[] = {"debug", "info", "warning", "error"};
    char ts[40];
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm t{};
    localtime_r(&now.tv_sec, &t);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &t);
    std::string line = fmt::format("time=\"{}.{:03d}\" level={} msg=\"{}\"\n", ts,
                                   static_cast<int>(now.tv_nsec / 1000000),
                                   names[static_cast<int>(l)], msg);
    // One write(2) so lines from several processes do not interleave.
    ssize_t rc = ::write(2, line.data(), line.size());
    (void)rc;
}

}  // namespace hutch::log
