// The flags `run` and `create` share: podman's container flags -> engine::RunRequest.
#include "hutch/cli/container_flags.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/spec/mountspec.hpp"

namespace hutch::cli {

std::optional<std::string> envEntry(const std::string& e) {
    if (e.empty() || e[0] == '=') throw InvalidArgument("invalid environment variable: \"" + e + "\"");
    if (e.find('=') != std::string::npos) return e;
    if (const char* v = std::getenv(e.c_str())) return e + "=" + v;
    return std::nullopt;
}

std::vector<std::string> readEnvFile(const std::string& path) {
    std::string text;
    try {
        text = fsutil::readFile(path);
    } catch (const NotFound&) {
        throw InvalidArgument("--env-file " + path + ": no such file or directory");
    }
    std::vector<std::string> out;
    int lineNo = 0;
    for (const auto& raw : str::split(text, '\n')) {
        ++lineNo;
        std::string line = str::trim(raw);
        if (line.empty() || line[0] == '#') continue;
        if (line[0] == '=')
            throw InvalidArgument(path + ":" + std::to_string(lineNo) + ": invalid environment variable \"" + line + "\"");
        if (auto e = envEntry(line)) out.push_back(*e);
    }
    return out;
}

namespace {

/// A --label-file: KEY[=VALUE] lines, blank lines and # comments skipped. Throws
/// InvalidArgument naming the file (and line).
std::vector<std::pair<std::string, std::string>> readLabelFile(const std::string& path) {
    std::string text;
    try {
        text = fsutil::readFile(path);
    } catch (const NotFound&) {
        throw InvalidArgument("--label-file " + path + ": no such file or directory");
    }
    std::vector<std::pair<std::string, std::string>> out;
    int lineNo = 0;
    for (const auto& raw : str::split(text, '\n')) {
        ++lineNo;
        std::string line = str::trim(raw);
        if (line.empty() || line[0] == '#') continue;
        auto [k, v] = str::cut(line, '=');
        if (k.empty()) throw InvalidArgument(path + ":" + std::to_string(lineNo) + ": label without a key");
        out.emplace_back(k, v);
    }
    return out;
}

std::vector<std::string> parseEntrypoint(const std::string& s) {
    if (s.empty()) return {};
    if (s[0] == '[') {
        try {
            return nlohmann::json::parse(s).get<std::vector<std::string>>();
        } catch (const nlohmann::json::exception&) {
            // Not a JSON array of strings: taken as one word, as podman does.
        }
    }
    return {s};
}

/// --security-opt as podman: seccomp=unconfined|PATH, no-new-privileges[=true|false];
/// label= and apparmor= are accepted and ignored (no SELinux/AppArmor here).
void applySecurityOpts(const std::vector<std::string>& opts, engine::ContainerConfig& c) {
    for (const auto& o : opts) {
        bool hasValue = false;
        auto [key, value] = str::cut(o, o.find('=') != std::string::npos ? '=' : ':', &hasValue);
        if (key == "seccomp")
            c.seccompProfile = value;
        else if (key == "no-new-privileges")
            c.noNewPrivileges = !hasValue || value == "true";
        else if (key == "label" || key == "apparmor" || key == "mask" || key == "unmask")
            continue;
        else
            throw InvalidArgument("invalid --security-opt 1: \"" + o + "\"");
    }
}

}  // namespace

std::shared_ptr<ContainerFlags> addContainerFlags(CLI::App* sub) {
    auto o = std::make_shared<ContainerFlags>();
    sub->set_help_flag("--help", "Print this help message and exit");
    sub->prefix_command();
    sub->fallthrough(false);  // arguments after the image belong to the container
    sub->add_flag("--rm", o->req.autoRemove, "Remove container (and pod if created) after exit");
    sub->add_option("--name", o->req.name, "Assign a name to the container");
    sub->add_option("-h,--hostname", o->req.config.hostname, "Set container hostname");
    sub->add_option("-e,--env", o->env, "Set environment variables in container")->allow_extra_args(false);
    sub->add_option("--env-file", o->envFiles, "Read in a file of environment variables")->allow_extra_args(false);
    sub->add_option("-w,--workdir", o->req.config.workdir, "Working directory inside the container");
    sub->add_option("-u,--user", o->req.config.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    sub->add_flag("-i,--interactive", o->req.config.interactive, "Keep STDIN open even if not attached");
    sub->add_flag("-t,--tty", o->req.config.tty, "Allocate a pseudo-TTY for container");
    sub->add_option("--entrypoint", o->entrypoint, "Overwrite the default ENTRYPOINT of the image");
    sub->add_option("--pull", o->req.pull, "Pull image policy (always, missing, never, newer)")
        ->check(CLI::IsMember({"always", "missing", "never", "newer"}));
    sub->add_option("--net,--network", o->network,
                    "Connect a container to a network (private, pasta, slirp4netns, host, none, container:NAME)");
    auto& net = o->req.config.net;
    sub->add_option("-p,--publish", o->publish, "Publish a container's port, or a range of ports, to the host")
        ->allow_extra_args(false);
    sub->add_flag("-P,--publish-all", net.publishAll, "Publish all exposed ports to random ports on the host interfaces");
    sub->add_option("--dns", net.dns, "Set custom DNS servers")->allow_extra_args(false);
    sub->add_option("--dns-search", net.dnsSearch, "Set custom DNS search domains")->allow_extra_args(false);
    sub->add_option("--dns-option,--dns-opt", net.dnsOptions, "Set custom DNS options")->allow_extra_args(false);
    sub->add_option("--add-host", net.addHosts, "Add a custom host-to-IP mapping (host:ip)")->allow_extra_args(false);
    sub->add_flag("--no-hosts", net.noHosts, "Do not create /etc/hosts within the container");
    sub->add_option("--platform", o->req.platform, "Specify the platform for selecting the image");
    sub->add_flag("-q,--quiet", o->req.quietPull, "Suppress output information when pulling images");
    sub->add_option("--cap-add", o->req.config.capAdd, "Add capabilities to the container")->allow_extra_args(false);
    sub->add_option("--cap-drop", o->req.config.capDrop, "Drop capabilities from the container")->allow_extra_args(false);
    sub->add_flag("--privileged", o->req.config.privileged, "Give extended privileges to container");
    sub->add_option("--userns", o->req.config.userns.mode,
                    "User namespace to use (host, private, auto[:size=N], keep-id[:uid=N,gid=N], nomap)");
    sub->add_option("--cgroupns", o->req.config.cgroupns, "cgroup namespace to use (private, host)");
    sub->add_option("--subuidname", o->req.config.userns.subuidname,
                    "Name of range listed in /etc/subuid for use in user namespace");
    sub->add_option("--subgidname", o->req.config.userns.subgidname,
                    "Name of range listed in /etc/subgid for use in user namespace");
    sub->add_option("--uidmap", o->req.config.userns.uidmap,
                    "UID map for the user namespace (CONTAINER:INTERMEDIATE:SIZE)")->allow_extra_args(false);
    sub->add_option("--gidmap", o->req.config.userns.gidmap,
                    "GID map for the user namespace (CONTAINER:INTERMEDIATE:SIZE)")->allow_extra_args(false);
    sub->add_flag("--read-only", o->req.config.readOnly, "Make containers root filesystem read-only");
    sub->add_option("--systemd", o->req.config.systemd, "Run container in systemd mode (true, false, always)")
        ->check(CLI::IsMember({"true", "false", "always"}));
    sub->add_option("--sdnotify", o->req.config.sdNotify,
                    "control sd-notify behavior (container, conmon, ignore; default: container in systemd mode)")
        ->check(CLI::IsMember({"container", "conmon", "ignore"}));
    sub->add_option("--security-opt", o->securityOpts, "Security Options")->allow_extra_args(false);
    sub->add_option("-v,--volume", o->volumes, "Bind mount a volume into the container")->allow_extra_args(false);
    sub->add_option("--mount", o->mounts, "Attach a filesystem mount to the container")->allow_extra_args(false);
    sub->add_option("--tmpfs", o->tmpfs, "Mount a temporary filesystem (tmpfs) into a container")->allow_extra_args(false);
    sub->add_option("--stop-signal", o->req.stopSignal, "Signal to stop a container. Default is SIGTERM");
    sub->add_option("--stop-timeout", o->req.stopTimeout, "Timeout (in seconds) to stop a container. Default is 10");

    // The container's record and lifecycle: labels, names, files written for scripts.
    auto& c = o->req.config;
    sub->add_option("-l,--label", o->labels, "Set metadata on container")->allow_extra_args(false);
    sub->add_option("--label-file", o->labelFiles, "Read in a line delimited file of labels")->allow_extra_args(false);
    sub->add_option("--annotation", o->annotations, "Add annotations to container (key=value)")->allow_extra_args(false);
    sub->add_option("--cidfile", o->req.cidFile, "Write the container ID to the file");
    sub->add_flag("--replace", o->req.replace, "If a container with the same name exists, replace it");
    sub->add_flag("--rmi", o->req.removeImage, "Remove image unless used by other containers, implies --rm");
    sub->add_flag("--env-host", c.envHost, "Use all current host environment variables in container");
    sub->add_option("--unsetenv", c.unsetEnv, "Unset environment default variables in container")->allow_extra_args(false);
    sub->add_flag("--unsetenv-all", c.unsetEnvAll, "Unset all default environment variables in container");
    sub->add_option("--tz", c.timezone, "Set timezone in container (local, or a zone such as Europe/Berlin)");
    sub->add_flag("--no-hostname", c.noHostname, "Do not create /etc/hostname within the container");
    sub->add_option("--log-driver", c.logDriver, "Logging driver for the container (k8s-file, none)");
    sub->add_option("--log-opt", o->logOpts, "Logging driver options (path=FILE, max-size=SIZE, tag=)")->allow_extra_args(false);

    // The process's kernel settings and resources (specgen, runtime).
    auto& proc = o->req.config.proc;
    auto intFlag = [](const std::string& flag, const std::string& v, bool isUnsigned) {
        size_t i = (!isUnsigned && !v.empty() && (v[0] == '-' || v[0] == '+')) ? 1 : 0;
        bool ok = i < v.size() && v.size() - i <= 18;
        for (size_t k = i; ok && k < v.size(); ++k) ok = v[k] >= '0' && v[k] <= '9';
        if (!ok)
            throw CLI::ValidationError("invalid argument \"" + v + "\" for \"" + flag + "\" flag: strconv." +
                                       (isUnsigned ? "ParseUint" : "ParseInt") + ": parsing \"" + v + "\": invalid syntax");
        return std::stoll(v);
    };
    sub->add_option("--ulimit", proc.ulimits, "Ulimit options (TYPE=SOFT[:HARD], or host)")->allow_extra_args(false);
    sub->add_option("--sysctl", proc.sysctls, "Sysctl options (NAME=VALUE)")->allow_extra_args(false);
    sub->add_option_function<std::string>(
        "--shm-size",
        [o](const std::string& v) {
            try {
                o->req.config.proc.shmSize = engine::parseShmSize(v);
            } catch (const InvalidArgument& e) {
                throw CLI::ValidationError(e.what());
            }
        },
        "Size of /dev/shm (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))");
    sub->add_option_function<std::string>(
        "--oom-score-adj",
        [o, intFlag](const std::string& v) {
            long long n = intFlag("--oom-score-adj", v, false);
            if (n < -1000 || n > 1000)
                throw CLI::ValidationError("oom_score_adj must be between -1000 and 1000: " + v);
            o->req.config.proc.oomScoreAdj = static_cast<int>(n);
        },
        "Tune the host's OOM preferences (-1000 to 1000)");
    sub->add_option_function<std::string>(
        "--pids-limit", [o, intFlag](const std::string& v) { o->req.config.proc.pidsLimit = intFlag("--pids-limit", v, false); },
        "Tune container pids limit (set -1 for unlimited)");
    sub->add_option("--umask", proc.umask, "Set umask in container (default 0022)");
    sub->add_option("--group-add", proc.groupAdd, "Add additional groups to the primary container process. 'keep-groups' allows container processes to use supplementary groups.")
        ->allow_extra_args(false);
    sub->add_option("--device", proc.devices, "Add a host device to the container (HOST[:CONTAINER][:PERMS])")
        ->allow_extra_args(false);
    sub->add_option("--device-cgroup-rule", proc.deviceCgroupRules, "Add a rule to the cgroup allowed devices list")
        ->allow_extra_args(false);
    sub->add_option("--ipc", proc.ipc, "IPC namespace to use (private, shareable, host, none, container:NAME)");
    sub->add_option("--pid", proc.pid, "PID namespace to use (private, host, container:NAME)");
    sub->add_flag("--init", proc.init, "Run an init binary inside the container that forwards signals and reaps processes");
    sub->add_option("--init-path", proc.initPath, "Path to the container-init binary");
    sub->add_option_function<std::string>(
        "--preserve-fds",
        [o, intFlag](const std::string& v) { o->req.config.proc.preserveFds = static_cast<unsigned>(intFlag("--preserve-fds", v, true)); },
        "Pass a number of additional file descriptors into the container");

    // Health checks and restart policy (the monitor).
    sub->add_option("--restart", o->req.config.restart.name,
                    "Restart policy to apply when a container exits (\"always\"|\"no\"|\"on-failure\"|\"unless-stopped\")");
    auto& health = o->req.config.health;
    sub->add_option("--health-cmd", health.cmd, "set a healthcheck command for the container ('none' disables the existing healthcheck)");
    sub->add_option("--health-interval", health.interval, "set an interval for the healthcheck (a value of disable results in no automatic timer setup)");
    sub->add_option("--health-retries", health.retries, "the number of retries allowed before a healthcheck is considered to be unhealthy");
    sub->add_option("--health-timeout", health.timeout, "the maximum time allowed to complete the healthcheck before an interval is considered failed");
    sub->add_option("--health-start-period", health.startPeriod, "the initialization time needed for a container to bootstrap");
    sub->add_flag("--no-healthcheck", health.none, "Disable healthchecks on container");

    return o;
}

void checkImageArgument(CLI::App* sub) {
    auto rest = sub->remaining();
    if (rest.empty()) throw CLI::ValidationError(sub->get_name(), "requires at least 1 arg(s), only received 0");
    // Flags stop at the image; before it, an unknown one is an error (not an image name).
    if (rest[0].size() > 1 && rest[0][0] == '-') throw CLI::ValidationError("unknown flag: " + rest[0]);
}

engine::RunRequest containerRequest(CLI::App* sub, ContainerFlags& o) {
    checkImageArgument(sub);
    auto rest = sub->remaining();
    engine::RunRequest req = o.req;
    req.image = rest[0];
    req.config.command.assign(rest.begin() + 1, rest.end());
    o.entrypointSet = sub->get_option("--entrypoint")->count() > 0;
    if (req.pull == "newer") req.pull = "missing";
    for (const auto& f : o.envFiles)
        for (auto& e : readEnvFile(f)) req.config.env.push_back(e);
    for (const auto& e : o.env)
        if (auto v = envEntry(e)) req.config.env.push_back(*v);
    if (o.entrypointSet) req.config.entrypoint = parseEntrypoint(o.entrypoint);
    applySecurityOpts(o.securityOpts, req.config);
    req.config.network = o.network;
    for (const auto& p : o.publish) req.config.net.ports.push_back(engine::parsePublish(p));
    for (const auto& v : o.volumes) req.config.mounts.push_back(engine::parseVolumeFlag(v));
    for (const auto& m : o.mounts) req.config.mounts.push_back(engine::parseMountFlag(m));
    for (const auto& t : o.tmpfs) req.config.mounts.push_back(engine::parseTmpfsFlag(t));
    if (req.config.envHost) {
        // Before -e entries (which win), as podman.
        std::vector<std::string> host;
        for (char** e = environ; e && *e; ++e) host.emplace_back(*e);
        req.config.env.insert(req.config.env.begin(), host.begin(), host.end());
    }
    for (const auto& f : o.labelFiles)
        for (const auto& l : readLabelFile(f)) req.config.labels[l.first] = l.second;
    for (const auto& l : o.labels) {
        auto [k, v] = str::cut(l, '=');
        if (k.empty()) throw InvalidArgument("--label \"" + l + "\": no key");
        req.config.labels[k] = v;
    }
    for (const auto& a : o.annotations) {
        bool has = false;
        auto [k, v] = str::cut(a, '=', &has);
        if (k.empty() || !has) throw InvalidArgument("annotations must be formatted KEY=VALUE: \"" + a + "\"");
        req.config.annotations[k] = v;
    }
    for (const auto& l : o.logOpts) {
        bool has = false;
        auto [k, v] = str::cut(l, '=', &has);
        if (!has) throw InvalidArgument("--log-opt \"" + l + "\": must be KEY=VALUE");
        req.config.logOptions[k] = v;
    }
    if (req.removeImage) req.autoRemove = true;
    req.config.restart = engine::parseRestartPolicy(req.config.restart.name);
    if (req.autoRemove && !req.config.restart.name.empty() && req.config.restart.name != "no")
        throw InvalidArgument("the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"");
    engine::validateHealthFlags(req.config.health);
    engine::checkProcessFlags(req.config.proc, req.config.network);
    return req;
}

}  // namespace hutch::cli
