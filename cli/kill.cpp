// hutch kill [-s SIGNAL] CONTAINER...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/launch/lifecycle.hpp"

namespace hutch::cli {

void registerKill(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        std::string signal = "KILL";
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("kill", "Kill one or more running containers with a specific signal");
    sub->add_option("-s,--signal", o->signal, "Signal to send to the container");
    sub->add_option("CONTAINER", o->names, "Containers to signal")->required();
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            for (const auto& n : o->names) {
                engine::killContainer(ctx, n, o->signal);
                std::cout << n << std::endl;
            }
            return 0;
        };
    });
}

}  // namespace hutch::cli
