#include "hutch/engine/container/exec.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/engine/spec/capabilities.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/container_events.hpp"
#include "hutch/engine/core/runtime_proc.hpp"
#include "hutch/engine/spec/user.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

namespace {

/// Removes the per-exec files when the exec ends.
struct TempFiles {
    std::vector<std::string> paths;
    ~TempFiles() {
        for (const auto& p : paths) ::unlink(p.c_str());
    }
};

}  // namespace

int execInContainer(Context& ctx, const ExecRequest& req) {
    if (req.cmd.empty()) throw InvalidArgument("must provide a non-empty command to start an exec session: invalid argument");
    ContainerRecord rec = loadContainer(ctx, req.container);
    if (effectiveStatus(rec) != ContainerStatus::Running)
        throw Error("can only create exec sessions on running containers: container state improper");
    auto& store = ctx.store();
    json spec;
    try {
        spec = jsonbytes::parse(fsutil::readFile(store.containerRunDir(rec.id) + "/config.json"));
    } catch (const json::exception& e) {
        throw Error("container " + rec.id + ": config.json: " + e.what());
    }
    json process = spec.at("process");
    process["args"] = req.cmd;
    process["terminal"] = req.tty;
    // The environment is the container's configuration plus -e, never PID 1's live one.
    std::vector<std::string> env = process.value("env", std::vector<std::string>{});
    std::unordered_map<std::string, size_t> envIndex;  // key -> position in env
    for (size_t i = 0; i < env.size(); ++i) envIndex.try_emplace(env[i].substr(0, env[i].find('=')), i);
    auto setEnv = [&](const std::string& kv) {
        auto [it, added] = envIndex.try_emplace(kv.substr(0, kv.find('=')), env.size());
        if (added)
            env.push_back(kv);
        else
            env[it->second] = kv;
    };
    setEnv("TERM=xterm");
    for (const auto& e : req.env) setEnv(e);
    process["env"] = env;
    if (!req.workdir.empty()) {
        if (req.workdir[0] != '/') throw InvalidArgument("--workdir \"" + req.workdir + "\": must be an absolute path");
        process["cwd"] = req.workdir;
    }
    if (!req.user.empty()) {
        ResolvedUser u;
        try {
            u = resolveUser(store.containerRootfs(rec.id), req.user);
        } catch (const InvalidArgument& e) {
            throw CommandError(126, e.what());
        }
        process["user"] = {{"uid", u.uid}, {"gid", u.gid}};
        if (!u.additionalGids.empty()) process["user"]["additionalGids"] = u.additionalGids;
        setEnv("HOME=" + u.home);
        process["env"] = env;
        if (u.uid != 0) {
            process["capabilities"]["effective"] = json::array();
            process["capabilities"]["permitted"] = json::array();
        }
    }
    if (req.privileged) {
        json all = allCapabilities();
        process["capabilities"] = {{"bounding", all}, {"effective", all}, {"permitted", all},
                                   {"inheritable", json::array()}, {"ambient", json::array()}};
    }

    std::string runDir = store.containerRunDir(rec.id);
    fsutil::mkdirAll(runDir, 0700);
    std::string tag = str::randomHex(8);
    TempFiles temps;
    std::string processFile = runDir + "/exec-" + tag + ".json";
    fsutil::writeFileAtomic(processFile, jsonbytes::dump(process), 0600, fsutil::Sync::Volatile);
    temps.paths.push_back(processFile);
    std::string seccompFile;
    if (!req.privileged && spec.contains("linux") && spec["linux"].contains("seccomp")) {
        seccompFile = runDir + "/exec-" + tag + "-seccomp.json";
        fsutil::writeFileAtomic(seccompFile, jsonbytes::dump(spec["linux"]["seccomp"]), 0600, fsutil::Sync::Volatile);
        temps.paths.push_back(seccompFile);
    }

    int fds[2];
    checkSys(::pipe2(fds, O_CLOEXEC), "pipe");
    UniqueFd statusRead(fds[0]), statusWrite(fds[1]);
    UniqueFd devnull;
    if (!req.interactive) devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    std::vector<std::string> args = {"--pid", std::to_string(rec.pid), "--process", processFile};
    if (req.tty) args.push_back("--tty");
    if (!seccompFile.empty()) args.insert(args.end(), {"--seccomp-json", seccompFile});
    if (!seccompFile.empty() && !seccompCacheDir().empty())
        args.insert(args.end(), {"--seccomp-cache", seccompCacheDir()});
    args.push_back("--");
    args.insert(args.end(), req.cmd.begin(), req.cmd.end());
    RuntimeStdio stdio;
    if (devnull) stdio.in = devnull.get();
    pid_t pid = spawnRuntimeVerb("exec", args, statusWrite.get(), stdio);
    statusWrite.reset();
    SignalForwarder fwd(pid);
    RuntimeStatus st = ipc::receiveRuntimeStatus(statusRead.get());
    if (st.started) recordContainerEvent(ctx, rec, "exec");
    int code = waitExit(pid);
    if (st.started) recordContainerEvent(ctx, rec, "exec_died", {}, code);
    if (!st.started) {
        if (st.error.empty()) st = ipc::receiveRuntimeStatus(statusRead.get());
        std::string msg = st.error.empty() ? "exec failed (" + std::to_string(code) + ")" : st.error;
        if (st.exitCode == 126 || st.exitCode == 127) throw CommandError(st.exitCode, msg);
        throw Error(msg);
    }
    return code;
}

}  // namespace hutch::engine
