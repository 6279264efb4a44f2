// hutch rename CONTAINER NEWNAME (podman rename): a container's new name, in any state.
#include "hutch/cli/cli.hpp"
#include "hutch/engine/container/containers.hpp"

namespace hutch::cli {

void registerRename(Registry& r) {
    struct Opts {
        std::string container, name;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("rename", "Rename an existing container");
    sub->add_option("CONTAINER", o->container, "Container")->required();
    sub->add_option("NEWNAME", o->name, "New name")->required();
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            engine::renameContainer(ctx, o->container, o->name);
            return 0;
        };
    });
}

}  // namespace hutch::cli
