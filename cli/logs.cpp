// hutch logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER
#include <chrono>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/engine/launch/lifecycle.hpp"

namespace hutch::cli {

void registerLogs(Registry& r) {
    struct Opts {
        std::string name;
        engine::LogOptions log;
        std::string since, until;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("logs", "Fetch the logs of a container");
    sub->add_flag("-f,--follow", o->log.follow, "Follow log output");
    sub->add_option("--tail", o->log.tail, "Output the specified number of LINES at the end of the logs");
    sub->add_option("--since", o->since, "Show logs since TIMESTAMP (RFC 3339, Unix time or a duration such as 10m)");
    sub->add_option("--until", o->until, "Show logs until TIMESTAMP (RFC 3339, Unix time or a duration such as 10m)");
    sub->add_flag("-t,--timestamps", o->log.timestamps, "Output the timestamps in the log");
    sub->add_option("CONTAINER", o->name, "Container")->required();
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            std::cout << std::flush;
            engine::LogOptions opts = o->log;
            int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
            // A duration counts back from now for both ends (podman logs).
            if (!o->since.empty()) opts.sinceNs = engine::parseEventTimeInput(o->since, true, now);
            if (!o->until.empty()) opts.untilNs = engine::parseEventTimeInput(o->until, true, now);
            engine::printLogs(ctx, o->name, opts);
            return 0;
        };
    });
}

}  // namespace hutch::cli
