// hutch info [--format json|TEMPLATE], hutch version
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/engine/info.hpp"
#include "hutch/engine/launch/run.hpp"

namespace hutch::cli {
namespace {

// YAML-like output of nested JSON, as podman prints `info`.
void printYaml(const nlohmann::json& j, int indent) {
    std::string pad(static_cast<size_t>(indent), ' ');
    for (auto it = j.begin(); it != j.end(); ++it) {
        const auto& v = it.value();
        if (v.is_object()) {
            std::cout << pad << it.key() << ":\n";
            printYaml(v, indent + 2);
        } else if (v.is_array()) {
            std::cout << pad << it.key() << ":" << (v.empty() ? " []" : "") << "\n";
            for (const auto& e : v) {
                if (e.is_object()) {
                    bool first = true;
                    for (auto f = e.begin(); f != e.end(); ++f) {
                        std::cout << pad << (first ? "- " : "  ") << f.key() << ": "
                                  << (f.value().is_string() ? f.value().get<std::string>() : jsonbytes::dumpReplacing(f.value())) << "\n";
                        first = false;
                    }
                } else
                    std::cout << pad << "- " << (e.is_string() ? e.get<std::string>() : jsonbytes::dumpReplacing(e)) << "\n";
            }
        } else
            std::cout << pad << it.key() << ": " << (v.is_string() ? v.get<std::string>() : jsonbytes::dumpReplacing(v)) << "\n";
    }
}

}  // namespace

void registerInfo(Registry& r) {
    auto format = std::make_shared<std::string>();
    auto* sub = r.app.add_subcommand("info", "Display hutch system information");
    sub->add_option("-f,--format", *format, "Change the output format to JSON or a Go template");
    sub->callback([format, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [format](engine::Context& ctx) {
            auto j = engine::info(ctx);
            if (*format == "json")
                printJson(j);
            else if (!format->empty())
                printTemplate("info", *format, {j});
            else
                printYaml(j, 0);
            return 0;
        };
    });
}

void registerVersion(Registry& r) {
    auto format = std::make_shared<std::string>();
    auto* sub = r.app.add_subcommand("version", "Display the hutch version information");
    sub->add_option("-f,--format", *format, "Change the output format to JSON or a Go template");
    sub->callback([format, &r] {
        r.chosen.needsStore = false;
        r.chosen.action = [format](engine::Context&) {
            nlohmann::json v = {{"Client", {{"Version", engine::version()}, {"OsArch", "linux/amd64"}}}};
            if (*format == "json")
                printJson(v);
            else if (!format->empty())
                printTemplate("version", *format, {v});
            else
                std::cout << "Client:       hutch\nVersion:      " << engine::version() << "\nOS/Arch:      linux/"
#if defined(__x86_64__)
                          << "amd64"
#elif defined(__aarch64__)
                          << "arm64"
#else
                          << "unknown"
#endif
                          << "\n";
            return 0;
        };
    });
}

}  // namespace hutch::cli
