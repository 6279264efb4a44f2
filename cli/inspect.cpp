// hutch inspect [--type container|image|all] [--format TEMPLATE] NAME...
// hutch image inspect / container inspect: the same with the type fixed.
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/engine/launch/container_ops.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/image/images.hpp"

namespace hutch::cli {

void addInspect(CLI::App* parent, Registry& r, const std::string& fixedType) {
    struct Opts {
        std::vector<std::string> names;
        std::string type = "all", format;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = parent->add_subcommand("inspect", fixedType.empty() ? "Display the configuration of object denoted by ID"
                                                                     : "Display the configuration of " + std::string(fixedType == "image" ? "an image" : "a container"));
    if (fixedType.empty())
        sub->add_option("-t,--type", o->type, "Specify inspect-object type")
            ->check(CLI::IsMember({"all", "container", "image"}));
    else
        o->type = fixedType;
    sub->add_option("-f,--format", o->format, "Format the output to a Go template or json");
    sub->add_option("NAME", o->names, "Containers or images")->required();
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            nlohmann::ordered_json arr = nlohmann::ordered_json::array();
            std::vector<std::string> missing;
            for (const auto& n : o->names) {
                bool found = false;
                if (o->type != "image") {
                    try {
                        arr.push_back(engine::inspectContainer(ctx, engine::loadContainer(ctx, n)));
                        found = true;
                    } catch (const NotFound&) {
                    }
                }
                if (!found && o->type != "container") {
                    if (auto id = engine::findLocalImage(ctx, n)) {
                        arr.push_back(engine::inspectImage(ctx, *id));
                        found = true;
                    }
                }
                if (!found) missing.push_back(n);
            }
            if (!o->format.empty() && o->format != "json") {
                printTemplate("inspect", o->format, std::vector<gotemplate::Json>(arr.begin(), arr.end()));
            } else
                std::cout << jsonbytes::dumpReplacing(arr, 4) << std::endl;
            if (!missing.empty()) {
                // podman's wording for each type
                const std::string& n = missing[0];
                throw NotFound("inspecting object: " + (o->type == "container" ? "no such container " + n
                                                        : o->type == "image"   ? n + ": image not known"
                                                                               : "no such object: \"" + n + "\""));
            }
            return 0;
        };
    });
}

void registerInspect(Registry& r) { addInspect(&r.app, r, ""); }

}  // namespace hutch::cli
