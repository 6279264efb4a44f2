// hutch healthcheck run CONTAINER: runs the container's health check once, now.
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/launch/healthcheck.hpp"

namespace hutch::cli {

void registerHealthcheck(Registry& r) {
    auto* group = r.app.add_subcommand("healthcheck", "Manage health checks on containers");
    group->require_subcommand(1);
    auto name = std::make_shared<std::string>();
    auto* run = group->add_subcommand("run", "Run the health check of a container");
    run->add_option("CONTAINER", *name, "The container to check")->required();
    run->callback([name, &r] {
        // Reads records only (the result goes to the container's health file).
        r.chosen.readOnly = true;
        r.chosen.action = [name](engine::Context& ctx) {
            if (engine::runHealthcheck(ctx, *name)) return 0;
            std::cout << "unhealthy" << std::endl;
            return 1;
        };
    });
}

}  // namespace hutch::cli
