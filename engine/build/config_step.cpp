#include "hutch/engine/build/config_step.hpp"

#include <algorithm>
#include <cctype>

#include "hutch/builder/dockerignore.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine::build {

using json = nlohmann::json;
using namespace builder;

namespace {

const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

json& cfg(json& config) {
    if (!config.contains("config") || !config["config"].is_object()) config["config"] = json::object();
    return config["config"];
}

json& objectAt(json& parent, const char* key) {
    if (!parent.contains(key) || !parent[key].is_object()) parent[key] = json::object();
    return parent[key];
}

void setEnv(json& c, const std::string& key, const std::string& value) {
    if (!c.contains("Env") || !c["Env"].is_array()) c["Env"] = json::array();
    for (auto& e : c["Env"]) {
        std::string s = e.get<std::string>();
        if (str::cut(s, '=').first == key) {
            e = key + "=" + value;
            return;
        }
    }
    c["Env"].push_back(key + "=" + value);
}

/// "80" -> "80/tcp"; "53/UDP" -> "53/udp"; ranges kept as written. Throws InvalidArgument.
std::string normalizePort(const std::string& p) {
    auto [port, proto] = str::cut(p, '/');
    if (proto.empty()) proto = "tcp";
    std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::tolower(c); });
    if (port.empty() || port.find_first_not_of("0123456789-") != std::string::npos ||
        (proto != "tcp" && proto != "udp" && proto != "sctp"))
        throw InvalidArgument("invalid containerPort: " + p);
    return port + "/" + proto;
}

json commandJson(const CommandLine& cmd, const json& config) {
    if (!cmd.prependShell) return cmd.args;
    std::vector<std::string> v = stageShell(config);
    v.push_back(cmd.args.empty() ? std::string() : cmd.args[0]);
    return v;
}

}  // namespace

json initialConfig(const std::optional<json>& baseConfig) {
    if (baseConfig && baseConfig->is_object()) return *baseConfig;
    json c = json::object();
    c["architecture"] = "amd64";
    c["os"] = "linux";
    c["config"] = {{"Env", json::array({kDefaultPath})}};
    c["rootfs"] = {{"type", "layers"}, {"diff_ids", json::array()}};
    c["history"] = json::array();
    return c;
}

std::map<std::string, std::string> envMap(const json& config) {
    std::map<std::string, std::string> m;
    if (!config.contains("config") || !config["config"].contains("Env") || !config["config"]["Env"].is_array())
        return m;
    for (const auto& e : config["config"]["Env"]) {
        if (!e.is_string()) continue;
        auto [k, v] = str::cut(e.get<std::string>(), '=');
        m[k] = v;
    }
    return m;
}

std::vector<std::string> stageShell(const json& config) {
    if (config.contains("config") && config["config"].contains("Shell") && config["config"]["Shell"].is_array() &&
        !config["config"]["Shell"].empty())
        return config["config"]["Shell"].get<std::vector<std::string>>();
    return {"/bin/sh", "-c"};
}

std::vector<std::string> runArgv(const CommandLine& cmd, const json& config) {
    return commandJson(cmd, config).get<std::vector<std::string>>();
}

std::string resolveWorkdir(const std::string& cwd, const std::string& path) {
    std::string p = path;
    if (p.empty() || p[0] != '/') p = (cwd.empty() ? std::string("/") : cwd) + "/" + p;
    return cleanPath(p);
}

