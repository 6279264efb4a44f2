// hutch build [flags] [CONTEXT]: podman build's flags and output (engine/build/build.hpp).
#include <filesystem>
#include <iostream>
#include <optional>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/build/build.hpp"

namespace hutch::cli {

void registerBuild(Registry& r) {
    auto o = std::make_shared<engine::build::BuildOptions>();
    auto context = std::make_shared<std::vector<std::string>>();
    auto reg = std::make_shared<RegistryFlags>();
    auto* sub = r.app.add_subcommand("build", "Build an image using instructions from Containerfiles");
    sub->alias("build-image");
    sub->add_option("-t,--tag", o->tags, "tagged name to apply to the built image")->allow_extra_args(false);
    sub->add_option("-f,--file", o->file, "pathname or URL of a Dockerfile");
    sub->add_option("--build-arg", o->buildArgs, "argument=value to supply to the builder")->allow_extra_args(false);
    sub->add_option("--target", o->target, "set the target build stage to build");
    sub->add_flag("--no-cache", o->noCache, "Do not use existing cached images for the container build");
    sub->add_flag("--layers", o->layers, "Cache intermediate layers during build");
    sub->add_option("--network", o->network, "Network for RUN instructions (host, none, private)");
    sub->add_option("--format", o->format, "format of the built image's manifest and metadata (oci, docker)");
    sub->add_option("--label", o->labels, "Set metadata for an image")->allow_extra_args(false);
    auto given = std::make_shared<engine::build::BuildFlagsGiven>();
    auto logfile = std::make_shared<std::string>();
    // --pull takes a value only as --pull=VALUE (podman's NoOptDefVal): `--pull x` is --pull and x.
    sub->add_flag("--pull{true}", given->pullValue, "Pull policy: always (true), missing (false), never, newer");
    sub->add_flag("--pull-always", given->pullAlways, "pull the image even if the named image is present in store");
    sub->add_flag("--pull-never", given->pullNever, "do not pull the image, use the image present in store");
    sub->add_option("--ulimit", o->ulimits, "ulimit options (TYPE=SOFT[:HARD]) for RUN")->allow_extra_args(false);
    sub->add_option("--logfile", *logfile, "log to file instead of stdout/stderr");
    sub->add_option("--platform", o->platform, "set the OS/ARCH[/VARIANT] of the image (host only)");
    sub->add_option("--iidfile", o->iidfile, "Write the image ID to the file");
    sub->add_flag("-q,--quiet", o->quiet, "refrain from announcing build instructions and image read/write progress");
    sub->add_flag("--squash", o->squash, "squash newly built layers into a single new layer");
    sub->add_flag("--squash-all", o->squashAll, "Squash all layers into a single layer");
    addRegistryFlags(sub, *reg);
    sub->add_option("CONTEXT", *context, "build context directory")->expected(0, 1);
    sub->callback([o, context, given, logfile, sub, reg, &r] {
        o->tlsVerify = reg->tls();
        o->authFile = reg->authFile;
        // Relative paths are made absolute (and the context normalized) once, here, so the
        // builder's messages and its joins with Dockerfile paths see one spelling.
        namespace fs = std::filesystem;
        if (!context->empty()) o->contextDir = context->front();
        else if (o->file == "-") o->contextDir.clear();  // no context: an empty one
        if (!o->contextDir.empty() && o->contextDir != "-") o->contextDir = fs::absolute(o->contextDir).lexically_normal().string();
        if (o->contextDir.size() > 1 && o->contextDir.back() == '/') o->contextDir.pop_back();
        if (!o->file.empty() && o->file != "-" && fs::exists(o->file)) o->file = fs::absolute(o->file).string();
        if (!o->iidfile.empty()) o->iidfile = fs::absolute(o->iidfile).string();
        if (!logfile->empty()) *logfile = fs::absolute(*logfile).string();
        given->pull = sub->count("--pull") > 0;
        given->layers = sub->count("--layers") > 0;
        r.chosen.action = [o, given, logfile](engine::Context& ctx) {
            engine::build::applyFlagRules(*o, *given);
            std::optional<engine::build::OutputToFile> log;
            if (!logfile->empty()) log.emplace(*logfile);
            if (o->network == "default" || o->network.empty()) o->network = "host";
            std::string id = engine::build::buildImage(ctx, *o, std::cout);
            std::cout << id << std::endl;
            return 0;
        };
    });
}

}  // namespace hutch::cli
