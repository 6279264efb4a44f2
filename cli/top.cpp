// hutch top CONTAINER
#include "hutch/cli/cli.hpp"
#include "hutch/engine/container/top.hpp"

namespace hutch::cli {

void registerTop(Registry& r) {
    auto name = std::make_shared<std::string>();
    auto* sub = r.app.add_subcommand("top", "Display the running processes of a container");
    sub->add_option("CONTAINER", *name, "Container")->required();
    sub->callback([name, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [name](engine::Context& ctx) {
            printTable(engine::containerTop(ctx, *name));
            return 0;
        };
    });
}

}  // namespace hutch::cli
