// hutch cp [-a/--archive[=false]] [--overwrite] SRC DST  (podman cp)
#include <unistd.h>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/copy.hpp"

namespace hutch::cli {

void registerCp(Registry& r) {
    struct Opts {
        engine::CopyOptions c;
        std::vector<std::string> args;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
    sub->add_flag("-a,--archive", o->c.archive, "Chown copied files to the primary uid/gid of the destination container.");
    sub->add_flag("--overwrite", o->c.overwrite, "Allow to overwrite directories with non-directories and vice versa");
    sub->add_option("SRC DST", o->args, "[CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH (\"-\": a tar on stdin/stdout)");
    sub->callback([o, &r] {
        if (o->args.size() != 2)
            throw CLI::ValidationError("accepts 2 arg(s), received " + std::to_string(o->args.size()));
        o->c.source = o->args[0];
        o->c.destination = o->args[1];
        r.chosen.action = [o](engine::Context& ctx) {
            engine::copyFiles(ctx, o->c, STDIN_FILENO, STDOUT_FILENO);
            return 0;
        };
    });
}

}  // namespace hutch::cli