bool applyConfigInstruction(json& config, const Instruction& in, const std::string& format,
                            std::vector<std::string>& warnings) {
    json& c = cfg(config);
    const bool docker = format == "docker";
    auto ociWarn = [&](const char* what) {
        warnings.push_back(std::string(what) +
                           " is not supported for OCI image format and will be ignored. Must use `docker` format");
    };
    if (auto* e = in.as<EnvInstr>()) {
        for (const auto& kv : e->env) setEnv(c, kv.key, kv.value);
    } else if (auto* l = in.as<LabelInstr>()) {
        json& labels = objectAt(c, "Labels");
        for (const auto& kv : l->labels) labels[kv.key] = kv.value;
    } else if (auto* x = in.as<ExposeInstr>()) {
        json& ports = objectAt(c, "ExposedPorts");
        for (const auto& p : x->ports) ports[normalizePort(p)] = json::object();
    } else if (auto* v = in.as<VolumeInstr>()) {
        json& vols = objectAt(c, "Volumes");
        for (const auto& p : v->volumes) {
            if (p.empty()) throw InvalidArgument("VOLUME specified can not be an empty string");
            vols[p] = json::object();
        }
    } else if (auto* u = in.as<UserInstr>()) {
        c["User"] = u->user;
    } else if (auto* w = in.as<WorkdirInstr>()) {
        c["WorkingDir"] = resolveWorkdir(c.value("WorkingDir", std::string()), w->path);
    } else if (auto* s = in.as<StopSignalInstr>()) {
        c["StopSignal"] = s->signal;
    } else if (auto* cm = in.as<CmdInstr>()) {
        c["Cmd"] = commandJson(cm->cmd, config);
    } else if (auto* ep = in.as<EntrypointInstr>()) {
        json v = commandJson(ep->cmd, config);
        // `ENTRYPOINT []` in exec form clears it.
        if (v.empty()) c.erase("Entrypoint");
        else c["Entrypoint"] = v;
        c.erase("Cmd");
    } else if (auto* sh = in.as<ShellInstr>()) {
        if (docker) c["Shell"] = sh->shell;
        else ociWarn("SHELL");
    } else if (auto* h = in.as<HealthcheckInstr>()) {
        if (docker) {
            json hc = {{"Test", h->test}};
            if (h->intervalNs) hc["Interval"] = h->intervalNs;
            if (h->timeoutNs) hc["Timeout"] = h->timeoutNs;
            if (h->startPeriodNs) hc["StartPeriod"] = h->startPeriodNs;
            if (h->startIntervalNs) hc["StartInterval"] = h->startIntervalNs;
            if (h->retries) hc["Retries"] = h->retries;
            c["Healthcheck"] = hc;
        } else {
            ociWarn("HEALTHCHECK");
        }
    } else if (auto* o = in.as<OnbuildInstr>()) {
        if (docker) {
            if (!c.contains("OnBuild") || !c["OnBuild"].is_array()) c["OnBuild"] = json::array();
            c["OnBuild"].push_back(o->expression);
        } else {
            ociWarn("ONBUILD");
        }
    } else if (auto* m = in.as<MaintainerInstr>()) {
        config["author"] = m->maintainer;
    } else {
        return false;
    }
    return true;
}

std::string stepText(const Instruction& in) {
    std::string o = str::trim(in.original);
    size_t sp = o.find_first_of(" \t");
    std::string kw = o.substr(0, sp);
    std::transform(kw.begin(), kw.end(), kw.begin(), [](unsigned char ch) { return std::toupper(ch); });
    return sp == std::string::npos ? kw : kw + o.substr(sp);
}

std::string createdBy(const Instruction& in, const std::string& contentSummary) {
    if (auto* r = in.as<RunInstr>()) {
        std::string line = r->cmd.prependShell ? (r->cmd.args.empty() ? "" : r->cmd.args[0]) : str::join(r->cmd.args, " ");
        return "/bin/sh -c " + line;
    }
    if (in.as<CopyInstr>() || in.as<AddInstr>()) {
        std::string dest = in.as<CopyInstr>() ? in.as<CopyInstr>()->dest : in.as<AddInstr>()->dest;
        return std::string("/bin/sh -c #(nop) ") + (in.as<CopyInstr>() ? "COPY " : "ADD ") + contentSummary + " in " +
               dest + " ";
    }
    return "/bin/sh -c #(nop) " + stepText(in);
}

}  // namespace hutch::engine::build
