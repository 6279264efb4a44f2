// hutch save [-o FILE] [--format docker-archive|oci-archive] [-m] [-q] IMAGE [NAME...]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/engine/image/archive.hpp"
#include "hutch/engine/image/progress.hpp"

namespace hutch::cli {

void registerSave(Registry& r) {
    struct Opts {
        std::vector<std::string> args;
        std::string output, format = "docker-archive";
        bool quiet = false, multi = false, compress = false, uncompressed = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("save", "Save image(s) to an archive");
    sub->add_option("-o,--output", o->output, "Write to a specified file (default: stdout, which must be redirected)");
    sub->add_option("--format", o->format, "Save image to oci-archive or docker-archive (default \"docker-archive\")");
    sub->add_flag("-m,--multi-image-archive", o->multi,
                  "Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)");
    sub->add_flag("-q,--quiet", o->quiet, "Suppress the output");
    sub->add_flag("--compress", o->compress, "Compress tarball image layers when saving to a directory (accepted, no effect)");
    sub->add_flag("--uncompressed", o->uncompressed, "Accept uncompressed layers when copying OCI images (accepted)");
    sub->add_option("IMAGE", o->args, "The image(s) to save");
    sub->callback([o, &r] {
        if (o->args.empty()) throw CLI::ValidationError("need at least 1 argument");
        if (o->format != "docker-archive" && o->format != "oci-archive")
            throw CLI::ValidationError("format value must be one of oci-archive docker-archive");
        if (o->output.empty() && ::isatty(STDOUT_FILENO))
            throw CLI::ValidationError("refusing to save to terminal. Use -o flag or redirect");
        r.chosen.action = [o](engine::Context& ctx) {
            engine::SaveRequest req;
            req.format = o->format;
            if (o->multi) {
                if (o->format != "docker-archive")
                    throw InvalidArgument("--multi-image-archive can only be used with the docker-archive format");
                req.images = o->args;
            } else {
                req.images = {o->args.front()};
                req.extraTags.assign(o->args.begin() + 1, o->args.end());
            }
            req.destination = o->output;
            UniqueFd file;
            bool opened = false;
            auto openOutput = [&]() -> int {
                if (o->output.empty()) return STDOUT_FILENO;
                file = UniqueFd(::open(o->output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
                if (!file) throw SysError(errno, "creating " + o->output);
                opened = true;
                return file.get();
            };
            // podman: no progress when the archive goes to stdout.
            auto progress = engine::Progress::forStderr(o->quiet || o->output.empty());
            try {
                engine::saveImages(ctx, req, openOutput, *progress);
            } catch (...) {
                if (opened) ::unlink(o->output.c_str());
                throw;
            }
            return 0;
        };
    });
}

void registerLoad(Registry& r) {
    struct Opts {
        std::string input;
        std::vector<std::string> args;
        bool quiet = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("load", "Load image(s) from a tar archive");
    sub->add_option("-i,--input", o->input, "Read from specified archive file (default: stdin)");
    sub->add_flag("-q,--quiet", o->quiet, "Suppress the output");
    sub->add_option("ARGS", o->args)->group("");  // only to refuse them with podman's words
    sub->callback([o, &r] {
        if (!o->args.empty()) throw CLI::ValidationError("`hutch load` takes no arguments");
        if (o->input.empty() && ::isatty(STDIN_FILENO))
            throw CLI::ValidationError("cannot read from terminal, use command-line redirection or the --input flag");
        r.chosen.action = [o](engine::Context& ctx) {
            UniqueFd file;
            int fd = STDIN_FILENO;
            if (!o->input.empty()) {
                file = UniqueFd(::open(o->input.c_str(), O_RDONLY | O_CLOEXEC));
                if (!file) throw SysError(errno, "stat " + o->input);
                struct stat st {};
                if (::fstat(file.get(), &st) == 0 && S_ISDIR(st.st_mode))
                    throw InvalidArgument("payload does not match any of the supported image formats: read " +
                                          o->input + ": is a directory (only archives are loaded)");
                fd = file.get();
            }
            auto res = engine::loadImages(ctx, fd);
            engine::recordEvent(ctx, "image", "loadfromarchive", "", o->input.empty() ? "/dev/stdin" : o->input, "");
            std::string out;
            for (const auto& n : res.names) out += "Loaded image: " + n + "\n";
            std::fputs(out.c_str(), stdout);
            std::fflush(stdout);
            return 0;
        };
    });
}

}  // namespace hutch::cli
