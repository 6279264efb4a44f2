#include "hutch/engine/network.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/common/proc.hpp"
#include "hutch/engine/containers.hpp"
#include "hutch/engine/etcfiles.hpp"
#include "hutch/engine/images.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/runtime/ns.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

constexpr const char* kPastaDnsForwarder = "169.254.1.1";

/// slirp4netns's API socket beside the namespace file, short (sun_path holds 107 characters).
std::string apiSocketPath(const std::string& nsPath) {
    auto slash = nsPath.rfind('/');
    return nsPath.substr(0, slash + 1) + nsPath.substr(slash + 1, 12) + ".sock";
}

bool sameProcess(int pid, uint64_t startTime) {
    return pid > 0 && startTime != 0 && proc::startTime(pid) == startTime;
}

// ---- host ports -----------------------------------------------------------------------

int unprivilegedPortStart() {
    try {
        return std::stoi(fsutil::readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"));
    } catch (const std::exception&) {
        return 1024;
    }
}

/// Binds a socket like the helper will (so "in use" and "privileged" show before it starts).
/// Returns the bound port (useful with port 0) or throws naming the port.
uint16_t probeBind(const std::string& hostIp, uint16_t port, const std::string& proto) {
    bool v6 = hostIp.find(':') != std::string::npos;
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        if (::inet_pton(AF_INET6, hostIp.c_str(), &a->sin6_addr) != 1)
            throw InvalidArgument("-p/--publish: invalid host address \"" + hostIp + "\"");
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = INADDR_ANY;
        if (!hostIp.empty() && ::inet_pton(AF_INET, hostIp.c_str(), &a->sin_addr) != 1)
            throw InvalidArgument("-p/--publish: invalid host address \"" + hostIp + "\"");
        len = sizeof *a;
    }
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, (proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    if (!fd) throw SysError(errno, "socket to check host port " + std::to_string(port));
    int one = 1;
    if (proto == "tcp") ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    std::string where = (hostIp.empty() ? std::string("0.0.0.0") : hostIp) + ":" + std::to_string(port) + "/" + proto;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int err = errno;
        if (err == EACCES) {
            int start = unprivilegedPortStart();
            throw InvalidArgument("cannot publish host port " + std::to_string(port) + " (" + where +
                                  "): rootless containers cannot bind ports below " + std::to_string(start) +
                                  " (sysctl net.ipv4.ip_unprivileged_port_start=" + std::to_string(start) +
                                  "; lower it as root to allow this)");
        }
        if (err == EADDRINUSE)
            throw InvalidArgument("cannot publish host port " + std::to_string(port) + " (" + where +
                                  "): address already in use (by another container or process)");
        throw SysError(err, "cannot publish host port " + where);
    }
    if (proto == "tcp" && ::listen(fd.get(), 1) != 0 && errno == EADDRINUSE)
        throw InvalidArgument("cannot publish host port " + std::to_string(port) + " (" + where +
                              "): address already in use (by another container or process)");
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    return ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void checkHostPorts(const std::vector<PortMapping>& ports) {
    for (const auto& m : ports)
        for (unsigned i = 0; i < m.count; ++i) probeBind(m.hostIp, static_cast<uint16_t>(m.hostPort + i), m.protocol);
}

// ---- host addresses (pasta copies them into the namespace) ---------------------------

struct HostRoute {
    std::string iface, address, gateway;
};

HostRoute defaultRoute() {
    HostRoute r;
    try {
        for (const auto& line : str::split(fsutil::readFile("/proc/net/route"), '\n')) {
            auto f = str::split(line, '\t');
            if (f.size() < 3 || f[1] != "00000000") continue;
            r.iface = str::trim(f[0]);
            in_addr gw{};
            gw.s_addr = static_cast<in_addr_t>(std::stoul(f[2], nullptr, 16));
            char buf[INET_ADDRSTRLEN];
            r.gateway = ::inet_ntop(AF_INET, &gw, buf, sizeof buf) ? buf : "";
            break;
        }
    } catch (const std::exception&) {
    }
    if (r.iface.empty()) return r;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) {
        for (ifaddrs* a = list; a; a = a->ifa_next)
            if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && r.iface == a->ifa_name) {
                char buf[INET_ADDRSTRLEN];
                if (::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf))
                    r.address = buf;
                break;
            }
        ::freeifaddrs(list);
    }
    return r;
}

