// hutch images [-q] [--no-trunc] [-f KEY=VALUE...] [--format json|TEMPLATE] [IMAGE]
#include <fnmatch.h>

#include <iostream>
#include <map>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/engine/image/image_tree.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/image/images.hpp"

namespace hutch::cli {

namespace {

/// Whether `name` ("registry/repo:tag") matches a reference filter: a glob (fnmatch) against
/// the whole name or any part after a '/' boundary, with ":*" implied when it has no tag.
bool referenceMatches(const std::string& name, const std::string& pattern) {
    size_t colon = pattern.rfind(':'), slash = pattern.rfind('/');
    bool hasTag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
    std::string pat = hasTag ? pattern : pattern + ":*";
    for (size_t pos = 0;;) {
        if (::fnmatch(pat.c_str(), name.c_str() + pos, 0) == 0) return true;
        pos = name.find('/', pos);
        if (pos == std::string::npos) return false;
        ++pos;
    }
}

/// images --filter as podman: values of one key are alternatives, keys all apply. Keys:
/// reference (glob), label (KEY or KEY=VALUE), dangling (true: no name), id (prefix). Throws
/// InvalidArgument for another key.
bool imageSelected(const engine::ImageInfo& i, const std::vector<std::string>& specs) {
    std::map<std::string, std::vector<std::string>> byKey;
    for (const auto& s : specs) {
        bool has = false;
        auto [k, v] = str::cut(s, '=', &has);
        if (!has || (k != "reference" && k != "label" && k != "dangling" && k != "id"))
            throw InvalidArgument("invalid image filter \"" + s + "\" (reference, label, dangling, id)");
        byKey[k].push_back(v);
    }
    const nlohmann::json labels = i.config.value("config", nlohmann::json::object()).value("Labels", nlohmann::json::object());
    for (const auto& [k, values] : byKey) {
        bool any = false;
        for (const auto& v : values) {
            if (k == "reference")
                for (const auto& n : i.names) any = any || referenceMatches(n, v);
            else if (k == "id")
                any = any || i.id.rfind(v, 0) == 0 || ("sha256:" + i.id).rfind(v, 0) == 0;
            else if (k == "dangling")
                any = any || (v == "true") == i.names.empty();
            else {
                auto [lk, lv] = str::cut(v, '=');
                any = any || (labels.is_object() && labels.contains(lk) && labels[lk].is_string() &&
                              (v.find('=') == std::string::npos || labels[lk].get<std::string>() == lv));
            }
        }
        if (!any) return false;
    }
    return true;
}

}  // namespace

void registerImages(Registry& r) {
    struct Opts {
        bool quiet = false, noTrunc = false, all = false;
        std::string format;
        std::vector<std::string> filters;
        std::string reference;  // IMAGE positional: as --filter reference=
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("images", "List images in local storage");
    addNoHeading(sub);
    sub->add_flag("-q,--quiet", o->quiet, "Display only image IDs");
    sub->add_flag("--no-trunc", o->noTrunc, "Do not truncate output");
    sub->add_flag("-a,--all", o->all, "Show all images (default hides intermediate images)");
    sub->add_option("--format", o->format, "Change the output format to JSON or a Go template");
    sub->add_option("-f,--filter", o->filters, "Filter output based on conditions provided")->allow_extra_args(false);
    sub->add_option("IMAGE", o->reference, "Show only images whose name matches");
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            auto imgs = engine::listImages(ctx);
            if (!o->all) {  // build cache images stay hidden, as podman hides intermediate images
                auto hidden = engine::intermediateImageIds(imgs);
                std::erase_if(imgs, [&](const engine::ImageInfo& i) { return hidden.count(i.id) > 0; });
            }
            auto filters = o->filters;
            if (!o->reference.empty()) filters.push_back("reference=" + o->reference);
            std::erase_if(imgs, [&](const engine::ImageInfo& i) { return !imageSelected(i, filters); });
            if (o->format == "json") {
                nlohmann::json arr = nlohmann::json::array();
                for (const auto& i : imgs) {
                    int64_t created = engine::parseRfc3339(i.created);
                    arr.push_back({{"Id", i.id},
                                   {"ParentId", ""},
                                   {"RepoTags", i.names.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.names)},
                                   {"RepoDigests", nlohmann::json::array()},
                                   {"Size", i.size},
                                   {"SharedSize", 0},
                                   {"VirtualSize", i.size},
                                   {"Labels", i.config.value("config", nlohmann::json::object()).value("Labels", nlohmann::json(nullptr))},
                                   {"Containers", 0},
                                   {"Names", i.names},
                                   {"Digest", i.digest},
                                   {"Created", created},
                                   {"CreatedAt", i.created}});
                }
                std::cout << jsonbytes::dumpReplacing(arr, 4) << std::endl;
                return 0;
            }
            std::vector<std::vector<std::string>> rows;
            std::vector<gotemplate::Json> custom_rows;
            bool custom = !o->format.empty();
            if (!o->quiet && (!custom || o->format.rfind("table", 0) == 0) && !custom)
                rows.push_back({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
            for (const auto& i : imgs) {
                std::string id = o->noTrunc ? "sha256:" + i.id : i.id.substr(0, 12);
                std::vector<std::pair<std::string, std::string>> names;
                for (const auto& n : i.names) names.push_back(engine::splitRepoTag(n));
                if (names.empty()) names.push_back({"<none>", "<none>"});
                for (const auto& [repo, tag] : names) {
                    if (o->quiet) {
                        std::cout << id << "\n";
                        break;
                    }
                    std::string created = engine::humanAgo(engine::parseRfc3339(i.created));
                    if (custom) {
                        nlohmann::json f = {{"ID", id},           {"Id", id},     {"Repository", repo},
                                            {"Tag", tag},         {"Created", created}, {"CreatedSince", created},
                                            {"Size", humanSize(i.size)}, {"Digest", i.digest}};
                        custom_rows.push_back(f);
                    } else
                        rows.push_back({repo, tag, id, created, humanSize(i.size)});
                }
            }
            if (custom && !o->quiet)
                printTemplate("images", o->format, custom_rows,
                              {{"ID", "IMAGE ID"}, {"Id", "IMAGE ID"}, {"Repository", "REPOSITORY"}, {"Tag", "TAG"},
                               {"Created", "CREATED"}, {"CreatedSince", "CREATED"}, {"Size", "SIZE"}, {"Digest", "DIGEST"}});
            if (!rows.empty()) printTable(rows);
            std::cout << std::flush;
            return 0;
        };
    });
}

}  // namespace hutch::cli
