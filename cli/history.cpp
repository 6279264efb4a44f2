// hutch history [--no-trunc] [-q] [-H] [--format json|TEMPLATE] IMAGE (podman's verb).
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/image/history.hpp"

namespace hutch::cli {

namespace {

/// A time.Time as Go prints it: "2023-11-14 22:13:20 +0000 UTC".
std::string goTime(const std::string& rfc3339) {
    std::string s = rfc3339;
    if (s.size() > 19 && s[10] == 'T') s[10] = ' ';
    if (!s.empty() && s.back() == 'Z') s.pop_back();
    return s + " +0000 UTC";
}

}  // namespace

void registerHistory(Registry& r) {
    struct Opts {
        std::string image, format;
        std::vector<std::string> args;
        bool noTrunc = false, quiet = false, human = true;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("history", "Show history of a specified image");
    sub->add_flag("--no-trunc", o->noTrunc, "Do not truncate the output");
    sub->add_flag("-q,--quiet", o->quiet, "Display the numeric IDs only");
    sub->add_flag("-H,--human", o->human, "Display sizes and dates in human readable format (default true)");
    sub->add_option("--format", o->format, "Change the output to JSON or a Go template");
    sub->add_option("IMAGE", o->args, "The image");
    sub->callback([o, &r] {
        if (o->args.size() != 1)
            throw CLI::ValidationError("accepts 1 arg(s), received " + std::to_string(o->args.size()));
        o->image = o->args.front();
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            auto entries = engine::imageHistory(ctx, o->image);
            auto shortId = [&](const std::string& id) {
                return o->noTrunc || id == "<missing>" ? id : id.substr(0, 12);
            };
            if (o->format == "json") {
                nlohmann::ordered_json arr = nlohmann::ordered_json::array();
                for (const auto& e : entries) {
                    nlohmann::ordered_json j{{"id", e.id}, {"created", e.created}, {"CreatedBy", e.createdBy},
                                             {"size", e.size}};
                    if (!e.comment.empty()) j["comment"] = e.comment;
                    j["Created"] = e.created;
                    arr.push_back(j);
                }
                std::cout << jsonbytes::dumpReplacing(arr) << std::endl;
                return 0;
            }
            if (o->quiet) {
                for (const auto& e : entries) std::cout << shortId(e.id) << "\n";
                std::cout << std::flush;
                return 0;
            }
            auto created = [&](const engine::HistoryEntry& e) {
                return o->human ? engine::humanAgo(engine::parseRfc3339(e.created)) : e.created;
            };
            auto size = [&](const engine::HistoryEntry& e) {
                return o->human ? humanSize(e.size) : std::to_string(e.size);
            };
            std::string format = o->format.empty()
                                     ? "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                                     : o->format;
            std::vector<gotemplate::Json> rows;
            for (const auto& e : entries) {
                std::string by = e.createdBy;
                if (!o->noTrunc && by.size() > 45) by = by.substr(0, 42) + "...";
                rows.push_back(gotemplate::Json{{"ID", shortId(e.id)},
                                                {"Created", created(e)},
                                                {"CreatedSince", created(e)},
                                                {"CreatedAt", goTime(e.created)},
                                                {"CreatedBy", by},
                                                {"Size", size(e)},
                                                {"Comment", e.comment},
                                                {"Tags", gotemplate::Json::array()}});
            }
            printTemplate("history", format, rows,
                          {{"ID", "ID"}, {"Created", "CREATED"}, {"CreatedSince", "CREATED"},
                           {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"}, {"Size", "SIZE"},
                           {"Comment", "COMMENT"}, {"Tags", "TAGS"}});
            return 0;
        };
    });
}

}  // namespace hutch::cli
