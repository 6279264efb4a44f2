// hutch port CONTAINER [PRIVATE_PORT[/PROTO]]
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/spec/netconf.hpp"

namespace hutch::cli {

void registerPort(Registry& r) {
    struct Opts {
        std::string name, privatePort;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("port", "List port mappings or a specific mapping for the container");
    sub->add_option("CONTAINER", o->name, "Container")->required();
    sub->add_option("PRIVATE_PORT", o->privatePort, "Container port[/protocol]");
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            engine::ContainerRecord rec = engine::loadContainer(ctx, o->name);
            auto lines = engine::portLines(rec.config.net.ports);
            if (o->privatePort.empty()) {
                for (const auto& l : lines) std::cout << l << "\n";
                return 0;
            }
            // podman prints only the host side for one port: "0.0.0.0:8080".
            std::string key = o->privatePort.find('/') == std::string::npos ? o->privatePort + "/tcp" : o->privatePort;
            for (const auto& l : lines)
                if (l.rfind(key + " -> ", 0) == 0) {
                    std::cout << l.substr(key.size() + 4) << "\n";
                    return 0;
                }
            throw Error("failed to find published port \"" + o->privatePort + "\"");
        };
    });
}

}  // namespace hutch::cli
