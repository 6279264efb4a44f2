// The build executor: stages in order, one step per instruction, cache lookups, commits.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

#include "hutch/builder/dockerfile_parser.hpp"
#include "hutch/builder/dockerignore.hpp"
#include "hutch/builder/instructions.hpp"
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
#include "hutch/engine/core/events.hpp"
#include "hutch/engine/image/image_commit.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/image/progress.hpp"
#include "hutch/engine/image/pull.hpp"
#include "hutch/engine/image/tag.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/storage/applier.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine::build {
using json = nlohmann::json;
using namespace builder;

std::string normalizeTag(const std::string& name) { return normalizeLocalName(name); }

namespace detail {

SignalDefer::SignalDefer() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set, sig);
    ::pthread_sigmask(SIG_BLOCK, &set, &old_);
}

SignalDefer::~SignalDefer() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

Executor::Executor(Context& ctx, const BuildOptions& o, std::ostream& out)
    : ctx_(ctx), o_(o), out_(o.quiet ? null_ : out),
      cache_(ctx.store().graphRoot() + "/build-cache.json",
             [&ctx](const std::string& id) { return ctx.store().lookupImage(id).has_value(); }) {}

Executor::~Executor() {
    for (const auto& id : helpers_) {
        try {
            if (ctx_.store().lookupImage(id)) ctx_.store().removeImage(id);
        } catch (const std::exception& e) {
            log::debug("build: removing helper image {}: {}", id, e.what());
        }
    }
}

namespace {

/// Reads all of fd 0, passing it to `sink` piece by piece; returns the byte count. Throws
/// InvalidArgument when stdin is a terminal (`what` names the flag that reads it), SysError
/// for a read error, and what `sink` throws.
uint64_t readStdin(const std::string& what, const std::function<void(const char*, size_t)>& sink) {
    if (::isatty(0))
        throw InvalidArgument(what + " reads stdin, which is a terminal: pipe or redirect the input into hutch");
    char buf[65536];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError(errno, "read stdin (" + what + ")");
        if (n == 0) return total;
        sink(buf, static_cast<size_t>(n));
        total += static_cast<uint64_t>(n);
    }
}

}  // namespace

