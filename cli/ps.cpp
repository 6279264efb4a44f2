// hutch ps [-a] [-q] [--no-trunc] [-f KEY=VALUE...] [-n N] [-l] [--format json|TEMPLATE]
#include <iostream>
#include <map>
#include <set>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/launch/healthcheck.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/regex_search.hpp"
#include "hutch/engine/container/containers.hpp"

namespace hutch::cli {

namespace {

/// ps --filter KEY=VALUE as podman: values of one key are alternatives, keys all apply. Keys:
/// id (prefix), name (regular expression), label (KEY or KEY=VALUE), status, ancestor (image
/// name, with or without tag, or id prefix), exited (exit code). Throws InvalidArgument for
/// another key or a bad value.
using Filters = std::map<std::string, std::vector<std::string>>;

Filters parseFilters(const std::vector<std::string>& specs) {
    static const std::set<std::string> kKeys = {"id", "name", "label", "status", "ancestor", "exited"};
    static const std::set<std::string> kStatus = {"created", "running", "exited", "paused", "stopped", "restarting",
                                                  "removing", "unknown"};
    Filters f;
    for (const auto& s : specs) {
        bool has = false;
        auto [k, v] = str::cut(s, '=', &has);
        if (!has || !kKeys.count(k)) throw InvalidArgument("invalid filter \"" + s + "\"");
        if (k == "status" && !kStatus.count(v))
            throw InvalidArgument(v + " is not a valid status");
        if (k == "exited" && (v.empty() || v.find_first_not_of("0123456789") != std::string::npos))
            throw InvalidArgument("exited code out of range \"" + v + "\"");
        f[k].push_back(v);
    }
    return f;
}

bool matches(const engine::ContainerRecord& c, engine::ContainerStatus st, const std::string& key, const std::string& v) {
    if (key == "id") return c.id.rfind(v, 0) == 0;
    if (key == "name") return regex::search(v, c.name, "--filter name").value_or(false);
    if (key == "status") return engine::statusName(st) == v || (v == "stopped" && st == engine::ContainerStatus::Exited);
    if (key == "exited") return st == engine::ContainerStatus::Exited && std::to_string(c.exitCode) == v;
    if (key == "label") {
        bool has = false;
        auto [lk, lv] = str::cut(v, '=', &has);
        auto it = c.config.labels.find(lk);
        return it != c.config.labels.end() && (!has || it->second == lv);
    }
    if (key == "ancestor") {
        const std::string& n = c.imageName;
        auto colon = n.rfind(':');
        std::string repo = colon != std::string::npos && n.find('/', colon) == std::string::npos ? n.substr(0, colon) : n;
        auto lastSlash = repo.rfind('/');
        std::string shortRepo = lastSlash == std::string::npos ? repo : repo.substr(lastSlash + 1);
        return n == v || repo == v || shortRepo == v || shortRepo + n.substr(repo.size()) == v ||
               (v.size() >= 3 && c.imageId.rfind(v, 0) == 0);
    }
    return false;
}

bool selected(const engine::ContainerRecord& c, engine::ContainerStatus st, const Filters& filters) {
    for (const auto& [key, values] : filters) {
        bool any = false;
        for (const auto& v : values) any = any || matches(c, st, key, v);
        if (!any) return false;
    }
    return true;
}

}  // namespace

void registerPs(Registry& r) {
    struct Opts {
        bool all = false, quiet = false, noTrunc = false, latest = false;
        int last = -1;
        std::string format;
        std::vector<std::string> filters;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("ps", "List containers");
    addNoHeading(sub, false);
    sub->add_flag("-a,--all", o->all, "Show all the containers, default is only running containers");
    sub->add_flag("-q,--quiet", o->quiet, "Print the numeric IDs of the containers only");
    sub->add_flag("--no-trunc", o->noTrunc, "Display the extended information");
    sub->add_option("--format", o->format, "Pretty-print containers to JSON or using a Go template");
    sub->add_option("-f,--filter", o->filters, "Filter output based on conditions given")->allow_extra_args(false);
    sub->add_option("-n,--last", o->last, "Print the n last created containers (all states)");
    sub->add_flag("-l,--latest", o->latest, "Act on the latest container hutch is aware of");
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            std::vector<std::vector<std::string>> rows;
            nlohmann::json arr = nlohmann::json::array();
            std::vector<gotemplate::Json> custom_rows;
            bool custom = !o->format.empty() && o->format != "json";
            if (!o->quiet && o->format.empty())
                rows.push_back({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
            Filters filters = parseFilters(o->filters);
            int last = o->latest ? 1 : o->last;
            int shown = 0;
            for (const auto& c : engine::listContainers(ctx)) {  // newest first
                auto st = engine::effectiveStatus(c);
                // A filter, --last or --latest looks at every container (as podman's -a).
                if (!o->all && filters.empty() && last < 0 && st != engine::ContainerStatus::Running) continue;
                if (!selected(c, st, filters)) continue;
                if (last >= 0 && shown >= last) break;
                ++shown;
                std::string id = o->noTrunc ? c.id : c.id.substr(0, 12);
                std::string created = engine::humanAgo(engine::parseRfc3339(c.created));
                std::string status;
                if (st == engine::ContainerStatus::Running) {
                    status = "Up " + engine::humanAgo(engine::parseRfc3339(c.startedAt));
                    // With a health check: "Up 5 seconds ago (healthy)".
                    if (auto h = engine::loadHealth(ctx, c.id); !h.status.empty()) status += " (" + h.status + ")";
                }
                else if (st == engine::ContainerStatus::Exited)
                    status = "Exited (" + std::to_string(c.exitCode) + ") " +
                             engine::humanAgo(engine::parseRfc3339(c.finishedAt));
                else
                    status = "Created";
                std::string cmd = str::join(c.args, " ");
                if (!o->noTrunc && cmd.size() > 20) cmd = cmd.substr(0, 17) + "...";
                nlohmann::json f = {{"ID", id},          {"Id", id},        {"Image", c.imageName}, {"ImageID", c.imageId},
                                    {"Command", cmd},    {"Created", created}, {"CreatedAt", c.created},
                                    {"Status", status},  {"State", engine::statusName(st)},
                                    {"Names", c.name},   {"Ports", engine::portSummary(c.config.net.ports)},    {"ExitCode", c.exitCode},
                                    {"Pid", st == engine::ContainerStatus::Running ? c.pid : 0},
                                    {"Labels", c.config.labels}};
                if (o->quiet)
                    std::cout << id << "\n";
                else if (o->format == "json")
                    arr.push_back({{"Id", c.id}, {"Image", c.imageName}, {"ImageID", c.imageId}, {"Command", c.args},
                                   {"Created", engine::parseRfc3339(c.created)}, {"CreatedAt", created},
                                   {"State", engine::statusName(st)}, {"Status", status}, {"Names", {c.name}},
                                   {"Exited", st == engine::ContainerStatus::Exited}, {"ExitCode", c.exitCode},
                                   {"Ports", engine::portsJson(c.config.net.ports)},
                                   {"Pid", st == engine::ContainerStatus::Running ? c.pid : 0},
                                   {"Labels", c.config.labels.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.config.labels)}});
                else if (custom)
                    custom_rows.push_back(f);
                else
                    rows.push_back({id, c.imageName, cmd, created, status, engine::portSummary(c.config.net.ports), c.name});
            }
            if (o->format == "json") std::cout << jsonbytes::dumpReplacing(arr, 4) << "\n";
            if (custom && !o->quiet)
                printTemplate("ps", o->format, custom_rows,
                              {{"ID", "CONTAINER ID"}, {"Id", "CONTAINER ID"}, {"Image", "IMAGE"}, {"ImageID", "IMAGE ID"},
                               {"Command", "COMMAND"}, {"Created", "CREATED"}, {"CreatedAt", "CREATED AT"},
                               {"Status", "STATUS"}, {"State", "STATE"}, {"Names", "NAMES"}, {"Ports", "PORTS"},
                               {"ExitCode", "EXIT CODE"}, {"Pid", "PID"}});
            if (!rows.empty()) printTable(rows);
            std::cout << std::flush;
            return 0;
        };
    });
}

}  // namespace hutch::cli
