// hutch search [--limit N] [--format json|TEMPLATE] [--no-trunc] [--tls-verify] [--list-tags]
//              [--filter stars=N|is-official|is-automated] [--compatible] TERM
// (podman 4.3's flags, columns and errors; registries are searched through their catalog).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/engine/image/search.hpp"

namespace hutch::cli {
namespace {

/// podman's report table: columns padded to the widest cell + 2 (at least 12 wide), every
/// column but the last padded, also when the last cell is empty (as its tabwriter does).
void printSearchTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> w;
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size(); ++i) {
            if (w.size() <= i) w.push_back(0);
            w[i] = std::max(w[i], r[i].size());
        }
    std::string out;
    for (const auto& r : rows) {
        for (size_t i = 0; i < r.size(); ++i) {
            out += r[i];
            if (i + 1 < r.size()) out += std::string(std::max<size_t>(w[i] + 2, 12) - r[i].size(), ' ');
        }
        out += "\n";
    }
    std::cout << out << std::flush;
}

/// The --filter values into the options (podman's ParseSearchFilter rules).
void parseFilters(const std::vector<std::string>& filters, engine::SearchOptions& so) {
    for (const auto& f : filters) {
        bool has = false;
        auto [k, v] = str::cut(f, '=', &has);
        if (k == "stars") {
            if (!has) throw InvalidArgument("invalid filter \"" + f + "\", should be stars=<value>");
            try {
                size_t used = 0;
                so.minStars = std::stoi(v, &used);
                if (used != v.size()) throw std::invalid_argument(v);
            } catch (const std::exception&) {
                throw InvalidArgument("incorrect value type for stars filter: \"" + v + "\" is not a number");
            }
        } else if (k == "is-automated") {
            so.automated = !(has && v == "false");
        } else if (k == "is-official") {
            so.official = !(has && v == "false");
        } else {
            throw InvalidArgument("invalid filter type \"" + f + "\"");
        }
    }
}

}  // namespace

void registerSearch(Registry& r) {
    struct Opts {
        engine::SearchOptions so;
        std::string term, format;
        std::vector<std::string> filters;
        bool noTrunc = false, compatible = false, tlsVerify = true;
        std::string authfile;
        CLI::Option* tlsOpt = nullptr;
        CLI::Option* formatOpt = nullptr;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("search", "Search registry for image");
    sub->add_option("-f,--filter", o->filters, "Filter output based on conditions provided (default [])")
        ->allow_extra_args(false);
    o->formatOpt = sub->add_option("--format", o->format, "Change the output format to JSON or a Go template");
    sub->add_option("--limit", o->so.limit, "Limit the number of results");
    sub->add_flag("--no-trunc", o->noTrunc, "Do not truncate the output");
    sub->add_flag("--compatible", o->compatible, "List stars, official and automated columns (Docker compatibility)");
    sub->add_option("--authfile", o->authfile, "Path of the authentication file");
    o->tlsOpt = sub->add_flag("--tls-verify", o->tlsVerify,
                              "Require HTTPS and verify certificates when contacting registries");
    sub->add_flag("--list-tags", o->so.listTags, "List the tags of the input registry");
    sub->add_option("TERM", o->term, "The search term");
    sub->callback([o, &r] {
        if (o->term.empty()) throw CLI::ValidationError("search requires exactly one argument");
        if (o->so.listTags && !o->filters.empty())
            throw CLI::ValidationError("filters are not applicable to list tags result");
        if (!o->authfile.empty()) ::setenv("REGISTRY_AUTH_FILE", o->authfile.c_str(), 1);
        r.chosen.needsStore = false;
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            if (!o->authfile.empty() && ::access(o->authfile.c_str(), F_OK) != 0)
                throw SysError(errno, "stat " + o->authfile);
            engine::SearchOptions so = o->so;
            so.term = o->term;
            if (o->tlsOpt->count() > 0) so.tlsVerify = o->tlsVerify;
            parseFilters(o->filters, so);
            auto found = engine::searchImages(ctx, so);
            if (found.empty()) return 0;
            const bool json = o->format == "json";
            for (auto& f : found) {
                for (auto& c : f.description)
                    if (c == '\n') c = ' ';
                if (f.description.size() > 44 && !o->noTrunc && !json)
                    f.description = str::trim(f.description.substr(0, 44)) + "...";
            }
            if (so.listTags) {
                if (json) {
                    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
                    for (const auto& f : found) {
                        if (!arr.empty() && arr.back()["Name"] == f.name) {
                            arr.back()["Tags"].push_back(f.tag);
                            continue;
                        }
                        arr.push_back({{"Name", f.name}, {"Tags", nlohmann::ordered_json::array({f.tag})}});
                    }
                    std::cout << jsonbytes::dumpReplacing(arr, 4) << std::endl;
                    return 0;
                }
                std::vector<std::vector<std::string>> rows = {{"NAME", "TAG"}};
                for (const auto& f : found) rows.push_back({f.name, f.tag});
                printSearchTable(rows);
                return 0;
            }
            auto fields = [](const engine::SearchResult& f) {
                return nlohmann::ordered_json{{"Index", f.index},         {"Name", f.name},   {"Description", f.description},
                                              {"Stars", f.stars},         {"Official", f.official},
                                              {"Automated", f.automated}, {"Tag", f.tag}};
            };
            if (json) {
                nlohmann::ordered_json arr = nlohmann::ordered_json::array();
                for (const auto& f : found) arr.push_back(fields(f));
                std::cout << jsonbytes::dumpReplacing(arr, 4) << std::endl;
            } else if (o->formatOpt->count() > 0) {
                std::vector<gotemplate::Json> rows;
                for (const auto& f : found) rows.push_back(fields(f));
                printTemplate("search", o->format, rows);
            } else {
                std::vector<std::vector<std::string>> rows = {{"NAME", "DESCRIPTION"}};
                if (o->compatible) rows[0].insert(rows[0].end(), {"STARS", "OFFICIAL", "AUTOMATED"});
                for (const auto& f : found) {
                    rows.push_back({f.name, f.description});
                    if (o->compatible) rows.back().insert(rows.back().end(), {std::to_string(f.stars), f.official, f.automated});
                }
                printSearchTable(rows);
            }
            return 0;
        };
    });
}

}  // namespace hutch::cli