// ---- the keeper ------------------------------------------------------------------------

void closeAllBut(int a, int b) {
    if (a > b) std::swap(a, b);
    auto closeRange = [](unsigned lo, unsigned hi) {
        if (lo > hi) return;
        if (::syscall(SYS_close_range, lo, hi, 0u) != 0)
            for (unsigned fd = lo; fd <= hi && fd < 65536; ++fd) ::close(static_cast<int>(fd));
    };
    closeRange(3, static_cast<unsigned>(a) - 1);
    closeRange(static_cast<unsigned>(a) + 1, static_cast<unsigned>(b) - 1);
    closeRange(static_cast<unsigned>(b) + 1, ~0u);
}

/// The keeper's whole life (after fork: async-signal-safe calls only).
[[noreturn]] void keeperMain(const char* path, const char* sockPath, int lifeFd, int readyFd) {
    ::setpgid(0, 0);  // a terminal's ^C must not kill it before the cleanup
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP}) ::signal(s, SIG_IGN);
    ::prctl(PR_SET_NAME, "hutch-netns", 0, 0, 0);
    closeAllBut(lifeFd, readyFd);  // inherited lock files would keep their flocks alive
    int err = 0;
    if (::unshare(CLONE_NEWNET) != 0)
        err = errno;
    else if (::mount("/proc/self/ns/net", path, nullptr, MS_BIND, nullptr) != 0)
        err = errno;
    ssize_t w = ::write(readyFd, &err, sizeof err);
    (void)w;
    ::close(readyFd);
    if (err) ::_exit(1);
    int helper = 0;
    ssize_t n;
    while ((n = ::read(lifeFd, &helper, sizeof helper)) < 0 && errno == EINTR) {
    }
    if (n != sizeof helper) helper = 0;
    char c;
    while ((n = ::read(lifeFd, &c, 1)) != 0)
        if (n < 0 && errno != EINTR) break;
    ::umount2(path, MNT_DETACH);
    ::unlink(path);
    if (helper > 0) ::kill(helper, SIGTERM);
    ::unlink(sockPath);
    ::_exit(0);
}

