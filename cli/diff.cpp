// hutch diff [--format json] CONTAINER|IMAGE (podman diff): what a container changed against
// its image, or what an image's top layer changed against its parent.
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/image/changes.hpp"

namespace hutch::cli {

namespace {

/// podman's JSON report: {"changed": [...], "added": [...], "deleted": [...]} with the empty
/// lists left out, indented by five spaces as podman's encoder is, and <, >, & escaped as Go
/// escapes them.
std::string changesJson(const std::vector<engine::FileChange>& changes) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const char* key : {"changed", "added", "deleted"}) {
        char kind = key[0] == 'c' ? 'C' : key[0] == 'a' ? 'A' : 'D';
        for (const auto& c : changes)
            if (c.kind == kind) j[key].push_back(c.path);
    }
    std::string text = j.dump(5, ' ', false, nlohmann::ordered_json::error_handler_t::replace), out;
    for (char ch : text) {
        if (ch == '<') out += "\\u003c";
        else if (ch == '>') out += "\\u003e";
        else if (ch == '&') out += "\\u0026";
        else out += ch;
    }
    return out;
}

}  // namespace

/// Adds `diff` under `parent` (the top level, container, image) looking up `target`.
void addDiff(CLI::App* parent, Registry& r, engine::DiffTarget target) {
    struct Opts {
        std::vector<std::string> names;
        std::string format;
    };
    auto o = std::make_shared<Opts>();
    const char* what = target == engine::DiffTarget::Container ? "Inspect changes to the container's file systems"
                       : target == engine::DiffTarget::Image   ? "Inspect changes to the image's file systems"
                                                               : "Display the changes to the object's file system";
    auto* sub = parent->add_subcommand("diff", what);
    sub->add_option("--format", o->format, "Change the output format (json)");
    sub->add_option("NAME", o->names, "Container or image");
    sub->callback([o, &r, sub, target] {
        std::string path = sub->get_parent()->get_parent() ? sub->get_parent()->get_name() + " diff" : "diff";
        if (o->names.empty()) throw CLI::ValidationError("\"hutch " + path + "\" requires a name, id, or the \"--latest\" flag");
        if (o->names.size() > 1) throw CLI::ValidationError("accepts 1 arg(s), received " + std::to_string(o->names.size()));
        r.chosen.readOnly = true;
        r.chosen.action = [o, target](engine::Context& ctx) {
            bool json = o->format == "json" || o->format == "{{json .}}" || o->format == "{{ json . }}";
            if (!json && !o->format.empty()) throw InvalidArgument("only supported value for '--format' is 'json'");
            auto changes = engine::diffChanges(ctx, o->names[0], target);
            if (json) {
                std::cout << changesJson(changes) << "\n";
                return 0;
            }
            for (const auto& c : changes) std::cout << c.kind << " " << c.path << "\n";
            return 0;
        };
    });
}

void registerDiff(Registry& r) { addDiff(&r.app, r, engine::DiffTarget::Any); }

}  // namespace hutch::cli
