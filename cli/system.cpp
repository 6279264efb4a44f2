// hutch system prune|df|reset|migrate (podman 4.3's prompts, tables and exit codes) and
// system check (hutch's own: rootless readiness).
#include <fmt/format.h>

#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/launch/lifecycle.hpp"
#include "hutch/engine/prune.hpp"
#include "hutch/engine/system_check.hpp"

namespace hutch::cli {
/// `system events` (cli/events.cpp).
void addSystemEvents(CLI::App* system, Registry& r);
namespace {

/// go-units HumanSize as `system df` prints it: decimal units, 4 significant digits, no
/// space ("2.131MB", "12B", "0B").
std::string goHumanSize(uint64_t bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 6) {
        v /= 1000;
        ++u;
    }
    return fmt::format("{:.4g}{}", v, units[u]);
}

/// "0B (0%)", "2.131MB (100%)": podman rounds the percentage.
std::string reclaimable(uint64_t reclaim, uint64_t size) {
    int pct = size > 0 ? static_cast<int>(static_cast<double>(reclaim) / static_cast<double>(size) * 100 + 0.5) : 0;
    return goHumanSize(reclaim) + " (" + std::to_string(pct) + "%)";
}

/// "3 years", "Less than a second": humanAgo without " ago".
std::string since(int64_t t) {
    std::string s = engine::humanAgo(t);
    if (s.size() > 4 && s.compare(s.size() - 4, 4, " ago") == 0) s.resize(s.size() - 4);
    return s;
}

void registerPrune(CLI::App* sys, Registry& r) {
    struct Opts {
        bool force = false, all = false, volumes = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = sys->add_subcommand("prune", "Remove unused data");
    sub->add_flag("-a,--all", o->all, "Remove all unused data");
    sub->add_flag("-f,--force", o->force, "Do not prompt for confirmation.  The default is false");
    sub->add_flag("--volumes", o->volumes, "Prune volumes");
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            if (!o->force) {
                std::string vol = o->volumes ? "\n\t- all volumes not used by at least one container" : "";
                std::string warning = "WARNING! This command removes:\n\t- all stopped containers\n"
                                      "\t- all networks not used by at least one container" + vol +
                                      (o->all ? "\n\t- all images without at least one container associated with them"
                                                "\n\t- all build cache\n\n"
                                              : "\n\t- all dangling images\n\t- all dangling build cache\n\n");
                if (!confirm(warning)) return 0;
            }
            std::vector<std::string> errors;
            uint64_t total = 0;
            auto section = [&](const char* title, const engine::PruneReport& rep) {
                if (!rep.removed.empty()) {
                    std::cout << title << "\n";
                    for (const auto& id : rep.removed) std::cout << id << "\n";
                }
                total += rep.reclaimed;
                errors.insert(errors.end(), rep.errors.begin(), rep.errors.end());
            };
            section("Deleted Containers", engine::pruneContainers(ctx));
            if (o->volumes) section("Deleted Volumes", engine::pruneUnusedVolumes(ctx));
            section("Deleted Images", engine::pruneImages(ctx, o->all));
            std::cout << "Total reclaimed space: " << goHumanSize(total) << std::endl;
            return printPruneErrors(errors);
        };
    });
}