/// Forks the keeper; returns its pid once the namespace file is mounted. Throws SysError.
pid_t startKeeper(const std::string& path, UniqueFd& lifeWrite) {
    fsutil::mkdirAll(path.substr(0, path.rfind('/')), 0700);
    { UniqueFd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)); if (!f) throw SysError(errno, "create " + path); }
    int life[2], ready[2];
    checkSys(::pipe2(life, O_CLOEXEC), "pipe");
    UniqueFd lifeR(life[0]), lifeW(life[1]);
    checkSys(::pipe2(ready, O_CLOEXEC), "pipe");
    UniqueFd readyR(ready[0]), readyW(ready[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork the network namespace keeper");
    const std::string sock = apiSocketPath(path);  // slirp4netns's, if any
    if (pid == 0) keeperMain(path.c_str(), sock.c_str(), lifeR.get(), readyW.get());
    lifeR.reset();
    readyW.reset();
    int err = -1;
    ssize_t n;
    while ((n = ::read(readyR.get(), &err, sizeof err)) < 0 && errno == EINTR) {
    }
    if (n != sizeof err || err != 0) {
        int st;
        ::waitpid(pid, &st, 0);
        ::unlink(path.c_str());
        throw SysError(n == sizeof err ? err : EPIPE, "create the container's network namespace at " + path);
    }
    lifeWrite = std::move(lifeW);
    return pid;
}

// ---- helpers ---------------------------------------------------------------------------

/// Runs `args` with stdin /dev/null and stdout+stderr to `logFile`, in its own process
/// group, keeping `keepFds` open; `executable` (default args[0]) is the file run. Returns the pid.
pid_t spawnHelper(const std::vector<std::string>& args, const std::string& logFile, std::vector<int> keepFds = {},
                  const std::string& executable = "") {
    const std::string& exe = executable.empty() ? args[0] : executable;
    UniqueFd log(::open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log) throw SysError(errno, "open " + logFile);
    UniqueFd nul(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork " + args[0]);
    if (pid == 0) {
        ::setpgid(0, 0);
        // Default dispositions and mask: pasta fails ("Couldn't install signal handlers") when
        // it inherits an ignored SIGPIPE, as the monitor has.
        for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(nul.get(), 0);
        ::dup2(log.get(), 1);
        ::dup2(log.get(), 2);
        for (int fd : keepFds) ::fcntl(fd, F_SETFD, 0);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

/// The helper's output for an error message, without pasta's syslog noise.
std::string helperOutput(const std::string& logFile) {
    std::string out;
    try {
        for (const auto& line : str::split(fsutil::readFile(logFile), '\n'))
            if (!line.empty() && line.find("to syslog") == std::string::npos) out += (out.empty() ? "" : "; ") + line;
    } catch (const Error&) {
    }
    return out.empty() ? "no output" : out;
}

std::string portSpec(const PortMapping& m) {
    std::string s = m.hostIp.empty() ? "" : m.hostIp + "/";
    s += std::to_string(m.hostPort);
    if (m.count > 1) s += "-" + std::to_string(m.hostPort + m.count - 1);
    s += ":" + std::to_string(m.containerPort);
    if (m.count > 1) s += "-" + std::to_string(m.containerPort + m.count - 1);
    return s;
}

/// pasta's executable to run: the AVX2 build directly when the CPU has AVX2 (pasta would
/// re-exec itself into it: one exec saved), else `exe`. argv[0] stays "pasta" (it selects
/// pasta mode over passt mode).
std::string pastaBinary(const std::string& exe) {
    std::string avx2 = exe.substr(0, exe.rfind('/') + 1) + "passt.avx2";
    if (__builtin_cpu_supports("avx2") && ::access(avx2.c_str(), X_OK) == 0) return avx2;
    return exe;
}

/// Starts pasta on st.nsPath without waiting: it configures the namespace and daemonizes
/// (its first process exits) while the caller goes on. finishPasta() waits for that.
PendingHelper spawnPasta(const std::string& exe, NetworkState& st, const std::vector<PortMapping>& ports,
                         const std::string& runDir) {
    PendingHelper p;
    p.pidFile = runDir + "/pasta.pid";
    p.logFile = runDir + "/pasta.log";
    p.args = {exe, "--config-net", "--netns", st.nsPath, "--quiet", "-T", "none", "-U", "none",
              "--dns-forward", kPastaDnsForwarder, "--pid", p.pidFile};
    for (const char* proto : {"tcp", "udp"}) {
        std::vector<std::string> specs;
        for (const auto& m : ports)
            if (m.protocol == proto) specs.push_back(portSpec(m));
        if (specs.empty()) specs.push_back("none");
        for (auto& s : specs) p.args.insert(p.args.end(), {proto == std::string("tcp") ? "-t" : "-u", s});
    }
    ::unlink(p.pidFile.c_str());
    p.pid = spawnHelper(p.args, p.logFile, {}, pastaBinary(exe));
    // Known without pasta: it copies the host's address and default gateway.
    HostRoute r = defaultRoute();
    st.address = r.address;
    st.gateway = r.gateway;
    st.dnsForwarder = kPastaDnsForwarder;
    return p;
}

/// Waits until the pasta started by spawnPasta() has configured the namespace and records
/// its daemon's pid. Throws Error with pasta's output when it failed.
void finishPasta(PendingHelper& p, NetworkState& st) {
    int status = 0;
    while (::waitpid(p.pid, &status, 0) < 0)
        if (errno != EINTR) throw SysError(errno, "wait for pasta");
    p.pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("pasta failed (" +
                    (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                       : "signal " + std::to_string(WTERMSIG(status))) +
                    "): " + helperOutput(p.logFile) + " [" + str::join(p.args, " ") + "]");
    try {
        st.helperPid = std::stoi(fsutil::readFile(p.pidFile));
    } catch (const std::exception&) {
        throw Error("pasta started but wrote no pid file " + p.pidFile);
    }
    st.helperStartTime = proc::startTime(st.helperPid);
    st.helper = "pasta";
}

/// slirp4netns's API: one JSON request, one JSON reply. Throws Error with its error.
void slirpApi(const std::string& sock, const std::string& request) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock.c_str());
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        throw SysError(errno, "connect to slirp4netns API socket " + sock);
    if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size()))
        throw SysError(errno, "write to slirp4netns API socket");
    ::shutdown(fd.get(), SHUT_WR);
    std::string reply;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
    auto j = nlohmann::json::parse(reply, nullptr, false);
    if (j.is_discarded() || j.contains("error"))
        throw Error("slirp4netns refused " + request + ": " + (j.is_discarded() ? reply : j["error"].dump()));
}

