#include "hutch/engine/launch/lifecycle.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <thread>

#include "hutch/builder/instructions.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/engine/container/container_events.hpp"
#include "hutch/engine/launch/monitor.hpp"
#include "hutch/engine/spec/signals.hpp"
#include "hutch/runtime/session.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

using Clock = std::chrono::steady_clock;

bool alive(const ContainerRecord& r) { return effectiveStatus(r) == ContainerStatus::Running; }

/// Waits until the record says exited (the monitor writes it); if the process is gone and
/// the monitor did not record it within a grace period (monitor killed), records it here.
ContainerRecord awaitExited(Context& ctx, const std::string& id, std::optional<Clock::time_point> deadline) {
    auto goneSince = std::optional<Clock::time_point>();
    for (;;) {
        auto c = ctx.store().lookupContainer(id);
        if (!c) throw NotFound("no container with name or ID \"" + id + "\" found: no such container");
        ContainerRecord raw = ContainerRecord::fromJson(jsonbytes::parse(c->metadata));
        if (raw.status != ContainerStatus::Running) return raw;
        if (!alive(raw)) {
            if (!goneSince) goneSince = Clock::now();
            if (Clock::now() - *goneSince > std::chrono::seconds(2)) {
                raw.status = ContainerStatus::Exited;
                raw.pid = 0;
                raw.finishedAt = nowRfc3339();
                saveContainer(ctx, raw);
                return raw;
            }
        }
        if (deadline && Clock::now() > *deadline) return raw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

/// A container stopped or killed through hutch is not restarted by its --restart policy
/// (the monitor reads this after the exit; also when it is between two runs).
void markStoppedByUser(Context& ctx, ContainerRecord& rec) {
    const std::string& policy = rec.config.restart.name;
    if (policy.empty() || policy == "no" || rec.stoppedByUser) return;
    if (rec.status == ContainerStatus::Created) return;
    rec.stoppedByUser = true;
    // Only the flag changes: the stored record, not the effective one read for the verb.
    auto c = ctx.store().lookupContainer(rec.id);
    if (!c) return;
    ContainerRecord raw = ContainerRecord::fromJson(jsonbytes::parse(c->metadata));
    raw.stoppedByUser = true;
    saveContainer(ctx, raw);
}

}  // namespace

bool startContainer(Context& ctx, const std::string& nameOrId) {
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (alive(rec)) return false;
    rec.status = ContainerStatus::Created;
    if (rec.stoppedByUser || rec.restartCount != 0) {  // a start by the user begins the policy anew
        rec.stoppedByUser = false;
        rec.restartCount = 0;
        saveContainer(ctx, rec);
    }
    startDetached(ctx, rec);
    return true;
}

void stopContainer(Context& ctx, const std::string& nameOrId, std::optional<int> timeout) {
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    markStoppedByUser(ctx, rec);
    if (!alive(rec)) return;
    int sig = rec.stopSignal.empty() ? SIGTERM : parseSignal(rec.stopSignal);
    int secs = timeout.value_or(rec.stopTimeout);
    if (secs > 0) {
        ::kill(rec.pid, sig);
        auto deadline = Clock::now() + std::chrono::seconds(secs);
        while (Clock::now() < deadline && processStartTime(rec.pid) == rec.pidStartTime)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (secs <= 0) {
        ::kill(rec.pid, SIGKILL);  // -t 0 asks for SIGKILL at once, without a warning (as podman)
    } else if (processStartTime(rec.pid) == rec.pidStartTime) {
        log::warn("StopSignal {} failed to stop container {} in {} seconds, resorting to SIGKILL",
                  rec.stopSignal.empty() ? "SIGTERM" : rec.stopSignal, rec.name, secs);
        // Killing the init of a pid namespace kills every process in it.
        ::kill(rec.pid, SIGKILL);
    }
    try {
        awaitExited(ctx, rec.id, std::nullopt);
    } catch (const NotFound&) {
        // It stopped and was removed meanwhile (--rm, or an rm -f racing us): stopped.
    }
    recordContainerEvent(ctx, rec, "stop");
}

void killContainer(Context& ctx, const std::string& nameOrId, const std::string& signal) {
    int sig = parseSignal(signal);
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (!alive(rec))
        throw Error("can only kill running containers. " + rec.id + " is in state " +
                    statusName(effectiveStatus(rec)) + ": container state improper");
    markStoppedByUser(ctx, rec);
    if (::kill(rec.pid, sig) != 0) throw SysError(errno, "kill container " + rec.id);
    recordContainerEvent(ctx, rec, "kill", {{"signal", std::to_string(sig)}});
}

int waitContainer(Context& ctx, const std::string& nameOrId) {
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (rec.status == ContainerStatus::Created) {
        // podman waits for a created container to run and exit; it usually was just started.
    }
    ContainerRecord done = awaitExited(ctx, rec.id, std::nullopt);
    return done.exitCode;
}

std::chrono::milliseconds parseWaitInterval(const std::string& s) {
    int64_t ns = 0;
    try {
        ns = builder::parseGoDuration(s);
    } catch (const InvalidArgument& first) {
        try {
            ns = builder::parseGoDuration(s + "ms");
        } catch (const InvalidArgument&) {
            throw first;
        }
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
}

void checkWaitConditions(const std::vector<std::string>& conditions) {
    static const char* const known[] = {"unknown", "created", "initialized", "running", "stopped",
                                        "paused",  "exited",  "removing"};
    for (const auto& c : conditions)
        if (std::find(std::begin(known), std::end(known), c) == std::end(known))
            throw InvalidArgument("unknown container state: " + c + ": invalid argument");
}

int waitContainerCondition(Context& ctx, const std::string& nameOrId, const std::vector<std::string>& conditions,
                           std::chrono::milliseconds interval) {
    checkWaitConditions(conditions);
    bool forExit = conditions.empty();
    bool forCreated = false, forRunning = false;
    for (const auto& c : conditions) {
        forExit = forExit || c == "stopped" || c == "exited";
        forCreated = forCreated || c == "created";
        forRunning = forRunning || c == "running";
    }
    std::string id = loadContainer(ctx, nameOrId).id;
    if (interval <= std::chrono::milliseconds(0)) interval = std::chrono::milliseconds(1);
    for (;;) {
        ContainerRecord rec = loadContainer(ctx, id);
        if ((forCreated && rec.status == ContainerStatus::Created) ||
            (forRunning && rec.status == ContainerStatus::Running))
            return -1;
        if (forExit) {
            // The exit is watched closely (awaitExited's pace), the other states each interval.
            bool others = forCreated || forRunning;
            ContainerRecord raw = awaitExited(ctx, id, others ? std::optional(Clock::now() + interval) : std::nullopt);
            if (raw.status != ContainerStatus::Running) return raw.exitCode;
        } else {
            std::this_thread::sleep_for(interval);
        }
    }
}

void printLogs(Context& ctx, const std::string& nameOrId, const LogOptions& opts) {
    const bool follow = opts.follow;
    const int tail = opts.tail;
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (rec.config.logDriver == "none")
        throw Error("this container is using the 'none' log driver, cannot read logs: this container is not logging output");
    std::string path = logPath(ctx, rec);
    std::string text;
    try {
        text = fsutil::readFile(path);
    } catch (const NotFound&) {
    }
    auto emit = [&opts](const std::string& line) {
        // "TIMESTAMP STREAM TAG TEXT"
        auto a = line.find(' ');
        auto b = a == std::string::npos ? a : line.find(' ', a + 1);
        auto c = b == std::string::npos ? b : line.find(' ', b + 1);
        if (c == std::string::npos) return;
        if (opts.sinceNs || opts.untilNs) {
            auto ts = parseRfc3339Nano(line.substr(0, a));
            if (ts && opts.sinceNs && *ts < *opts.sinceNs) return;
            if (ts && opts.untilNs && *ts > *opts.untilNs) return;
        }
        std::string stream = line.substr(a + 1, b - a - 1), tag = line.substr(b + 1, c - b - 1);
        std::string msg = (opts.timestamps ? line.substr(0, a) + " " : "") + line.substr(c + 1) + (tag == "P" ? "" : "\n");
        int fd = stream == "stderr" ? 2 : 1;
        ssize_t rc = ::write(fd, msg.data(), msg.size());
        (void)rc;
    };
    std::vector<std::string> lines = str::split(text, '\n');
    size_t consumed = text.size();
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    size_t first = (tail >= 0 && lines.size() > static_cast<size_t>(tail)) ? lines.size() - static_cast<size_t>(tail) : 0;
    for (size_t i = first; i < lines.size(); ++i) emit(lines[i]);
    if (!follow) return;
    std::string pending;
    for (;;) {
        bool running = alive(loadContainer(ctx, rec.id));
        std::string now;
        try {
            now = fsutil::readFile(path);
        } catch (const NotFound&) {
        }
        if (now.size() > consumed) {
            pending += now.substr(consumed);
            consumed = now.size();
            size_t nl;
            while ((nl = pending.find('\n')) != std::string::npos) {
                emit(pending.substr(0, nl));
                pending.erase(0, nl + 1);
            }
        }
        if (!running) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::vector<std::string> systemMigrate(Context& ctx) {
    std::vector<std::string> stopped;
    for (const auto& c : listContainers(ctx)) {
        if (!alive(c)) continue;
        stopContainer(ctx, c.id, std::nullopt);
        stopped.push_back(c.name);
    }
    if (runtime::stopRootlessSession()) log::debug("system migrate: the rootless session was ended");
    return stopped;
}

}  // namespace hutch::engine
