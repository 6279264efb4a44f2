// hutch wait [--condition STATE]... [-i INTERVAL] CONTAINER...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/launch/lifecycle.hpp"

namespace hutch::cli {

void registerWait(Registry& r) {
    struct Opts {
        std::vector<std::string> names, conditions;
        std::string interval = "250ms";
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("wait", "Block on one or more containers");
    sub->add_option("--condition", o->conditions, "Condition to wait on")->delimiter(',')->allow_extra_args(false);
    sub->add_option("-i,--interval", o->interval, "Time Interval to wait before polling for completion");
    sub->add_option("CONTAINER", o->names, "Containers to wait for");
    sub->callback([o, &r] {
        if (o->names.empty()) throw CLI::ValidationError("\"hutch wait\" requires a name, id, or the \"--latest\" flag");
        r.chosen.action = [o](engine::Context& ctx) {
            auto interval = engine::parseWaitInterval(o->interval);
            engine::checkWaitConditions(o->conditions);
            // Every container must exist before any is waited for (podman's order).
            std::vector<std::string> ids;
            for (const auto& n : o->names) ids.push_back(engine::loadContainer(ctx, n).id);
            std::vector<std::string> errors;
            for (const auto& id : ids) {
                try {
                    std::cout << engine::waitContainerCondition(ctx, id, o->conditions, interval) << std::endl;
                } catch (const Error& e) {
                    errors.push_back(e.what());
                }
            }
            for (const auto& e : errors) std::cerr << "Error: " << e << std::endl;
            return errors.empty() ? 0 : 125;
        };
    });
}

}  // namespace hutch::cli
