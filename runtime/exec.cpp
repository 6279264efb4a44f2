#include "hutch/runtime/exec.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/runtime/caps.hpp"
#include "hutch/runtime/cgroup.hpp"
#include "hutch/runtime/ns.hpp"
#include "hutch/runtime/start.hpp"

namespace hutch::runtime {

using nlohmann::json;

int execInContainer(const ExecOptions& o) noexcept {
    try {
        if (o.pid <= 0) return reportFailure(o.statusFd, {"args", "exec: --pid is required", 0, 125});
        if (o.process.args.empty()) return reportFailure(o.statusFd, {"args", "exec: no command given", 0, 125});
        std::optional<SeccompProgram> filter;
        try {
            if (o.seccomp) filter = compileSeccompCached(*o.seccomp, o.seccompCache);
        } catch (const Error& e) {
            return reportFailure(o.statusFd, {"seccomp", e.what(), 0, 125});
        }
        if (::kill(o.pid, 0) != 0 && errno == ESRCH)
            return reportFailure(o.statusFd, {"namespaces", "exec: container process " + std::to_string(o.pid) + " is not running", ESRCH, 125});
        // The container's cgroup, when it is not ours: a host without a delegated (writable)
        // cgroup refuses it, which is not an error (debug log).
        if (std::string theirs = cgroupDirOf(o.pid); !theirs.empty() && theirs != cgroupDirOf(::getpid())) {
            try {
                joinCgroup(theirs, ::getpid());
            } catch (const Error& e) {
                log::debug("exec: cgroup {} not joined: {}", theirs, e.what());
            }
        }
        try {
            joinNamespacesOf(o.pid);
        } catch (const SysError& e) {
            return reportFailure(o.statusFd, {"namespaces", e.what(), e.err(), 125});
        }
        Spec spec;  // only its process: the container around it exists
        spec.process = o.process;
        StartPlan plan;
        plan.statusFd = o.statusFd;
        plan.child.spec = &spec;
        plan.child.seccomp = filter ? &*filter : nullptr;
        plan.child.joining = true;
        return startProcess(plan);  // a fork: the child is in the joined pid namespace
    } catch (const std::exception& e) {
        return reportFailure(o.statusFd, {"exec", e.what(), 0, 125});
    }
}

ExecOptions parseExecArgs(int argc, char** argv) {
    ExecOptions o;
    std::optional<std::string> processFile, seccompFile, cwd, user;
    std::vector<std::string> env, caps, cmd;
    bool tty = false, nnp = false, haveCaps = false;
    int i = 0;
    auto value = [&](const std::string& a, const std::string& flag) -> std::optional<std::string> {
        if (a == flag) {
            if (i + 1 >= argc) throw InvalidArgument("__runtime exec: " + flag + " needs a value");
            return std::string(argv[++i]);
        }
        if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
        return std::nullopt;
    };
    auto number = [](const std::string& flag, const std::string& v) {
        try {
            size_t n = 0;
            long x = std::stol(v, &n);
            if (n != v.size() || x < 0) throw 0;
            return x;
        } catch (...) {
            throw InvalidArgument("__runtime exec: " + flag + ": not a number: " + v);
        }
    };
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            for (++i; i < argc; ++i) cmd.push_back(argv[i]);
            break;
        }
        if (a.empty() || a[0] != '-') {
            for (; i < argc; ++i) cmd.push_back(argv[i]);
            break;
        }
        if (auto v = value(a, "--pid")) o.pid = static_cast<pid_t>(number("--pid", *v));
        else if (auto v = value(a, "--status-fd")) o.statusFd = static_cast<int>(number("--status-fd", *v));
        else if (auto v = value(a, "--process")) processFile = *v;
        else if (auto v = value(a, "--seccomp-json")) seccompFile = *v;
        else if (auto v = value(a, "--seccomp-cache")) o.seccompCache = *v;
        else if (auto v = value(a, "--cwd")) cwd = *v;
        else if (auto v = value(a, "--env")) env.push_back(*v);
        else if (auto v = value(a, "--user")) user = *v;
        else if (auto v = value(a, "--cap")) caps.push_back(*v), haveCaps = true;
        else if (a == "--tty" || a == "-t") tty = true;
        else if (a == "--no-new-privs") nnp = true;
        else throw InvalidArgument("__runtime exec: unknown flag " + a);
    }
    if (o.pid <= 0) throw InvalidArgument("__runtime exec: --pid is required");
    if (processFile) {
        json p;
        try {
            p = jsonbytes::parse(fsutil::readFile(*processFile));
        } catch (const json::exception& e) {
            throw ConfigError(*processFile, 0, std::string("invalid JSON: ") + e.what());
        }
        if (!p.is_object()) throw ConfigError(*processFile, 0, "must be a runtime-spec process object");
        if (!p.contains("args") || p["args"].empty()) p["args"] = {"-"};  // replaced by CMD below
        if (!p.contains("cwd")) p["cwd"] = "/";
        json wrapper = {{"ociVersion", "1.0.2"}, {"root", {{"path", "/"}}}, {"process", p}};
        o.process = parseSpec(jsonbytes::dump(wrapper), "/", *processFile).process;
        if (p["args"] == json({"-"})) o.process.args.clear();
    }
    if (!cmd.empty()) o.process.args = cmd;
    if (o.process.args.empty()) throw InvalidArgument("__runtime exec: no command given");
    if (cwd) {
        if (cwd->empty() || (*cwd)[0] != '/') throw InvalidArgument("__runtime exec: --cwd must be absolute: " + *cwd);
        o.process.cwd = *cwd;
    }
    for (auto& e : env) o.process.env.push_back(e);
    if (user) {
        auto [u, g] = str::cut(*user, ':');
        o.process.uid = static_cast<uint32_t>(number("--user", u));
        o.process.gid = g.empty() ? 0 : static_cast<uint32_t>(number("--user", g));
        o.process.additionalGids.clear();
    }
    if (haveCaps) {
        for (const auto& c : caps)
            if (!capFromName(c)) throw InvalidArgument("__runtime exec: unknown capability " + c);
        o.process.capabilities = Capabilities{caps, caps, caps, {}, {}};
    }
    if (tty) o.process.terminal = true;
    if (nnp) o.process.noNewPrivileges = true;
    if (seccompFile) {
        std::string text;
        if (*seccompFile == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
        else text = fsutil::readFile(*seccompFile);
        json j;
        try {
            j = json::parse(text);
        } catch (const json::exception& e) {
            throw ConfigError(*seccompFile, 0, std::string("invalid JSON: ") + e.what());
        }
        o.seccomp = parseSeccomp(j, *seccompFile);
    }
    return o;
}

}  // namespace hutch::runtime