void printVerbose(const engine::SystemDf& df) {
    std::cout << "Images space usage:\n\n";
    std::vector<std::vector<std::string>> rows = {
        {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"}};
    for (const auto& i : df.images) {
        std::vector<std::string> names = i.names;
        if (names.empty()) names.push_back("");
        for (const auto& n : names) {
            auto [repo, tag] = n.empty() ? std::pair<std::string, std::string>{"<none>", "<none>"} : engine::splitRepoTag(n);
            rows.push_back({repo, tag, i.id.substr(0, 12), since(i.created), goHumanSize(i.size),
                            goHumanSize(i.sharedSize), goHumanSize(i.uniqueSize), std::to_string(i.containers)});
        }
    }
    printTable(rows, 12);
    std::cout << "\nContainers space usage:\n\n";
    rows = {{"CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"}};
    for (const auto& c : df.containers)
        rows.push_back({c.id.substr(0, 12), c.imageId.substr(0, 12), c.command, std::to_string(c.localVolumes),
                        goHumanSize(c.rwSize), since(c.created), c.status, c.name});
    printTable(rows, 12);
    std::cout << "\nLocal Volumes space usage:\n\n";
    rows = {{"VOLUME NAME", "LINKS", "SIZE"}};
    for (const auto& v : df.volumes) rows.push_back({v.name, std::to_string(v.links), goHumanSize(v.size)});
    printTable(rows, 12);
    std::cout << std::flush;
}

void registerDf(CLI::App* sys, Registry& r) {
    struct Opts {
        bool verbose = false;
        std::string format;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = sys->add_subcommand("df", "Show hutch disk usage");
    sub->add_flag("-v,--verbose", o->verbose, "Show detailed information on disk usage");
    sub->add_option("--format", o->format, "Pretty-print images using a Go template");
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            auto df = engine::systemDf(ctx);
            auto fields = [](const engine::DfSummaryRow& s) {
                return nlohmann::ordered_json{{"Type", s.type},
                                              {"Total", s.total},
                                              {"Active", s.active},
                                              {"Size", goHumanSize(s.size)},
                                              {"Reclaimable", reclaimable(s.reclaimable, s.size)},
                                              {"RawSize", s.size},
                                              {"RawReclaimable", s.reclaimable}};
            };
            if (o->format == "json") {
                nlohmann::ordered_json arr = nlohmann::ordered_json::array();
                for (const auto& s : df.summary) arr.push_back(fields(s));
                std::cout << jsonbytes::dumpReplacing(arr, 4) << std::endl;
            } else if (!o->format.empty()) {
                std::vector<gotemplate::Json> rows;
                for (const auto& s : df.summary) rows.push_back(fields(s));
                printTemplate("df", o->format, rows,
                              {{"Type", "TYPE"}, {"Total", "TOTAL"}, {"Active", "ACTIVE"}, {"Size", "SIZE"},
                               {"Reclaimable", "RECLAIMABLE"}});
                std::cout << std::flush;
            } else if (o->verbose) {
                printVerbose(df);
            } else {
                std::vector<std::vector<std::string>> rows = {{"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"}};
                for (const auto& s : df.summary)
                    rows.push_back({s.type, std::to_string(s.total), std::to_string(s.active), goHumanSize(s.size),
                                    reclaimable(s.reclaimable, s.size)});
                printTable(rows, 12);
                std::cout << std::flush;
            }
            return 0;
        };
    });
}

void registerReset(CLI::App* sys, Registry& r) {
    auto force = std::make_shared<bool>(false);
    auto* sub = sys->add_subcommand("reset", "Reset hutch storage");
    sub->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    sub->callback([force, &r] {
        r.chosen.action = [force](engine::Context& ctx) {
            if (!*force) {
                auto roots = engine::storeRoots(ctx);
                std::string warning = "WARNING! This will remove:\n"
                                      "        - all containers\n"
                                      "        - all pods\n"
                                      "        - all images\n"
                                      "        - all networks\n"
                                      "        - all build cache\n"
                                      "        - all machines\n"
                                      "        - all volumes\n"
                                      "        - the graphRoot directory: \"" + roots.graphRoot + "\"\n"
                                      "        - the runRoot directory: \"" + roots.runRoot + "\"\n";
                if (!confirm(warning)) return 0;
            }
            return printPruneErrors(engine::systemReset(ctx));
        };
    });
}

void registerMigrate(CLI::App* sys, Registry& r) {
    auto* sub = sys->add_subcommand("migrate", "Migrate containers");
    auto newRuntime = std::make_shared<std::string>();
    sub->add_option("--new-runtime", *newRuntime, "Specify a new runtime for all containers (accepted; hutch has one)");
    sub->callback([&r, newRuntime] {
        r.chosen.action = [](engine::Context& ctx) {
            for (const auto& name : engine::systemMigrate(ctx)) log::info("stopped container {}", name);
            return 0;
        };
    });
}

/// `system check`: one line per check; exit 0 when none found a problem, else 1 (the checks
/// ran: not an engine error, which stays 125). Needs no store, so it also runs for a user
/// without subordinate ids (whose session could not start).
void registerCheck(CLI::App* sys, Registry& r) {
    auto* sub = sys->add_subcommand("check", "Check that this host and user are ready for rootless containers");
    sub->callback([&r] {
        r.chosen.needsStore = false;
        r.chosen.readOnly = true;
        r.chosen.action = [](engine::Context&) {
            bool problems = false;
            std::string out;
            for (const auto& c : engine::runSystemChecks()) {
                out += engine::formatCheck(c) + "\n";
                problems = problems || c.status == engine::CheckStatus::Problem;
            }
            std::cout << out << std::flush;
            return problems ? 1 : 0;
        };
    });
}

}  // namespace

void registerSystem(Registry& r) {
    auto* sys = r.app.add_subcommand("system", "Manage hutch");
    sys->require_subcommand(1);
    registerPrune(sys, r);
    registerDf(sys, r);
    registerReset(sys, r);
    registerMigrate(sys, r);
    registerCheck(sys, r);
    addSystemEvents(sys, r);
}

}  // namespace hutch::cli
