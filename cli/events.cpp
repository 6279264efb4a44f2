// hutch events / system events: the journal of what hutch did (engine/core/events.hpp), as
// podman 4.3 prints it with its "file" events backend.
#include <time.h>

#include <cstdio>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/core/events.hpp"

namespace hutch::cli {
namespace {

/// podman's default line: "TIME TYPE STATUS ID (image=..., name=..., k=v)" for containers,
/// "TIME image STATUS ID NAME", "TIME volume STATUS NAME", "TIME system STATUS [NAME]".
std::string humanLine(const engine::Event& e, bool truncate) {
    std::string id = truncate && e.id.size() > 12 ? e.id.substr(0, 12) : e.id;
    std::string head = engine::formatEventTimeHuman(e.timeNano) + " " + e.type + " " + e.status;
    if (e.type == "container" || e.type == "pod") {
        std::string s = head + " " + id + " (image=" + e.image + ", name=" + e.name;
        for (const auto& [k, v] : e.attributes) s += ", " + k + "=" + v;
        return s + ")";
    }
    if (e.type == "image") return head + " " + id + " " + e.name;
    if (e.type == "system") return e.name.empty() ? head : head + " " + e.name;
    return head + " " + e.name;
}

/// The fields a --format template sees (podman's events.Event).
gotemplate::Json templateRow(const engine::Event& e) {
    return gotemplate::Json{{"ID", e.id},
                            {"Name", e.name},
                            {"Image", e.image},
                            {"Status", e.status},
                            {"Type", e.type},
                            {"Time", engine::formatEventTimeHuman(e.timeNano)},
                            {"TimeNano", e.timeNano},
                            {"ContainerExitCode", e.exitCode.value_or(0)},
                            {"Attributes", e.attributes},
                            {"PodID", ""},
                            {"HealthStatus", ""},
                            {"Network", ""}};
}

void addEvents(CLI::App* parent, Registry& r) {
    struct Opts {
        std::vector<std::string> filters;
        std::string since, until, format;
        bool stream = true, noTrunc = true;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = parent->add_subcommand("events", "Show hutch events");
    sub->add_option("-f,--filter", o->filters, "filter output")->allow_extra_args(false);
    sub->add_option("--format", o->format, "format the output using a Go template");
    sub->add_option("--since", o->since, "show all events created since timestamp");
    sub->add_option("--until", o->until, "show all events until timestamp");
    sub->add_flag("--stream", o->stream, "stream new events; for testing only");
    sub->add_flag("--no-trunc", o->noTrunc, "do not truncate the output");
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            timespec ts{};
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t now = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
            auto q = engine::EventQuery::parse(o->filters, o->since, o->until, now);
            std::optional<gotemplate::Template> tmpl;
            const bool json = o->format == "json" || o->format == "{{json .}}";
            if (!o->format.empty() && !json) tmpl = gotemplate::Template::parse("events", o->format);
            engine::readEvents(engine::eventsLogPath(ctx), q, o->stream, [&](const engine::Event& e) {
                std::string out;
                if (json) {
                    out = engine::eventToJson(e).dump();
                } else if (tmpl) {
                    out = tmpl->execute(templateRow(e));
                } else {
                    out = humanLine(e, !o->noTrunc);
                }
                if (out.empty() || out.back() != '\n') out += '\n';
                std::fwrite(out.data(), 1, out.size(), stdout);
                std::fflush(stdout);  // a follower's reader sees each event as it happens
            });
            return 0;
        };
    });
}

}  // namespace

void registerEvents(Registry& r) { addEvents(&r.app, r); }
void addSystemEvents(CLI::App* system, Registry& r) { addEvents(system, r); }

}  // namespace hutch::cli
