// hutch start CONTAINER...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/launch/lifecycle.hpp"

namespace hutch::cli {

void registerStart(Registry& r) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto* sub = r.app.add_subcommand("start", "Start one or more containers");
    sub->add_option("CONTAINER", *names, "Containers to start")->required();
    sub->callback([names, &r] {
        r.chosen.action = [names](engine::Context& ctx) {
            for (const auto& n : *names) {
                // podman prints nothing for a container that was already running.
                if (engine::startContainer(ctx, n)) std::cout << n << std::endl;
            }
            return 0;
        };
    });
}

}  // namespace hutch::cli
