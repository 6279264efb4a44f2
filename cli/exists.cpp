// hutch container exists NAME, hutch image exists NAME: exit 0 when it exists, 1 when not
// (podman's), 125 on any other error. Nothing is printed.
#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/image/images.hpp"

namespace hutch::cli {

void addContainerExists(CLI::App* parent, Registry& r) {
    auto name = std::make_shared<std::string>();
    auto external = std::make_shared<bool>(false);
    auto* sub = parent->add_subcommand("exists", "Check if a container exists in local storage");
    sub->add_option("CONTAINER", *name, "Container name or ID")->required();
    sub->add_flag("--external", *external, "Check external containers as well as hutch's (there are none)");
    sub->callback([name, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [name](engine::Context& ctx) {
            try {
                engine::loadContainer(ctx, *name);
                return 0;
            } catch (const NotFound&) {
                return 1;
            }
        };
    });
}

void addImageExists(CLI::App* parent, Registry& r) {
    auto name = std::make_shared<std::string>();
    auto* sub = parent->add_subcommand("exists", "Check if an image exists in local storage");
    sub->add_option("IMAGE", *name, "Image name or ID")->required();
    sub->callback([name, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [name](engine::Context& ctx) { return engine::findLocalImage(ctx, *name) ? 0 : 1; };
    });
}

}  // namespace hutch::cli