void startSlirp(const std::string& exe, NetworkState& st, const std::vector<PortMapping>& ports,
                const std::string& runDir) {
    std::string logFile = runDir + "/slirp4netns.log", sock = apiSocketPath(st.nsPath);
    int ready[2];
    checkSys(::pipe2(ready, O_CLOEXEC), "pipe");
    UniqueFd readyR(ready[0]), readyW(ready[1]);
    ::unlink(sock.c_str());
    std::vector<std::string> args = {exe, "--configure", "--mtu=65520", "--netns-type=path",
                                     "--ready-fd=" + std::to_string(readyW.get()), "--api-socket", sock, st.nsPath,
                                     "tap0"};
    pid_t pid = spawnHelper(args, logFile, {readyW.get()});
    readyW.reset();
    char c = 0;
    ssize_t n;
    while ((n = ::read(readyR.get(), &c, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw Error("slirp4netns failed: " + helperOutput(logFile) + " [" + str::join(args, " ") + "]");
    }
    st.helper = "slirp4netns";
    st.helperPid = pid;
    st.helperStartTime = proc::startTime(pid);
    st.address = "10.0.2.100";
    st.gateway = "10.0.2.2";
    st.dnsForwarder = "10.0.2.3";
    for (const auto& m : ports)
        for (unsigned i = 0; i < m.count; ++i)
            slirpApi(sock, nlohmann::json{{"execute", "add_hostfwd"},
                                          {"arguments",
                                           {{"proto", m.protocol},
                                            {"host_addr", m.hostIp.empty() ? "0.0.0.0" : m.hostIp},
                                            {"host_port", m.hostPort + i},
                                            {"guest_port", m.containerPort + i}}}}
                               .dump());
}

}  // namespace

std::string defaultNetworkHelper(std::string* executable) {
    for (const char* h : {"pasta", "slirp4netns"}) {
        std::string exe = runtime::findProgram(h);
        if (exe.empty()) continue;
        if (executable) *executable = exe;
        return h;
    }
    return "";
}

NetworkHandle::NetworkHandle(NetworkHandle&& o) noexcept
    : state_(std::exchange(o.state_, {})), pending_(std::exchange(o.pending_, {})), lifetime_(std::move(o.lifetime_)) {}

NetworkHandle& NetworkHandle::operator=(NetworkHandle&& o) noexcept {
    if (this != &o) {
        teardown();
        state_ = std::exchange(o.state_, {});
        pending_ = std::exchange(o.pending_, {});
        lifetime_ = std::move(o.lifetime_);
    }
    return *this;
}

void NetworkHandle::teardown() noexcept {
    if (pending_.pid > 0) {  // never waited for: its daemon, if any, quits with the namespace file
        ::kill(pending_.pid, SIGKILL);
        while (::waitpid(pending_.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        pending_ = {};
    }
    if (state_.helperPid > 0 && sameProcess(state_.helperPid, state_.helperStartTime)) ::kill(state_.helperPid, SIGTERM);
    if (state_.helper == "slirp4netns" && state_.helperPid > 0) ::waitpid(state_.helperPid, nullptr, 0);
    lifetime_.reset();  // the keeper unmounts and removes the file
    if (state_.keeperPid > 0)
        while (::waitpid(state_.keeperPid, nullptr, 0) < 0 && errno == EINTR) {
        }
    state_ = {};
}

void NetworkHandle::waitReady() {
    if (pending_.pid <= 0) return;
    try {
        finishPasta(pending_, state_);
    } catch (const Error& e) {
        std::string slirp = std::exchange(pending_.fallback, "");
        if (slirp.empty()) throw;
        log::warn("pasta failed, falling back to slirp4netns: {}", e.what());
        startSlirp(slirp, state_, pending_.ports, pending_.runDir);
    }
    pending_ = {};
    // The keeper stops the helper when our end of its pipe closes.
    ssize_t w = ::write(lifetime_.get(), &state_.helperPid, sizeof state_.helperPid);
    (void)w;
    log::debug("network: {} (pid {}) serves {}", state_.helper, state_.helperPid, state_.nsPath);
}

void cleanupNetwork(const NetworkState& st) noexcept {
    if (sameProcess(st.helperPid, st.helperStartTime)) ::kill(st.helperPid, SIGTERM);
    if (sameProcess(st.keeperPid, st.keeperStartTime)) ::kill(st.keeperPid, SIGKILL);
    if (st.ownsNamespace && !st.nsPath.empty()) {
        ::umount2(st.nsPath.c_str(), MNT_DETACH);
        ::unlink(st.nsPath.c_str());
        ::unlink(apiSocketPath(st.nsPath).c_str());
    }
}

NetworkHandle setupNetwork(Context& ctx, const ContainerRecord& rec, bool wait) {
    NetworkHandle h;
    const std::string& mode = rec.config.network;
    if (mode == "host" || mode == "none") return h;
    if (mode.rfind("container:", 0) == 0) {
        std::string other = mode.substr(10);
        ContainerRecord o = loadContainer(ctx, other);
        if (effectiveStatus(o) != ContainerStatus::Running)
            throw InvalidArgument("--network container:" + other + ": the container is not running");
        if (o.config.network == "host")
            throw InvalidArgument("--network container:" + other + ": that container uses the host network; use --network host");
        h.state_.nsPath = "/proc/" + std::to_string(o.pid) + "/ns/net";
        h.state_.address = o.netState.address;
        h.state_.gateway = o.netState.gateway;
        h.state_.dnsForwarder = o.netState.dnsForwarder;
        return h;
    }
    std::string exe, helper = mode;
    if (mode == "private") {
        helper = defaultNetworkHelper(&exe);
        if (helper.empty())
            throw Error("private networking needs pasta (apt-get install passt) or slirp4netns (apt-get install "
                        "slirp4netns); or use --network host");
    } else {
        exe = runtime::findProgram(helper);
        if (exe.empty())
            throw Error("--network " + mode + ": " + mode + " not found (apt-get install " +
                        (mode == "pasta" ? "passt" : "slirp4netns") + ")");
    }
    checkHostPorts(rec.config.net.ports);
    std::string runDir = ctx.store().containerRunDir(rec.id);
    fsutil::mkdirAll(runDir, 0700);
    h.state_.nsPath = fsutil::join(ctx.store().runRoot(), "netns/" + rec.id);
    h.state_.ownsNamespace = true;
    h.state_.keeperPid = startKeeper(h.state_.nsPath, h.lifetime_);
    h.state_.keeperStartTime = proc::startTime(h.state_.keeperPid);
    if (helper == "pasta") {
        h.pending_ = spawnPasta(exe, h.state_, rec.config.net.ports, runDir);
        if (mode == "private") h.pending_.fallback = runtime::findProgram("slirp4netns");
        h.pending_.ports = rec.config.net.ports;
        h.pending_.runDir = runDir;
        if (wait) h.waitReady();
        return h;
    }
    startSlirp(exe, h.state_, rec.config.net.ports, runDir);
    ssize_t w = ::write(h.lifetime_.get(), &h.state_.helperPid, sizeof h.state_.helperPid);
    (void)w;
    log::debug("network: {} (pid {}) serves {}", h.state_.helper, h.state_.helperPid, h.state_.nsPath);
    return h;
}

std::vector<PortMapping> resolvePorts(const NetworkOptions& opts, const std::vector<std::string>& exposed) {
    std::vector<PortMapping> out;
    auto add = [&](const PortMapping& m) {
        if (m.hostPort != 0) {
            out.push_back(m);
            return;
        }
        for (unsigned i = 0; i < m.count; ++i) {  // a free port for each container port
            PortMapping one = m;
            one.count = 1;
            one.containerPort = static_cast<uint16_t>(m.containerPort + i);
            one.hostPort = probeBind(m.hostIp, 0, m.protocol);
            out.push_back(one);
        }
    };
    for (const auto& m : opts.ports) add(m);
    if (opts.publishAll)
        for (const auto& e : exposedPorts(exposed)) {
            bool published = false;
            for (const auto& m : out)
                published |= m.protocol == e.protocol && e.containerPort >= m.containerPort &&
                             e.containerPort < m.containerPort + m.count;
            if (!published) add(e);
        }
    return out;
}

}  // namespace hutch::engine

namespace hutch::engine {

void prepareNetworkConfig(Context& ctx, ContainerConfig& config, const std::string& imageId) {
    validateNetworkMode(config.network);
    for (const auto& h : config.net.addHosts) parseAddHost(h);
    bool privateNet = config.network == "private" || config.network == "pasta" || config.network == "slirp4netns";
    if (!privateNet && (!config.net.ports.empty() || config.net.publishAll))
        throw InvalidArgument("-p/--publish and -P need a private network, not --network " + config.network);
    if (config.network.rfind("container:", 0) == 0)
        config.network = "container:" + loadContainer(ctx, config.network.substr(10)).id;
    if (!privateNet) return;
    std::vector<std::string> exposed;
    if (config.net.publishAll) {
        ImageInfo image = imageInfo(ctx, imageId);
        exposed = registry::parseImageConfig(image.config.dump()).exposedPorts;
    }
    config.net.ports = resolvePorts(config.net, exposed);
    config.net.publishAll = false;  // resolved: a restart publishes the same ports
}

std::string containerHostsFile(const ContainerRecord& rec, const std::string& hostname) {
    if (rec.config.net.noHosts) return "";
    HostsInput in;
    in.hostname = hostname;
    in.address = rec.netState.address;
    in.hostGateway = rec.netState.gateway;
    for (const auto& h : rec.config.net.addHosts) {
        auto entry = parseAddHost(h);
        if (entry.second == "host-gateway") entry.second = rec.netState.gateway.empty() ? "127.0.0.1" : rec.netState.gateway;
        in.extra.push_back(entry);
    }
    return hostsFile(in);
}

std::string containerResolvConf(const ContainerRecord& rec, const std::string& hostResolvConf) {
    ResolvInput in;
    in.hostNetwork = rec.config.network == "host";
    in.noNetwork = rec.config.network == "none";
    in.forwarder = rec.netState.dnsForwarder;
    in.dns = rec.config.net.dns;
    in.search = rec.config.net.dnsSearch;
    in.options = rec.config.net.dnsOptions;
    if (in.hostNetwork && in.dns.empty() && in.search.empty() && in.options.empty()) return hostResolvConf;
    return resolvConfFile(hostResolvConf, in);
}

}  // namespace hutch::engine
