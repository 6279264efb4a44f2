// hutch stop [-t SECONDS] CONTAINER...; hutch restart [-t SECONDS] CONTAINER...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/launch/lifecycle.hpp"

namespace hutch::cli {

void registerStop(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        int timeout = -1;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("stop", "Stop one or more containers");
    sub->add_option("-t,--time", o->timeout, "Seconds to wait for stop before killing the container");
    sub->add_option("CONTAINER", o->names, "Containers to stop")->required();
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            int rc = 0;
            for (const auto& n : o->names) {
                try {
                    engine::stopContainer(ctx, n, o->timeout >= 0 ? std::optional<int>(o->timeout) : std::nullopt);
                    std::cout << n << std::endl;
                } catch (const NotFound& e) {
                    std::cerr << "Error: " << e.what() << std::endl;
                    rc = 125;
                }
            }
            return rc;
        };
    });
}

void registerRestart(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        int timeout = -1;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("restart", "Restart one or more containers");
    sub->add_option("-t,--time", o->timeout, "Seconds to wait for stop before killing the container");
    sub->add_option("CONTAINER", o->names, "Containers to restart")->required();
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            for (const auto& n : o->names) {
                engine::stopContainer(ctx, n, o->timeout >= 0 ? std::optional<int>(o->timeout) : std::nullopt);
                engine::startContainer(ctx, n);
                std::cout << n << std::endl;
            }
            return 0;
        };
    });
}

}  // namespace hutch::cli
