// hutch ps [-a] [-q] [--no-trunc] [--format json|TEMPLATE]
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/engine/container/containers.hpp"

namespace hutch::cli {

void registerPs(Registry& r) {
    struct Opts {
        bool all = false, quiet = false, noTrunc = false;
        std::string format;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("ps", "List containers");
    sub->add_flag("-a,--all", o->all, "Show all the containers, default is only running containers");
    sub->add_flag("-q,--quiet", o->quiet, "Print the numeric IDs of the containers only");
    sub->add_flag("--no-trunc", o->noTrunc, "Display the extended information");
    sub->add_option("--format", o->format, "Pretty-print containers to JSON or using a Go template");
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            std::vector<std::vector<std::string>> rows;
            nlohmann::json arr = nlohmann::json::array();
            std::vector<gotemplate::Json> custom_rows;
            bool custom = !o->format.empty() && o->format != "json";
            if (!o->quiet && o->format.empty())
                rows.push_back({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
            for (const auto& c : engine::listContainers(ctx)) {
                auto st = engine::effectiveStatus(c);
                if (!o->all && st != engine::ContainerStatus::Running) continue;
                std::string id = o->noTrunc ? c.id : c.id.substr(0, 12);
                std::string created = engine::humanAgo(engine::parseRfc3339(c.created));
                std::string status;
                if (st == engine::ContainerStatus::Running)
                    status = "Up " + engine::humanAgo(engine::parseRfc3339(c.startedAt));
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
                                    {"Pid", st == engine::ContainerStatus::Running ? c.pid : 0}};
                if (o->quiet)
                    std::cout << id << "\n";
                else if (o->format == "json")
                    arr.push_back({{"Id", c.id}, {"Image", c.imageName}, {"ImageID", c.imageId}, {"Command", c.args},
                                   {"Created", engine::parseRfc3339(c.created)}, {"CreatedAt", created},
                                   {"State", engine::statusName(st)}, {"Status", status}, {"Names", {c.name}},
                                   {"Exited", st == engine::ContainerStatus::Exited}, {"ExitCode", c.exitCode},
                                   {"Ports", engine::portsJson(c.config.net.ports)},
                                   {"Pid", st == engine::ContainerStatus::Running ? c.pid : 0}});
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
