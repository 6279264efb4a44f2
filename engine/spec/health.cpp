#include "hutch/engine/spec/health.hpp"

#include <cctype>
#include <charconv>
#include <sstream>

#include "hutch/builder/instructions.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {

using nlohmann::json;

RestartPolicy parseRestartPolicy(const std::string& value) {
    RestartPolicy p;
    auto parts = str::split(value, ':');
    if (parts.size() > 2) throw InvalidArgument("invalid restart policy: may specify retries at most once");
    p.name = parts.empty() ? "" : parts[0];
    if (parts.size() == 2) {
        if (p.name != "on-failure")
            throw InvalidArgument("restart policy retries can only be specified with on-failure restart policy");
        const std::string& n = parts[1];
        int v = 0;
        auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
        if (ec != std::errc() || end != n.data() + n.size() || n.empty())
            throw InvalidArgument("parsing restart policy retry count: strconv.Atoi: parsing \"" + n +
                                  "\": invalid syntax");
        if (v < 0) throw InvalidArgument("must specify restart policy retry count as a number greater than 0");
        p.retries = static_cast<unsigned>(v);
    }
    if (p.name != "" && p.name != "no" && p.name != "on-failure" && p.name != "always" && p.name != "unless-stopped")
        throw InvalidArgument("running container create option: \"" + p.name +
                              "\" is not a valid restart policy: invalid argument");
    return p;
}

bool shouldRestart(const RestartPolicy& p, int exitCode, unsigned restartsSoFar, bool stoppedByUser) {
    if (stoppedByUser) return false;
    if (p.name == "always" || p.name == "unless-stopped") return true;
    if (p.name == "on-failure") return exitCode != 0 && (p.retries == 0 || restartsSoFar < p.retries);
    return false;
}

std::vector<std::string> HealthConfig::command() const {
    if (test.empty()) return {};
    if (test[0] == "CMD-SHELL") {
        std::string line;
        for (size_t i = 1; i < test.size(); ++i) line += (i > 1 ? " " : "") + test[i];
        return {"/bin/sh", "-c", line};
    }
    if (test[0] == "CMD") return {test.begin() + 1, test.end()};
    return test;
}

nlohmann::ordered_json HealthConfig::toInspect() const {
    nlohmann::ordered_json j = {{"Test", test}};
    if (startPeriodNs) j["StartPeriod"] = startPeriodNs;
    j["Interval"] = intervalNs;
    j["Timeout"] = timeoutNs;
    j["Retries"] = retries;
    return j;
}

namespace {

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

/// Words separated by runs of white space (Go's strings.Fields).
std::vector<std::string> fields(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

int64_t duration(const char* flag, const std::string& v) {
    try {
        return builder::parseGoDuration(v);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string("invalid healthcheck-") + flag + ": " + e.what());
    }
}

/// --health-cmd as podman reads it: a JSON array is CMD args (or a test with its own
/// CMD/CMD-SHELL/NONE keyword); a line is CMD-SHELL, unless it starts with one of those words.
std::vector<std::string> testFromFlag(const std::string& cmd) {
    std::vector<std::string> words;
    bool isArray = false;
    try {
        words = json::parse(cmd).get<std::vector<std::string>>();
        isArray = true;
    } catch (const json::exception&) {
        auto sp = cmd.find(' ');
        words = sp == std::string::npos ? std::vector<std::string>{cmd}
                                        : std::vector<std::string>{cmd.substr(0, sp), cmd.substr(sp + 1)};
    }
    if (words.empty()) throw InvalidArgument("must define a healthcheck command for all healthchecks");
    std::string first = upper(words[0]);
    if (first == "NONE") return {"NONE"};
    if (first == "CMD") return fields(cmd);
    if (first == "CMD-SHELL") return words;
    if (isArray && words.size() > 1) {
        words.insert(words.begin(), "CMD");
        return words;
    }
    std::string line;
    for (size_t i = 0; i < words.size(); ++i) line += (i ? " " : "") + words[i];
    return {"CMD-SHELL", line};
}

}  // namespace

void validateHealthFlags(const HealthFlags& f) {
    if (f.none && !f.cmd.empty()) throw InvalidArgument("cannot specify both --no-healthcheck and --health-cmd");
    if (f.cmd.empty()) return;
    testFromFlag(f.cmd);
    if (f.interval != "disable" && !f.interval.empty()) duration("interval", f.interval);
    if (f.retries && *f.retries < 1) throw InvalidArgument("healthcheck-retries must be greater than 0");
    if (!f.timeout.empty() && duration("timeout", f.timeout) < 1)
        throw InvalidArgument("healthcheck-timeout must be at least 1 second");
    if (!f.startPeriod.empty() && duration("start-period", f.startPeriod) < 0)
        throw InvalidArgument("healthcheck-start-period must be 0 seconds or greater");
}

std::optional<HealthConfig> effectiveHealthcheck(const HealthFlags& f, const json& image) {
    if (f.none) return std::nullopt;
    HealthConfig h;
    if (!f.cmd.empty()) {
        h.test = testFromFlag(f.cmd);
        if (!f.interval.empty()) h.intervalNs = f.interval == "disable" ? 0 : duration("interval", f.interval);
        if (!f.timeout.empty()) h.timeoutNs = duration("timeout", f.timeout);
        if (!f.startPeriod.empty()) h.startPeriodNs = duration("start-period", f.startPeriod);
        if (f.retries) h.retries = *f.retries;
    } else {
        if (!image.is_object() || !image.contains("Test") || !image["Test"].is_array()) return std::nullopt;
        h.test = image["Test"].get<std::vector<std::string>>();
        // In an image config 0 (or absent) means the default.
        auto ns = [&](const char* k, int64_t& out) {
            if (image.contains(k) && image[k].is_number_integer() && image[k].get<int64_t>() > 0) out = image[k];
        };
        ns("Interval", h.intervalNs);
        ns("Timeout", h.timeoutNs);
        ns("StartPeriod", h.startPeriodNs);
        if (image.contains("Retries") && image["Retries"].is_number_integer() && image["Retries"].get<int>() > 0)
            h.retries = image["Retries"];
    }
    if (h.test.empty() || h.test[0] == "NONE") return std::nullopt;
    return h;
}

nlohmann::ordered_json HealthState::toJson() const {
    nlohmann::ordered_json entries = nlohmann::ordered_json::array();
    for (const auto& r : log)
        entries.push_back({{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exitCode}, {"Output", r.output}});
    return {{"Status", status}, {"FailingStreak", failingStreak}, {"Log", entries}};
}

HealthState HealthState::fromJson(const json& j) {
    HealthState s;
    s.status = j.value("Status", "");
    s.failingStreak = j.value("FailingStreak", 0);
    if (j.contains("Log") && j["Log"].is_array())
        for (const auto& e : j["Log"])
            s.log.push_back({e.value("Start", ""), e.value("End", ""), e.value("ExitCode", 0), e.value("Output", "")});
    return s;
}

void recordHealthResult(HealthState& s, const HealthResult& r, int retries, bool inStartPeriod) {
    if (r.exitCode == 0) {
        s.status = "healthy";
        s.failingStreak = 0;
    } else if (!inStartPeriod) {
        ++s.failingStreak;
        if (s.failingStreak >= retries) s.status = "unhealthy";
    }
    s.log.push_back(r);
    if (s.log.size() > kHealthLogSize) s.log.erase(s.log.begin(), s.log.end() - kHealthLogSize);
}

}  // namespace hutch::engine
