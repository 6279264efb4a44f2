#include "hutch/engine/core/events.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <fmt/format.h>

#include "hutch/builder/instructions.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

namespace {

int64_t nowNano() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// ".123" for 123000000 ns; "" for 0 (Go's .999999999 layout).
std::string fraction(int64_t nanos) {
    if (nanos == 0) return "";
    std::string f = fmt::format(".{:09d}", nanos);
    while (f.back() == '0') f.pop_back();
    return f;
}

void splitNano(int64_t ns, time_t& secs, int64_t& nanos) {
    secs = static_cast<time_t>(ns / 1000000000);
    nanos = ns % 1000000000;
    if (nanos < 0) {
        nanos += 1000000000;
        --secs;
    }
}

/// Reads `n` digits at s[i]; false when they are not there.
bool digits(const std::string& s, size_t& i, size_t n, int& out) {
    if (i + n > s.size()) return false;
    out = 0;
    for (size_t k = 0; k < n; ++k) {
        if (!std::isdigit(static_cast<unsigned char>(s[i + k]))) return false;
        out = out * 10 + (s[i + k] - '0');
    }
    i += n;
    return true;
}

/// "YYYY-MM-DD" then optional "THH:MM:SS[.frac]" (required when `needTime`) then an optional
/// zone ("Z", "+HH:MM"; none = UTC), the whole string.
std::optional<int64_t> parseDateTime(const std::string& s, bool needTime) {
    size_t i = 0;
    tm t{};
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (!digits(s, i, 4, y) || i >= s.size() || s[i++] != '-' || !digits(s, i, 2, mo) || i >= s.size() ||
        s[i++] != '-' || !digits(s, i, 2, d))
        return std::nullopt;
    int64_t nanos = 0;
    if (i < s.size() && (s[i] == 'T' || s[i] == 't')) {
        ++i;
        if (!digits(s, i, 2, h) || i >= s.size() || s[i++] != ':' || !digits(s, i, 2, mi) || i >= s.size() ||
            s[i++] != ':' || !digits(s, i, 2, se))
            return std::nullopt;
        if (i < s.size() && s[i] == '.') {
            ++i;
            size_t start = i;
            int64_t scale = 100000000;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
                nanos += (s[i] - '0') * scale;
                scale /= 10;
                ++i;
            }
            if (i == start) return std::nullopt;
        }
    } else if (needTime) {
        return std::nullopt;
    }
    int64_t offset = 0;
    if (i < s.size()) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
            ++i;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i++] == '-' ? -1 : 1;
            int oh, om;
            if (!digits(s, i, 2, oh) || i >= s.size() || s[i++] != ':' || !digits(s, i, 2, om) || i != s.size())
                return std::nullopt;
            offset = sign * (oh * 3600 + om * 60);
        } else {
            return std::nullopt;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
    t.tm_year = y - 1900;
    t.tm_mon = mo - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    t.tm_sec = se;
    int64_t secs = static_cast<int64_t>(timegm(&t)) - offset;
    return secs * 1000000000 + nanos;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

nlohmann::ordered_json eventToJson(const Event& e) {
    nlohmann::ordered_json j;
    if (e.exitCode && *e.exitCode != 0) j["ContainerExitCode"] = *e.exitCode;
    if (!e.id.empty()) j["ID"] = e.id;
    if (!e.image.empty()) j["Image"] = e.image;
    if (!e.name.empty()) j["Name"] = e.name;
    j["Status"] = e.status;
    j["Time"] = formatEventTimeRfc3339(e.timeNano);
    j["Type"] = e.type;
    if (e.attributes.empty() && e.type != "container")
        j["Attributes"] = nullptr;
    else
        j["Attributes"] = e.attributes;
    return j;
}

Event eventFromJson(const json& j) {
    if (!j.is_object() || !j.contains("Type") || !j["Type"].is_string() || !j.contains("Status") ||
        !j["Status"].is_string())
        throw InvalidArgument("not an event: " + j.dump());
    auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    Event e;
    e.type = str("Type");
    e.status = str("Status");
    e.id = str("ID");
    e.name = str("Name");
    e.image = str("Image");
    if (j.contains("ContainerExitCode") && j["ContainerExitCode"].is_number_integer())
        e.exitCode = j["ContainerExitCode"].get<int>();
    if (j.contains("Attributes") && j["Attributes"].is_object())
        for (const auto& [k, v] : j["Attributes"].items())
            if (v.is_string()) e.attributes[k] = v.get<std::string>();
    auto t = parseRfc3339Nano(str("Time"));
    if (!t) throw InvalidArgument("event without a valid Time: " + j.dump());
    e.timeNano = *t;
    return e;
}

std::string formatEventTimeRfc3339(int64_t ns) {
    time_t secs;
    int64_t nanos;
    splitNano(ns, secs, nanos);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    return std::string(buf) + fraction(nanos) + "Z";
}

std::string formatEventTimeHuman(int64_t ns) {
    time_t secs;
    int64_t nanos;
    splitNano(ns, secs, nanos);
    tm t{};
    localtime_r(&secs, &t);
    char date[32], zone[32];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &t);
    strftime(zone, sizeof zone, "%z %Z", &t);
    return std::string(date) + fraction(nanos) + " " + zone;
}

