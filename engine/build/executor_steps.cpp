// The build executor's steps that touch a rootfs: COPY/ADD, WORKDIR, RUN, and --squash.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <tuple>

#include "hutch/builder/dockerfile_parser.hpp"
#include "hutch/builder/dockerignore.hpp"
#include "hutch/builder/instructions.hpp"
#include "hutch/common/digest.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/build/build.hpp"
#include "hutch/engine/build/executor.hpp"
#include "hutch/engine/build/build_cache.hpp"
#include "hutch/engine/build/config_step.hpp"
#include "hutch/engine/build/copy_step.hpp"
#include "hutch/engine/build/fetch.hpp"
#include "hutch/engine/build/working_container.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/image/image_commit.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/image/progress.hpp"
#include "hutch/engine/image/pull.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/registry/reference.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine::build {


namespace detail {


std::unique_ptr<Executor::CopyPlan> Executor::planCopy(const Instruction& in) {
    const auto* cp = in.as<CopyInstr>();
    const auto* ad = in.as<AddInstr>();
    const std::string kw = cp ? "COPY" : "ADD";
    const auto& sources = cp ? cp->sources : ad->sources;
    const auto& inlineFiles = cp ? cp->inlineFiles : ad->inlineFiles;
    const std::string dest = cp ? cp->dest : ad->dest;
    const std::string from = cp ? cp->from : "";
    if (sources.size() + inlineFiles.size() > 1 && (dest.empty() || dest.back() != '/'))
        throw errorAt(in.startLine, "When using " + kw +
                                        " with more than one source file, the destination must be a directory and end with a /");
    auto plan = std::make_unique<CopyPlan>();
    plan->root = SourceRoot{contextFd_.get(), contextDir_, &ignore_};
    if (!from.empty()) {
        std::string imageId;
        std::string lower = from;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::string unknown = kw + " --from=" + from + ": no stage or image found with that name";
        if (from.find_first_not_of("0123456789") == std::string::npos) {
            size_t idx = std::stoul(from);
            if (idx >= stageImages_.size()) throw errorAt(in.startLine, unknown);
            imageId = stageImages_[idx];
        } else {
            for (size_t i = 0; i < stageImages_.size(); ++i)
                if (df_.stages[i].from.stageName == lower) imageId = stageImages_[i];
            if (imageId.empty()) {
                for (const auto& s : df_.stages)
                    if (s.from.stageName == lower) throw errorAt(in.startLine, unknown);
                try {
                    imageId = resolveBase(from, in.startLine);
                } catch (const std::exception& e) {
                    throw errorAt(in.startLine, unknown + " (" + e.what() + ")");
                }
            }
        }
        if (imageId.empty()) throw errorAt(in.startLine, kw + " --from=" + from + ": the stage has no content (scratch)");
        plan->fromCtr = std::make_unique<WorkingContainer>(ctx_, imageId, owner().tag());
        std::string p = plan->fromCtr->mount();
        plan->fromFd.reset(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!plan->fromFd) throw SysError(errno, "open " + p);
        plan->root = SourceRoot{plan->fromFd.get(), from, nullptr};
    }
    // URLs and heredoc sources are staged in a temporary directory, one subdirectory each.
    std::vector<std::string> staged, local;
    for (const auto& s : sources)
        (ad && isUrl(s) ? staged : local).push_back(s);
    if (!staged.empty() || !inlineFiles.empty()) {
        fsutil::TempDir::removeStale(ctx_.store().runRoot(), "build-tmp-");  // left by a killed build
        plan->tmp = std::make_unique<fsutil::TempDir>(ctx_.store().runRoot(), "build-tmp-");
        const std::string& t = plan->tmp->path();
        std::vector<std::string> names;
        for (size_t i = 0; i < staged.size(); ++i) {
            std::string dir = "u" + std::to_string(i);
            fsutil::mkdirAll(t + "/" + dir, 0755);
            std::string name = fetchUrl(staged[i], t + "/" + dir + "/.download");
            if (name.empty()) name = "download";
            if (ad && !ad->checksum.empty()) {  // ADD --checksum=sha256:<hex>
                Digest want;
                try {
                    want = Digest::parse(ad->checksum);
                } catch (const std::exception& e) {
                    throw errorAt(in.startLine, "invalid --checksum " + ad->checksum + ": " + e.what());
                }
                Digest got = Digest::sha256Of(fsutil::readFile(t + "/" + dir + "/.download"));
                if (want != got)
                    throw errorAt(in.startLine, "ADD " + staged[i] + ": digest mismatch: expected " + want.str() +
                                                    ", got " + got.str());
            }
            checkSys(::rename((t + "/" + dir + "/.download").c_str(), (t + "/" + dir + "/" + name).c_str()),
                     "rename " + name);
            names.push_back(dir + "/" + name);
        }
        for (size_t i = 0; i < inlineFiles.size(); ++i) {
            std::string dir = "h" + std::to_string(i);
            fsutil::mkdirAll(t + "/" + dir, 0755);
            fsutil::writeFileAtomic(t + "/" + dir + "/" + inlineFiles[i].path, inlineFiles[i].data, 0644,
                                    fsutil::Sync::Volatile);
            names.push_back(dir + "/" + inlineFiles[i].path);
        }
        plan->tmpFd.reset(::open(t.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!plan->tmpFd) throw SysError(errno, "open " + t);
        plan->tmpRoot = SourceRoot{plan->tmpFd.get(), t, nullptr};
        plan->stagedSrc = resolveSources(plan->tmpRoot, names);
    }
    try {
        if (!local.empty()) plan->localSrc = resolveSources(plan->root, local);
    } catch (const NotFound& e) {
        throw errorAt(in.startLine, "building at STEP \"" + stepText(in) + "\": checking on sources under \"" +
                                        plan->root.shown + "\": " + e.what());
    }
    std::string h = plan->localSrc.empty() ? "" : contentHash(plan->root, plan->localSrc);
    if (!plan->stagedSrc.empty()) {
        std::string h2 = contentHash(plan->tmpRoot, plan->stagedSrc);
        h = h.empty() ? h2 : "multi:" + Digest::sha256Of(h + h2).encoded;
    }
    if (plan->localSrc.size() + plan->stagedSrc.size() > 1) h = "multi:" + h.substr(h.find(':') + 1);
    plan->summary = h;
    return plan;
}

std::optional<storage::Layer> Executor::doCopy(Stage& st, const Instruction& in, CopyPlan& plan) {
    const auto* cp = in.as<CopyInstr>();
    const auto* ad = in.as<AddInstr>();
    const std::string chown = cp ? cp->chown : ad->chown;
    const std::string chmodStr = cp ? cp->chmod : ad->chmod;
    WorkingContainer wc(ctx_, ensureImage(st), owner().tag());
    std::string rootfs = wc.mount();
    UniqueFd rootFd(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!rootFd) throw SysError(errno, "open " + rootfs);
    CopyOptions co;
    co.dest = cp ? cp->dest : ad->dest;
    co.workdir = st.config.contains("config") ? st.config["config"].value("WorkingDir", std::string()) : "";
    co.extractArchives = ad != nullptr;
    if (!chown.empty()) {
        try {
            std::tie(co.uid, co.gid) = copyOwner(rootfs, chown);
        } catch (const std::exception& e) {
            throw errorAt(in.startLine, "--chown=" + chown + ": " + e.what());
        }
    }
    if (!chmodStr.empty()) {
        char* end = nullptr;
        unsigned long m = std::strtoul(chmodStr.c_str(), &end, 8);
        if (!end || *end || m > 07777) throw errorAt(in.startLine, "invalid --chmod value " + chmodStr);
        co.chmod = static_cast<mode_t>(m);
    }
    if (plan.localSrc.size() + plan.stagedSrc.size() > 1 && co.dest.back() != '/') co.dest += '/';
    if (!plan.localSrc.empty()) copyInto(rootFd.get(), rootfs, plan.root, plan.localSrc, co);
    if (!plan.stagedSrc.empty()) {
        CopyOptions c2 = co;
        c2.extractArchives = false;  // downloaded and heredoc sources are never extracted
        copyInto(rootFd.get(), rootfs, plan.tmpRoot, plan.stagedSrc, c2);
    }
    rootFd.reset();
    return wc.commit();
}

std::optional<storage::Layer> Executor::doWorkdir(Stage& st) {
    std::string dir = st.config["config"].value("WorkingDir", std::string("/"));
    WorkingContainer wc(ctx_, ensureImage(st), owner().tag());
    std::string rootfs = wc.mount();
    UniqueFd rootFd(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!rootFd) throw SysError(errno, "open " + rootfs);
    mkdirInRoot(rootFd.get(), dir);
    rootFd.reset();
    return wc.commit();
}

std::optional<storage::Layer> Executor::doRun(Stage& st, const Instruction& in) {
    const auto* r = in.as<RunInstr>();
    CommandLine cmd = r->cmd;
    if (cmd.prependShell && !cmd.files.empty() && !cmd.args.empty()) {
        // `RUN <<EOF` alone: the heredoc is the script; otherwise the shell reads the heredocs.
        Heredoc h;
        std::string line = str::trim(cmd.args[0]);
        if (cmd.files.size() == 1 && parseHeredocWord(line, h)) {
            cmd.args[0] = cmd.files[0].content;
        } else {
            for (const auto& f : cmd.files) line += "\n" + f.content + f.name;
            cmd.args[0] = line;
        }
    }
    ContainerConfig cfg;
    cfg.command = runArgv(cmd, st.config);
    cfg.entrypoint = std::vector<std::string>{};
    cfg.network = !r->network.empty() && r->network != "default" ? r->network : o_.network;
    cfg.proc.ulimits = o_.ulimits;
    cfg.systemd = "false";
    auto env = envMap(st.config);
    for (const auto& [k, v] : st.args)
        if (v && !env.count(k)) cfg.env.push_back(k + "=" + *v);
    std::string image = ensureImage(st);
    std::cout.flush();
    try {
        return runInContainer(ctx_, image, cfg, owner().tag());
    } catch (const CommandError& e) {
        throw CommandError(e.exitCode(), "building at STEP \"" + stepText(in) + "\": " + e.what());
    }
}

namespace {

/// A layer with no change on `parent` (the image-spec's empty tar: two zero blocks), made
/// as Store::commitContainer would make it.
storage::Layer emptyLayer(storage::Store& store, const std::string& parent) {
    const std::string tar(1024, '\0');
    const Digest diff = Digest::sha256Of(tar);
    const std::string id = parent.empty() ? diff.encoded : Digest::sha256Of("sha256:" + parent + " " + diff.str()).encoded;
    size_t off = 0;
    return store.createLayer(
        id, parent,
        [&](void* b, size_t n) -> size_t {
            size_t k = std::min(n, tar.size() - off);
            std::memcpy(b, tar.data() + off, k);
            off += k;
            return k;
        },
        diff, Digest{});
}

}  // namespace

/// --squash (`all` false): the layers the target stage added on its base become one layer
/// on it, written even when empty, as podman's; a stage without instructions is left as it
/// is. --squash-all: the whole image as one layer. The layer is the difference between a
/// container of the base (or of an empty image) made equal to the built image (syncTree)
/// and that base. History as podman's: the base's entries (not with --squash-all), then
/// the stage's, each marked empty_layer but the last, which carries the layer.
std::string Executor::squash(const std::string& baseId, const std::string& finalId, bool all, bool hasSteps) {
    auto& store = ctx_.store();
    if (!store.lookupImage(finalId)) throw NotFound("image " + finalId + " not found");
    if (!all && !hasSteps) return finalId;
    const json finalConfig = imageInfo(ctx_, finalId).config;
    const json baseHistory = baseId.empty() ? json::array() : imageInfo(ctx_, baseId).config.value("history", json::array());
    const json history = finalConfig.value("history", json::array());
    const std::string onto = all ? "" : baseId;
    Stage scratch;
    scratch.config = initialConfig(std::nullopt);
    std::string dstImage = onto.empty() ? ensureImage(scratch) : onto;
    WorkingContainer src(ctx_, finalId, owner().tag()), dst(ctx_, dstImage, owner().tag());
    std::string sp = src.mount(), dp = dst.mount();
    {
        UniqueFd sfd(::open(sp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        UniqueFd dfd(::open(dp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!sfd || !dfd) throw SysError(errno, "open the rootfs to squash");
        syncTree(sfd.get(), dfd.get());
    }
    auto layer = dst.commit();
    if (!layer) layer = emptyLayer(store, onto.empty() ? "" : store.lookupImage(onto)->topLayer);
    json h = all ? json::array() : baseHistory;
    json last = {{"created", nowRfc3339()}, {"created_by", "/bin/sh"}};
    for (size_t i = baseHistory.size(); i < history.size(); ++i) {
        if (i + 1 == history.size()) {
            last = history[i];
            break;
        }
        json e = history[i];
        e["empty_layer"] = true;
        h.push_back(e);
    }
    last.erase("empty_layer");
    ImageCommit c;
    c.baseImageId = onto;
    c.layer = layer;
    c.config = finalConfig;
    c.config["history"] = h;
    c.historyEntry = last;
    c.format = o_.format;
    std::string id = commitImage(ctx_, c);
    out_ << "--> " << id.substr(0, 11) << "\n";
    return id;
}

}  // namespace detail
}  // namespace hutch::engine::build
