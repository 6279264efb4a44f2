// hutch commit [-f oci|docker] [-m MSG] [-a AUTHOR] [-c CHANGE]... [-p] [-q] [--iidfile F] CONTAINER [IMAGE]
// -p is accepted and does nothing: the layer is read from the upper dir (overlay) or the tree
// (vfs) while the container runs, a snapshot of files being written may be torn.
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/image/container_commit.hpp"
#include "hutch/engine/image/images.hpp"

namespace hutch::cli {

void registerCommit(Registry& r) {
    struct Opts {
        engine::CommitOptions c;
        std::vector<std::string> args;
        std::string iidfile;
        bool pause = false, quiet = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("commit", "Create new image based on the changed container");
    sub->add_option("-f,--format", o->c.format, "Format of the image manifest and metadata (oci or docker)");
    sub->add_option("-m,--message", o->c.message, "Set commit message for imported image");
    sub->add_option("-a,--author", o->c.author, "Set the author for the image committed");
    sub->add_option("-c,--change", o->c.changes, "Apply the following possible instructions to the created image "
                                                 "(default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | "
                                                 "ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR")
        ->allow_extra_args(false);
    sub->add_flag("-p,--pause", o->pause, "Pause container during commit");
    sub->add_flag("-q,--quiet", o->quiet, "Suppress output");
    sub->add_option("--iidfile", o->iidfile, "`file` to write the image ID to");
    sub->add_option("CONTAINER IMAGE", o->args, "Container and new image name");
    sub->callback([o, &r] {
        if (o->args.empty() || o->args.size() > 2)
            throw CLI::ValidationError("accepts between 1 and 2 arg(s), received " + std::to_string(o->args.size()));
        o->c.container = o->args[0];
        if (o->args.size() == 2) o->c.image = o->args[1];
        r.chosen.action = [o](engine::Context& ctx) {
            std::string id = engine::commitContainer(ctx, o->c);
            if (!o->quiet) {
                std::cerr << "Getting image source signatures\n";
                for (const auto& d : engine::imageInfo(ctx, id).layerDiffIds) std::cerr << "Copying blob " << d << "\n";
                std::cerr << "Copying config sha256:" << id << "\nWriting manifest to image destination\n"
                          << "Storing signatures\n"
                          << std::flush;
            }
            if (!o->iidfile.empty()) fsutil::writeFileAtomic(o->iidfile, "sha256:" + id, 0644);
            std::cout << id << std::endl;
            return 0;
        };
    });
}

}  // namespace hutch::cli