std::optional<int64_t> parseRfc3339Nano(const std::string& s) { return parseDateTime(s, true); }

std::string eventsLogPath(Context& ctx) { return fsutil::join(ctx.store().runRoot(), "events/events.log"); }

namespace {

void writeAll(int fd, const std::string& data, const std::string& path) {
    // One write(2): with O_APPEND the line lands whole at the end of the file.
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) throw SysError(errno, "write " + path);
    if (static_cast<size_t>(n) != data.size()) throw Error("write " + path + ": short write");
}

/// Keeps the newer half of the file at `path` (from the first line starting after its middle).
void cutToNewerHalf(const std::string& path) {
    std::string text = fsutil::readFile(path);
    size_t from = text.find('\n', text.size() / 2);
    from = from == std::string::npos ? text.size() : from + 1;
    fsutil::writeFileAtomic(path, std::string_view(text).substr(from), 0600);
}

}  // namespace

void appendEvent(const std::string& path, Event e, uint64_t maxSize) {
    std::string dir = path.substr(0, path.rfind('/'));
    if (!dir.empty()) fsutil::mkdirAll(dir, 0700);
    fsutil::FileLock lock(path + ".lock", fsutil::FileLock::Mode::Exclusive);
    // The time is taken under the lock: the file's order is the events' order, which lets a
    // follower skip, after a rotation, what it has read already.
    e.timeNano = nowNano();
    std::string line = eventToJson(e).dump() + "\n";
    std::string rotation;
    struct stat st {};
    if (maxSize > 0 && ::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) + line.size() >= maxSize) {
        cutToNewerHalf(path);
        Event r;
        r.type = "system";
        r.status = "log-rotation";
        r.name = path;
        r.timeNano = e.timeNano;
        rotation = eventToJson(r).dump() + "\n";
        // Strictly after the rotation: a follower skips what is not newer than it has read.
        e.timeNano = std::max(nowNano(), r.timeNano + 1);
        line = eventToJson(e).dump() + "\n";
    }
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw SysError(errno, "open " + path);
    writeAll(fd.get(), rotation + line, path);
}

void recordEvent(Context& ctx, const std::string& type, const std::string& status, const std::string& id,
                 const std::string& name, const std::string& image, const std::map<std::string, std::string>& attributes,
                 std::optional<int> exitCode) noexcept {
    try {
        Event e;
        e.type = type;
        e.status = status;
        e.id = id;
        e.name = name;
        e.image = image;
        e.attributes = attributes;
        e.exitCode = exitCode;
        appendEvent(eventsLogPath(ctx), std::move(e));
    } catch (const std::exception& ex) {
        log::warn("recording the {} {} event of {}: {}", type, status, name.empty() ? id : name, ex.what());
    }
}

int64_t parseEventTimeInput(const std::string& value, bool since, int64_t now) {
    if (auto t = parseDateTime(value, false)) return *t;
    if (!value.empty() && value.find_first_not_of("0123456789.") == std::string::npos &&
        std::count(value.begin(), value.end(), '.') <= 1 && value != ".") {
        long double v = std::stold(value);
        return static_cast<int64_t>(std::floor(v)) * 1000000000 +
               static_cast<int64_t>(std::llround((v - std::floor(v)) * 1e9L));
    }
    std::optional<int64_t> d;
    try {
        d = builder::parseGoDuration(value);
    } catch (const InvalidArgument&) {
        // not a duration either: the error below
    }
    if (d) return since ? now - *d : now + *d;
    throw InvalidArgument("unable to convert " + std::string(since ? "since" : "until") + " time of " + value +
                          ": unable to interpret time value");
}

