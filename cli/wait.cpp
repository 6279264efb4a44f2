// hutch wait CONTAINER...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/launch/lifecycle.hpp"

namespace hutch::cli {

void registerWait(Registry& r) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto* sub = r.app.add_subcommand("wait", "Block on one or more containers");
    sub->add_option("CONTAINER", *names, "Containers to wait for")->required();
    sub->callback([names, &r] {
        r.chosen.action = [names](engine::Context& ctx) {
            for (const auto& n : *names) std::cout << engine::waitContainer(ctx, n) << std::endl;
            return 0;
        };
    });
}

}  // namespace hutch::cli
