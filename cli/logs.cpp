// hutch logs [-f] [--tail N] CONTAINER
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/launch/lifecycle.hpp"

namespace hutch::cli {

void registerLogs(Registry& r) {
    struct Opts {
        std::string name;
        bool follow = false;
        int tail = -1;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("logs", "Fetch the logs of a container");
    sub->add_flag("-f,--follow", o->follow, "Follow log output");
    sub->add_option("--tail", o->tail, "Output the specified number of LINES at the end of the logs");
    sub->add_option("CONTAINER", o->name, "Container")->required();
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            std::cout << std::flush;
            engine::printLogs(ctx, o->name, o->follow, o->tail);
            return 0;
        };
    });
}

}  // namespace hutch::cli