EventQuery EventQuery::parse(const std::vector<std::string>& filters, const std::string& since,
                             const std::string& until, int64_t now) {
    static const std::vector<std::string> kKeys = {"container", "event", "status", "image",
                                                   "volume",    "pod",   "type",   "label"};
    EventQuery q;
    for (const auto& f : filters) {
        bool found = false;
        auto [k, v] = str::cut(f, '=', &found);
        if (!found) throw InvalidArgument("failed to parse event filters: " + f + " is an invalid filter");
        std::string key = lower(k);
        if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
            throw InvalidArgument("failed to parse event filters: " + k + " is an invalid filter");
        q.filters[key].push_back(v);
    }
    if (!since.empty()) q.since = parseEventTimeInput(since, true, now);
    if (!until.empty()) q.until = parseEventTimeInput(until, false, now);
    return q;
}

namespace {
bool matchOne(const std::string& key, const std::string& v, const Event& e) {
    auto nameOrId = [&](const char* type) {
        return e.type == type && (e.name == v || (!v.empty() && e.id.rfind(v, 0) == 0));
    };
    if (key == "container") return nameOrId("container");
    if (key == "image") return nameOrId("image");
    if (key == "volume") return nameOrId("volume");
    if (key == "pod") return nameOrId("pod");
    if (key == "event" || key == "status") return e.status == v || (v == "die" && e.status == "died");
    if (key == "type") return e.type == v;
    if (key == "label") {
        bool hasValue = false;
        auto [lk, lv] = str::cut(v, '=', &hasValue);
        auto it = e.attributes.find(lk);
        return it != e.attributes.end() && (!hasValue || it->second == lv);
    }
    return false;
}
}  // namespace

bool EventQuery::matches(const Event& e) const {
    if (since && e.timeNano <= *since) return false;
    if (until && e.timeNano >= *until) return false;
    for (const auto& [key, values] : filters)
        if (std::none_of(values.begin(), values.end(), [&](const std::string& v) { return matchOne(key, v, e); }))
            return false;
    return true;
}

void readEvents(const std::string& path, const EventQuery& q, bool stream,
                const std::function<void(const Event&)>& emit) {
    const std::string dir = path.substr(0, path.rfind('/'));
    if (stream) {
        // Made now (as podman does) so that there is something to follow.
        fsutil::mkdirAll(dir, 0700);
        UniqueFd made(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600));
    }
    auto open = [&]() {
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd && errno != ENOENT) throw SysError(errno, "open " + path);
        return fd;
    };
    UniqueFd fd = open();
    if (!fd && !stream) return;
    int64_t lastRead = INT64_MIN;  // the newest event read (file order is time order)
    if (fd && stream && !q.since && !q.until) {
        lastRead = nowNano();  // what is in the file now is not shown, even after a rotation
        ::lseek(fd.get(), 0, SEEK_END);
    }

    UniqueFd watch;
    if (stream) {
        watch.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        if (watch) ::inotify_add_watch(watch.get(), dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
    }

    std::string pending;
    bool rotated = false;  // reading a new file whose start repeats what was read
    auto drain = [&]() {
        if (!fd) return;
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SysError(errno, "read " + path);
            if (n == 0) break;
            pending.append(buf, static_cast<size_t>(n));
        }
        size_t start = 0, nl;
        while ((nl = pending.find('\n', start)) != std::string::npos) {
            std::string line = pending.substr(start, nl - start);
            start = nl + 1;
            if (str::trim(line).empty()) continue;
            Event e;
            try {
                e = eventFromJson(json::parse(line));
            } catch (const std::exception& ex) {
                log::warn("{}: skipping a line that is not an event: {}", path, ex.what());
                continue;
            }
            if (rotated && e.timeNano <= lastRead) continue;
            lastRead = std::max(lastRead, e.timeNano);
            if (q.matches(e)) emit(e);
        }
        pending.erase(0, start);
    };

    for (;;) {
        drain();
        if (!stream) return;
        int64_t now = nowNano();
        if (q.until && now >= *q.until) return;
        struct stat onDisk {}, ours {};
        bool replaced = ::stat(path.c_str(), &onDisk) == 0 &&
                        (!fd || (::fstat(fd.get(), &ours) == 0 && (onDisk.st_ino != ours.st_ino || onDisk.st_dev != ours.st_dev)));
        if (replaced) {
            drain();  // what was appended to the old file before it was replaced
            fd = open();
            pending.clear();
            rotated = true;
            continue;
        }
        int64_t waitMs = 1000;
        if (q.until) waitMs = std::min<int64_t>(waitMs, (*q.until - now) / 1000000 + 1);
        if (watch) {
            pollfd p{watch.get(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(waitMs)) > 0) {
                char ev[4096];
                while (::read(watch.get(), ev, sizeof ev) > 0) {
                }
            }
        } else {
            ::usleep(static_cast<useconds_t>(std::min<int64_t>(waitMs, 100) * 1000));
        }
    }
}

}  // namespace hutch::engine
