#include "hutch/engine/launch/healthcheck.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/exec.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

/// podman keeps at most this much of a check's output.
constexpr size_t kMaxOutput = 500;

std::string healthPath(Context& ctx, const std::string& id) { return ctx.store().containerDir(id) + "/healthcheck.json"; }

/// Serializes updates of the health file (the monitor's checks and `healthcheck run`).
fsutil::FileLock lockHealth(Context& ctx, const std::string& id) {
    return fsutil::FileLock(healthPath(ctx, id) + ".lock", fsutil::FileLock::Mode::Exclusive);
}

void saveHealth(Context& ctx, const std::string& id, const HealthState& s) {
    fsutil::writeFileAtomic(healthPath(ctx, id), jsonbytes::dump(nlohmann::json(s.toJson())), 0600,
                            fsutil::Sync::Volatile);
}

/// Runs `cmd` in the container with its output in a pipe; kills it after `timeoutNs`.
/// Returns (exit code, output, timed out).
struct CheckRun {
    int exitCode = 0;
    std::string output;
    bool timedOut = false;
};

CheckRun execCheck(Context& ctx, const std::string& id, const std::vector<std::string>& cmd, int64_t timeoutNs) {
    int p[2];
    checkSys(::pipe2(p, O_CLOEXEC), "pipe");
    UniqueFd r(p[0]), w(p[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork");
    if (pid == 0) {
        ::setpgid(0, 0);
        int nul = ::open("/dev/null", O_RDONLY);
        ::dup2(nul, 0);
        ::dup2(w.get(), 1);
        ::dup2(w.get(), 2);
        int code = 125;
        try {
            ExecRequest req;
            req.container = id;
            req.cmd = cmd;
            code = execInContainer(ctx, req);
        } catch (const CommandError& e) {
            std::string m = std::string(e.what()) + "\n";
            ssize_t n = ::write(2, m.data(), m.size());
            (void)n;
            code = e.exitCode();
        } catch (const std::exception& e) {
            std::string m = std::string(e.what()) + "\n";
            ssize_t n = ::write(2, m.data(), m.size());
            (void)n;
            code = 125;
        }
        std::fflush(nullptr);
        _exit(code);
    }
    w.reset();
    CheckRun out;
    using Clock = std::chrono::steady_clock;
    auto deadline = Clock::now() + std::chrono::nanoseconds(timeoutNs);
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            out.timedOut = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd pf{r.get(), POLLIN, 0};
        int n = ::poll(&pf, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) continue;
        ssize_t got = ::read(r.get(), buf, sizeof buf);
        if (got > 0) {
            out.output.append(buf, static_cast<size_t>(got));
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        break;
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    out.exitCode = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return out;
}

/// A duration as Go prints a time.Duration: "1s", "1m30s", "1h0m0s", "1.5s", "500ms".
std::string goDuration(int64_t ns) {
    if (ns == 0) return "0s";
    if (ns < 1'000'000'000) {
        if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
        if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "µs";
        return std::to_string(ns) + "ns";
    }
    int64_t h = ns / 3'600'000'000'000, m = ns / 60'000'000'000 % 60;
    int64_t sec = ns / 1'000'000'000 % 60, frac = ns % 1'000'000'000;
    std::string s = std::to_string(sec);
    if (frac) {
        std::string f = fmt::format("{:09d}", frac);
        while (f.back() == '0') f.pop_back();
        s += "." + f;
    }
    s += "s";
    if (h) return std::to_string(h) + "h" + std::to_string(m) + "m" + s;
    if (m) return std::to_string(m) + "m" + s;
    return s;
}

}  // namespace

std::optional<HealthConfig> containerHealthcheck(Context& ctx, const ContainerRecord& rec) {
    nlohmann::json image;
    if (rec.config.health.cmd.empty() && !rec.config.health.none) {
        ImageInfo info = imageInfo(ctx, rec.imageId);
        if (info.config.contains("config") && info.config["config"].is_object())
            image = info.config["config"].value("Healthcheck", nlohmann::json());
    }
    return effectiveHealthcheck(rec.config.health, image);
}

HealthState loadHealth(Context& ctx, const std::string& id) {
    try {
        return HealthState::fromJson(jsonbytes::parse(fsutil::readFile(healthPath(ctx, id))));
    } catch (const NotFound&) {
        return HealthState{};
    } catch (const std::exception& e) {
        log::warn("container {}: health state unreadable: {}", id, e.what());
        return HealthState{};
    }
}

void resetHealth(Context& ctx, const std::string& id) {
    auto lock = lockHealth(ctx, id);
    HealthState s = loadHealth(ctx, id);
    s.status = "starting";
    s.failingStreak = 0;
    saveHealth(ctx, id, s);
}

bool runHealthcheck(Context& ctx, const std::string& nameOrId) {
    ContainerRecord rec = loadContainer(ctx, nameOrId);
    if (effectiveStatus(rec) != ContainerStatus::Running) throw Error("container " + rec.id + " is not running");
    auto hc = containerHealthcheck(ctx, rec);
    std::vector<std::string> cmd = hc ? hc->command() : std::vector<std::string>{};
    if (!hc || cmd.empty() || cmd[0].empty()) throw Error("container " + rec.id + " has no defined healthcheck");

    HealthResult res;
    res.start = nowRfc3339();
    auto started = std::chrono::system_clock::now();
    CheckRun run = execCheck(ctx, rec.id, cmd, hc->timeoutNs);
    res.end = nowRfc3339();
    // podman records 1 for any failure (the command's code, or it could not be run) and -1
    // when the check took longer than its timeout.
    res.exitCode = run.timedOut ? -1 : (run.exitCode == 0 ? 0 : 1);
    std::string text = run.output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (text.size() > kMaxOutput) text.resize(kMaxOutput);
    res.output = text;
    bool inStartPeriod = false;
    if (hc->startPeriodNs > 0) {
        auto startedAt = std::chrono::system_clock::from_time_t(static_cast<time_t>(parseRfc3339(rec.startedAt)));
        inStartPeriod = started < startedAt + std::chrono::nanoseconds(hc->startPeriodNs);
    }
    {
        auto lock = lockHealth(ctx, rec.id);
        HealthState s = loadHealth(ctx, rec.id);
        recordHealthResult(s, res, hc->retries, inStartPeriod);
        saveHealth(ctx, rec.id, s);
    }
    // podman records the result, then fails the command (125).
    if (run.timedOut) throw Error("healthcheck command exceeded timeout of " + goDuration(hc->timeoutNs));
    return res.exitCode == 0;
}

}  // namespace hutch::engine
