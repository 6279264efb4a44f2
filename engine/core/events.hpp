// The events journal, as podman's events_logger="file": every hutch process appends one JSON
// object per event (podman's field names) to <runroot>/events/events.log, and `hutch events`
// reads, filters and follows it. Appends are single O_APPEND write(2) calls under the file's
// lock (<path>.lock), so lines of concurrent processes never interleave and their times
// follow the file's order; the file is cut to its newer half when it would pass its maximum
// size (podman's events_logfile_max_size), with a "system log-rotation" event.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// One event (podman's events.Event).
struct Event {
    std::string type;    ///< container, image, volume, system
    std::string status;  ///< create, start, died, pull, tag, ...
    std::string id, name, image;
    std::map<std::string, std::string> attributes;  ///< container labels, kill's signal
    std::optional<int> exitCode;                    ///< ContainerExitCode (died)
    int64_t timeNano = 0;                           ///< nanoseconds since the epoch
};

/// The journal line's object: ContainerExitCode, ID, Image, Name (each only when set),
/// Status, Time (RFC 3339 with nanoseconds, UTC), Type, Attributes (null when empty, except
/// for container events: {}).
nlohmann::ordered_json eventToJson(const Event& e);
/// The event of a journal line. Throws InvalidArgument when it is not an event object.
Event eventFromJson(const nlohmann::json& j);
/// `ns` since the epoch as Go's RFC3339Nano in UTC ("2026-12-06T14:00:00.1234Z": trailing
/// zeros of the fraction dropped).
std::string formatEventTimeRfc3339(int64_t ns);
/// Go's time.Time String() in local time: "2026-12-06 14:00:00.123456789 +0000 UTC".
std::string formatEventTimeHuman(int64_t ns);
/// Nanoseconds since the epoch of an RFC 3339 time with an optional fraction; nullopt when
/// it is not one.
std::optional<int64_t> parseRfc3339Nano(const std::string& s);

/// The journal's size limit in bytes (podman's events_logfile_max_size default, 1 MB).
inline constexpr uint64_t kEventsLogMaxSize = 1000000;

/// <runroot>/events/events.log.
std::string eventsLogPath(Context& ctx);

/// Appends `e` to the journal at `path` (its directory is made), its time set to now under
/// the lock. When the file plus the line would reach `maxSize` bytes (0 = no limit), the
/// file is first cut to its newer half (whole lines) and a "system log-rotation" event
/// naming `path` is written before `e`. Throws SysError.
void appendEvent(const std::string& path, Event e, uint64_t maxSize = kEventsLogMaxSize);

/// Records an event in ctx's journal. Never throws: a failure is logged as a warning.
void recordEvent(Context& ctx, const std::string& type, const std::string& status, const std::string& id,
                 const std::string& name, const std::string& image,
                 const std::map<std::string, std::string>& attributes = {},
                 std::optional<int> exitCode = std::nullopt) noexcept;

/// `events` filters, as podman combines them: the same key ORed, different keys ANDed;
/// since/until exclusive.
struct EventQuery {
    std::map<std::string, std::vector<std::string>> filters;  ///< key (lower case) -> values
    std::optional<int64_t> since, until;                      ///< nanoseconds since the epoch

    /// From `--filter K=V` strings and --since/--until ("" = none; see parseEventTimeInput),
    /// `nowNano` for durations. Throws InvalidArgument for a filter without '=' or an
    /// unknown key (container, image, volume, event/status, type, label) or a bad time.
    static EventQuery parse(const std::vector<std::string>& filters, const std::string& since,
                            const std::string& until, int64_t nowNano);
    bool matches(const Event& e) const;
};

/// A --since/--until value as podman reads it: RFC 3339 (with or without a fraction or a
/// zone: UTC), a date ("2026-12-06", UTC), Unix seconds ("1700000000.5"), or a Go duration
/// ("5m", "1h30s") before (since) or after (until) `nowNano`. Throws InvalidArgument.
int64_t parseEventTimeInput(const std::string& value, bool since, int64_t nowNano);

/// Reads the journal at `path` and calls `emit` for each event `q` matches, in order. From
/// the start of the file unless `stream` without since/until (then only new events). Without
/// `stream` it returns at the end of the file; with it, it follows the file (across
/// rotations, without repeating events) until q.until passes, or forever. Lines that are not
/// events are skipped with a warning. Throws SysError when the file cannot be read.
void readEvents(const std::string& path, const EventQuery& q, bool stream,
                const std::function<void(const Event&)>& emit);

}  // namespace hutch::engine
