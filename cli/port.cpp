// hutch port [-a] CONTAINER [PRIVATE_PORT[/PROTO]]
#include <algorithm>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/spec/netconf.hpp"

namespace hutch::cli {

void registerPort(Registry& r) {
    struct Opts {
        std::string name, privatePort;
        bool all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("port", "List port mappings or a specific mapping for the container");
    sub->add_flag("-a,--all", o->all, "Display port information for all containers");
    sub->add_option("CONTAINER", o->name, "Container");
    sub->add_option("PRIVATE_PORT", o->privatePort, "Container port[/protocol]");
    sub->callback([o, &r] {
        if (o->all && !o->name.empty()) throw CLI::ValidationError("no arguments are needed with --all");
        if (!o->all && o->name.empty()) throw CLI::ValidationError("you must supply a running container name or id");
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            if (o->all) {
                // podman: the running containers with published ports, by id, each line
                // prefixed with the short id and a tab.
                auto all = engine::listContainers(ctx);
                std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
                for (const auto& c : all) {
                    if (c.status != engine::ContainerStatus::Running) continue;
                    for (const auto& l : engine::portLines(c.config.net.ports))
                        std::cout << c.id.substr(0, 12) << "\t" << l << "\n";
                }
                return 0;
            }
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