/// The context of `build -` (stdin: a tar archive of it, else the Containerfile alone, as
/// podman's) and of `-f -` without a context directory (empty), in a temporary directory
/// of the graph root.
void Executor::prepareContext() {
    contextDir_ = o_.contextDir;
    if (!contextDir_.empty() && contextDir_ != "-") return;
    if (contextDir_ == "-" && o_.file == "-")
        throw InvalidArgument("build -f - -: the Containerfile and the context cannot both be read from stdin");
    const std::string parent = ctx_.store().graphRoot();
    fsutil::TempDir::removeStale(parent, "build-context-");  // left by a killed build
    contextTmp_ = std::make_unique<fsutil::TempDir>(parent, "build-context-");
    contextDir_ = contextTmp_->path() + "/context";
    fsutil::mkdirAll(contextDir_, 0755);
    if (o_.contextDir.empty()) return;
    const std::string data = contextTmp_->path() + "/stdin";
    UniqueFd fd(::open(data.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw SysError(errno, "create " + data);
    auto toFile = [&](const char* b, size_t n) {
        for (size_t off = 0; off < n;) {
            ssize_t w = ::write(fd.get(), b + off, n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) throw SysError(errno, "write " + data);
            off += static_cast<size_t>(w);
        }
    };
    if (readStdin("build -", toFile) == 0)
        throw InvalidArgument("build -: stdin is empty: expected a Containerfile or a tar archive of the build context");
    if (!looksLikeArchive(fd.get())) {  // the Containerfile itself
        fd.reset();
        checkSys(::rename(data.c_str(), (contextDir_ + "/Dockerfile").c_str()), "rename " + data);
        return;
    }
    checkSys(static_cast<int>(::lseek(fd.get(), 0, SEEK_SET)), "seek " + data);
    try {
        int f = fd.get();
        storage::applyLayer(contextDir_, [f](void* b, size_t len) -> size_t {
            for (;;) {
                ssize_t r = ::read(f, b, len);
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) throw SysError(errno, "read the context archive");
                return static_cast<size_t>(r);
            }
        });
    } catch (const Error& e) {
        throw InvalidArgument(std::string("build -: the build context archive on stdin: ") + e.what());
    }
}

void Executor::loadInputs() {
    prepareContext();
    struct stat st {};
    if (::stat(contextDir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw InvalidArgument("context directory " + contextDir_ + ": no such directory");
    std::string path = o_.file;
    if (path.empty()) {
        for (const char* n : {"Containerfile", "Dockerfile"})
            if (fsutil::exists(fsutil::join(contextDir_, n))) {
                path = fsutil::join(contextDir_, n);
                break;
            }
        if (path.empty())
            throw InvalidArgument("no Containerfile or Dockerfile specified or found in context directory, " +
                                  (o_.contextDir == "-" ? std::string("the archive on stdin") : contextDir_) +
                                  ": no such file or directory");
    } else if (path != "-" && !fsutil::exists(path) && fsutil::exists(fsutil::join(contextDir_, path))) {
        path = fsutil::join(contextDir_, path);
    }
    std::string text;
    if (path == "-") {
        readStdin("-f -", [&text](const char* b, size_t n) { text.append(b, n); });
        if (text.find_first_not_of(" \t\r\n") == std::string::npos)
            throw InvalidArgument("no stages to build: the Containerfile read from stdin (-f -) is empty");
    } else {
        try {
            text = fsutil::readFile(path);
        } catch (const NotFound&) {
            throw InvalidArgument("the Containerfile " + path + ": no such file or directory");
        }
    }
    fileShown_ = path == "-" ? "stdin" : path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    df_ = loadDockerfile(text, fileShown_);
    lexer_.escapeToken = static_cast<char32_t>(df_.escapeToken);
    for (const auto& w : df_.warnings) log::warn("{}", w);
    for (const auto& a : o_.buildArgs) {
        bool found = false;
        auto [k, v] = str::cut(a, '=', &found);
        if (found) {
            cliArgs_[k] = v;
        } else if (const char* e = std::getenv(k.c_str())) {
            cliArgs_[k] = e;
        }
    }
    for (const auto& l : o_.labels) {
        if (l.find('=') == std::string::npos) labels_.push_back(l + "=");
        else labels_.push_back(l);
    }
    for (const auto& t : o_.tags) tags_.push_back(normalizeTag(t));
    // ARGs before the first FROM (only FROM lines see them, unless redeclared in a stage).
    for (const auto& a : df_.metaArgs) {
        auto env = [this](const std::string& k) -> std::optional<std::string> {
            auto it = metaArgs_.find(k);
            return it == metaArgs_.end() ? std::nullopt : it->second;
        };
        std::optional<std::string> v;
        if (auto it = cliArgs_.find(a.key); it != cliArgs_.end()) v = it->second;
        else if (a.value) v = expandWordAt(lexer_, *a.value, env, fileShown_, 0);
        metaArgs_[a.key] = v;
    }
    ignore_ = DockerIgnore::load(contextDir_);
    contextFd_.reset(::open(contextDir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!contextFd_) throw SysError(errno, "open " + contextDir_);
}

std::optional<std::string> Executor::expandedArg(const std::string& key) const {
    auto it = metaArgs_.find(key);
    return it == metaArgs_.end() ? std::nullopt : it->second;
}

EnvLookup Executor::envFor(const Stage& st) const {
    auto env = envMap(st.config);
    ArgMap args = st.args;
    return [env, args](const std::string& k) -> std::optional<std::string> {
        if (auto it = env.find(k); it != env.end()) return it->second;
        if (auto it = args.find(k); it != args.end()) return it->second;
        return std::nullopt;
    };
}

std::vector<std::string> Executor::argsInUse(const Stage& st) const {
    std::vector<std::string> v;
    for (const auto& [k, val] : st.args)
        if (val) v.push_back(k + "=" + *val);
    return v;
}

std::string Executor::resolveBase(const std::string& image, int line) {
    if (image == "scratch") return "";
    std::string lower = image;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (size_t i = 0; i < stageImages_.size(); ++i)
        if (df_.stages[i].from.stageName == lower) return stageImages_[i];
    std::optional<std::string> id;
    if (o_.pull != "always") id = findLocalImage(ctx_, image);
    if (id) return *id;
    if (o_.pull == "never")
        throw errorAt(line, "creating build container: " + image + ": image not known (the pull policy is never)");
    auto progress = Progress::forStderr(o_.quiet);
    PullOptions po;
    po.platform = o_.platform;
    po.tlsVerify = o_.tlsVerify;
    po.authFile = o_.authFile;
    return pullImage(ctx_, image, po, *progress).imageId;
}

std::string Executor::commit(Stage& st, std::optional<storage::Layer> layer, const json& history, bool reload) {
    ImageCommit c;
    c.baseImageId = st.imageId;
    c.layer = std::move(layer);
    c.config = st.config;
    c.historyEntry = history;
    c.format = o_.format;
    std::string id = commitImage(ctx_, c);
    if (reload) {
        st.imageId = id;
        st.config = imageInfo(ctx_, id).config;
    }
    return id;
}

/// A scratch stage needs an image for its first working container: an empty one.
std::string Executor::ensureImage(Stage& st) {
    if (!st.imageId.empty()) return st.imageId;
    ImageCommit c;
    c.config = st.config;
    c.historyEntry = {{"created", nowRfc3339()}, {"created_by", "/bin/sh -c #(nop) FROM scratch"}};
    c.format = o_.format;
    helpers_.push_back(commitImage(ctx_, c));  // st.imageId stays "": the next commit is on scratch
    return helpers_.back();
}

void Executor::doStep(Stage& st, const Instruction& raw, bool finalStep, const std::string& prefix) {
    Instruction in = raw;
    expandInstruction(in, lexer_, envFor(st), fileShown_);
    std::string extra = o_.format;
    if (finalStep) extra += "\nlabels:" + str::join(labels_, "\n");
    std::string keyText = stepText(in);
    json history = {{"created", nowRfc3339()}};
    // Flags parsed but not implemented: said, not silently dropped.
    if (auto* r = in.as<RunInstr>(); r && !r->mounts.empty())
        log::warn("{}:{}: RUN --mount is not supported and is ignored", fileShown_, in.startLine);
    if (auto* c = in.as<CopyInstr>(); c && (c->link || c->parents || !c->excludes.empty()))
        log::warn("{}:{}: COPY --link, --parents and --exclude are not supported and are ignored", fileShown_,
                  in.startLine);
    if (auto* a = in.as<AddInstr>(); a && (a->link || !a->excludes.empty()))
        log::warn("{}:{}: ADD --link and --exclude are not supported and are ignored", fileShown_,
                  in.startLine);
    // Steps with a working container of the builder's own (not RUN: its runtime forwards
    // signals) hold SIGINT/SIGTERM/SIGHUP until the container is removed, so an interrupted
    // build leaves none behind; the signal takes effect right after.
    std::optional<SignalDefer> defer;
    if (in.as<CopyInstr>() || in.as<AddInstr>() || in.as<WorkdirInstr>()) defer.emplace();
    std::unique_ptr<CopyPlan> plan;
    std::string summary;
    if (in.as<CopyInstr>() || in.as<AddInstr>()) {
        plan = planCopy(in);
        summary = plan->summary;
    }
    // ARG updates the scope before the key is computed (its value is part of the key).
    if (auto* a = in.as<ArgInstr>()) {
        for (const auto& d : a->args) {
            std::optional<std::string> v;
            if (auto it = cliArgs_.find(d.key); it != cliArgs_.end()) v = it->second;
            else if (d.value) v = d.value;
            else v = expandedArg(d.key);
            st.args[d.key] = v;
        }
    }
    // Expanded text of everything the instruction depends on.
    std::string expanded = raw.original;
    if (auto* c = in.as<CopyInstr>()) expanded += "\n" + c->dest + "\n" + c->chown + "\n" + c->chmod + "\n" + c->from;
    if (auto* c = in.as<AddInstr>()) expanded += "\n" + c->dest + "\n" + c->chown + "\n" + c->chmod;
    const std::string key = stepKey(st.imageId, expanded, argsInUse(st), summary, extra);
    std::optional<std::string> cached;
    if (o_.layers && !o_.noCache) cached = cache_.lookup(key);
    if (cached) {
        out_ << "--> Using cache " << *cached << "\n";
        st.imageId = *cached;
        st.config = imageInfo(ctx_, *cached).config;
    } else {
        std::vector<std::string> warnings;
        json config = st.config;
        applyConfigInstruction(config, in, o_.format, warnings);
        for (const auto& w : warnings) log::warn("{}", w);
        if (finalStep && !labels_.empty()) {
            json& labels = config["config"]["Labels"];
            if (!labels.is_object()) labels = json::object();
            for (const auto& l : labels_) {
                auto [k, v] = str::cut(l, '=');
                labels[k] = v;
            }
        }
        std::optional<storage::Layer> layer;
        if (in.as<RunInstr>()) {
            layer = doRun(st, in);
        } else if (plan) {
            layer = doCopy(st, in, *plan);
            plan.reset();
        } else if (in.as<WorkdirInstr>()) {
            st.config = config;  // the new WorkingDir
            layer = doWorkdir(st);
        }
        st.config = config;
        std::string by = createdBy(in, summary);
        if (in.as<RunInstr>()) {  // buildah's "|N K=V ... " prefix: the build args RUN saw
            auto env = envMap(st.config);
            std::vector<std::string> seen;
            for (const auto& a : argsInUse(st))
                if (!env.count(str::cut(a, '=').first)) seen.push_back(a);
            if (!seen.empty()) by = "|" + std::to_string(seen.size()) + " " + str::join(seen, " ") + " " + by;
        }
        history["created_by"] = by;
        if (!layer) history["empty_layer"] = true;
        commit(st, layer, history);
        if (inTarget_) targetMade_.push_back(st.imageId);
        if (o_.layers) cache_.store(key, st.imageId);
    }
    if (finalStep) {
        out_ << prefix << "COMMIT" << (o_.tags.empty() ? "" : " " + o_.tags[0]) << "\n";
    }
    out_ << "--> " << st.imageId.substr(0, 11) << "\n";
    out_.flush();
}

void Executor::runStage(size_t index, size_t count, bool last) {
    const auto& s = df_.stages[index];
    std::string prefix = count > 1 ? "[" + std::to_string(index + 1) + "/" + std::to_string(count) + "] " : "";
    const size_t n = s.commands.size() + 1;
    // FROM sees only the ARGs before the first FROM.
    Instruction from;
    from.original = s.original;
    from.startLine = s.line;
    from.keyword = "from";
    from.body = s.from;
    expandInstruction(from, lexer_, [this](const std::string& k) { return expandedArg(k); }, fileShown_);
    out_ << prefix << "STEP 1/" << n << ": FROM " << from.as<FromInstr>()->image
         << (s.from.stageName.empty() ? "" : " AS " + s.from.stageName) << "\n";
    out_.flush();
    Stage st;
    inTarget_ = last;
    st.imageId = resolveBase(from.as<FromInstr>()->image, s.line);
    if (last) targetBase_ = st.imageId;
    std::optional<json> baseConfig;
    if (!st.imageId.empty()) baseConfig = imageInfo(ctx_, st.imageId).config;
    st.config = initialConfig(baseConfig);
    // The base image's ONBUILD triggers run first (Docker's rule); the new image has none.
    json triggers = st.config["config"].value("OnBuild", json::array());
    if (st.config["config"].contains("OnBuild")) st.config["config"].erase("OnBuild");
    if (triggers.is_array() && !triggers.empty()) {
        std::string text = "FROM scratch\n";
        for (const auto& t : triggers)
            if (t.is_string()) text += t.get<std::string>() + "\n";
        auto onbuild = loadDockerfile(text, "ONBUILD triggers of " + from.as<FromInstr>()->image);
        for (const auto& c : onbuild.stages.at(0).commands) {
            out_ << prefix << "ONBUILD " << stepText(c) << "\n";
            doStep(st, c, false, prefix);
        }
    }
    for (size_t i = 0; i < s.commands.size(); ++i) {
        out_ << prefix << "STEP " << i + 2 << "/" << n << ": " << stepText(s.commands[i]) << "\n";
        out_.flush();
        doStep(st, s.commands[i], last && i + 1 == s.commands.size(), prefix);
    }
    if (s.commands.empty()) {
        // A stage that is only FROM: a config-only image of its base.
        json history = {{"created", nowRfc3339()}, {"created_by", "/bin/sh -c #(nop) " + str::trim(s.original)}, {"empty_layer", true}};
        if (last) out_ << prefix << "COMMIT" << (o_.tags.empty() ? "" : " " + o_.tags[0]) << "\n";
        commit(st, std::nullopt, history);
        if (inTarget_) targetMade_.push_back(st.imageId);
        out_ << "--> " << st.imageId.substr(0, 11) << "\n";
    }
    stageImages_.push_back(st.imageId);
}

std::string Executor::run() {
    if (o_.format != "oci" && o_.format != "docker")
        throw InvalidArgument("unrecognized image type \"" + o_.format + "\"");
    if (o_.pull != "missing" && o_.pull != "always" && o_.pull != "never")
        throw InvalidArgument("invalid pull policy \"" + o_.pull + "\"");
    if (!o_.platform.empty() && o_.platform != "linux/amd64" && o_.platform != "linux/x86_64")
        throw InvalidArgument("--platform " + o_.platform + ": only the host platform (linux/amd64) can be built");
    loadInputs();
    size_t target = df_.stages.size() - 1;
    if (!o_.target.empty()) {
        std::string lower = o_.target;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        bool found = false;
        for (size_t i = 0; i < df_.stages.size() && !found; ++i)
            if (df_.stages[i].from.stageName == lower) {
                target = i;
                found = true;
            }
        if (!found) throw InvalidArgument("The target \"" + o_.target + "\" was not found in the provided Dockerfile");
    }
    for (size_t i = 0; i <= target; ++i) runStage(i, target + 1, i == target);
    // podman's warning for --build-arg values no ARG declared.
    std::set<std::string> declared;
    for (const auto& a : df_.metaArgs) declared.insert(a.key);
    for (size_t i = 0; i <= target; ++i)
        for (const auto& c : df_.stages[i].commands)
            if (auto* a = c.as<ArgInstr>())
                for (const auto& d : a->args) declared.insert(d.key);
    std::vector<std::string> unused;
    for (const auto& [k, v] : cliArgs_)
        if (!declared.count(k)) unused.push_back(k);
    if (!unused.empty()) std::cerr << "[Warning] one or more build args were not consumed: [" << str::join(unused, " ") << "]\n";
    std::string id = stageImages_[target];
    if (o_.squash || o_.squashAll) {
        const std::string unsquashed = id;
        id = squash(targetBase_, id, o_.squashAll, !df_.stages[target].commands.empty());
        // Without the cache nothing can reuse the target stage's images this build made
        // (podman makes none): they go, newest first, unless something else took them.
        if (!o_.layers && id != unsquashed) {
            for (auto it = targetMade_.rbegin(); it != targetMade_.rend(); ++it) {
                try {
                    auto img = ctx_.store().lookupImage(*it);
                    if (img && img->names.empty()) ctx_.store().removeImage(*it);
                } catch (const std::exception& e) {
                    log::debug("build: removing the unsquashed image {}: {}", *it, e.what());
                }
            }
        }
    }
    if (!tags_.empty()) {
        auto img = ctx_.store().lookupImage(id);
        std::vector<std::string> names = img ? img->names : std::vector<std::string>{};
        for (const auto& t : tags_)
            if (std::find(names.begin(), names.end(), t) == names.end()) names.push_back(t);
        ctx_.store().setImageNames(id, names);
        for (const auto& t : tags_) out_ << "Successfully tagged " << t << "\n";
    }
    out_.flush();
    if (!o_.iidfile.empty()) fsutil::writeFileAtomic(o_.iidfile, "sha256:" + id, 0644);
    return id;
}

}  // namespace detail

std::string buildImage(Context& ctx, const BuildOptions& opts, std::ostream& out) {
    detail::Executor ex(ctx, opts, out);
    std::string id = ex.run();
    recordEvent(ctx, "image", "build", id, id, "");
    return id;
}

}  // namespace hutch::engine::build
