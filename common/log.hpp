// Leveled logging to stderr, podman's --log-level names (debug, info, warn, error).
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace hutch::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

/// Current threshold; messages below it are dropped. Default Warn.
Level level();
void setLevel(Level l);
/// Parses "debug|info|warn|warning|error|fatal|panic|trace"; throws InvalidArgument otherwise.
Level parseLevel(std::string_view name);
/// Writes one line "time=... level=... msg=..." to stderr, as podman does, if enabled.
void write(Level l, std::string_view msg);

template <typename... A>
void debug(fmt::format_string<A...> f, A&&... a) {
    if (level() <= Level::Debug) write(Level::Debug, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void info(fmt::format_string<A...> f, A&&... a) {
    if (level() <= Level::Info) write(Level::Info, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void warn(fmt::format_string<A...> f, A&&... a) {
    if (level() <= Level::Warn) write(Level::Warn, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void error(fmt::format_string<A...> f, A&&... a) {
    write(Level::Error, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace hutch::log
