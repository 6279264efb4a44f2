// hutch import [-c CHANGE]... [-m MSG] [-q] FILE|- [REFERENCE]
// hutch export [-o FILE] CONTAINER
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/engine/image/import_export.hpp"

namespace hutch::cli {

void registerImport(Registry& r) {
    struct Opts {
        engine::ImportOptions i;
        std::vector<std::string> args;
        bool quiet = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("import", "Import a tarball to create a filesystem image");
    sub->add_option("-c,--change", o->i.changes, "Apply the following possible instructions to the created image "
                                                 "(default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | "
                                                 "ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR")
        ->allow_extra_args(false);
    sub->add_option("-m,--message", o->i.message, "Set commit message for imported image");
    sub->add_flag("-q,--quiet", o->quiet, "Suppress output");
    sub->add_option("PATH REFERENCE", o->args, "The tarball (or - for stdin) and the new image's name");
    sub->callback([o, &r] {
        if (o->args.empty() || o->args.size() > 2)
            throw CLI::ValidationError("accepts between 1 and 2 arg(s), received " + std::to_string(o->args.size()));
        o->i.source = o->args[0];
        if (o->i.source.rfind("http://", 0) == 0 || o->i.source.rfind("https://", 0) == 0)
            throw CLI::ValidationError("importing from a URL is not supported: download " + o->i.source + " first");
        if (o->args.size() == 2) o->i.reference = o->args[1];
        r.chosen.action = [o](engine::Context& ctx) {
            std::string id = engine::importImage(ctx, o->i);
            if (!o->quiet) {
                std::cerr << "Getting image source signatures\nCopying config sha256:" << id
                          << "\nWriting manifest to image destination\nStoring signatures\n"
                          << std::flush;
            }
            std::cout << "sha256:" << id << std::endl;
            return 0;
        };
    });
}

void registerExport(Registry& r) {
    struct Opts {
        std::string container, output;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("export", "Export container's filesystem contents as a tar archive");
    sub->add_option("-o,--output", o->output, "Write to a specified file (default: stdout, which must be redirected)");
    sub->add_option("CONTAINER", o->container, "The container")->required();
    sub->callback([o, &r] {
        if (o->output.empty() && ::isatty(STDOUT_FILENO))
            throw CLI::ValidationError("refusing to export to terminal. Use -o flag or redirect");
        r.chosen.action = [o](engine::Context& ctx) {
            writeStreamTo(o->output, "creating " + o->output,
                          [&](const auto& write) { engine::exportContainer(ctx, o->container, write); });
            return 0;
        };
    });
}

}  // namespace hutch::cli
