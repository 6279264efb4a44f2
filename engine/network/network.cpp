#include "hutch/engine/network/network.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/ipc.hpp"
#include "hutch/common/log.hpp"
#include "hutch/common/proc.hpp"
#include "hutch/runtime/netns.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/spec/etcfiles.hpp"
#include "hutch/engine/image/images.hpp"
#include "hutch/engine/network/portfwd.hpp"
#include "hutch/registry/image_config.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

namespace {

constexpr const char* kPastaDnsForwarder = "169.254.1.1";

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

/// Closes every descriptor from 3 up except those in `keep` (sorted ascending).
void closeAllBut(const std::vector<int>& keep) {
    auto closeRange = [](unsigned lo, unsigned hi) {
        if (lo > hi) return;
        if (::syscall(SYS_close_range, lo, hi, 0u) != 0)
            for (unsigned fd = lo; fd <= hi && fd < 65536; ++fd) ::close(static_cast<int>(fd));
    };
    unsigned next = 3;
    for (int fd : keep) {
        if (fd < static_cast<int>(next)) continue;
        closeRange(next, static_cast<unsigned>(fd) - 1);
        next = static_cast<unsigned>(fd) + 1;
    }
    closeRange(next, ~0u);
}

/// The keeper's whole life (after fork: async-signal-safe calls only; the forwarder
/// allocates nothing). `keep` lists the descriptors it holds, sorted.
/// `adoptFrom`: "/proc/PID/ns/net" of a container whose namespace it holds, or "" to make one.
[[noreturn]] void keeperMain(const char* path, const char* adoptFrom, int lifeFd, int readyFd, const std::vector<int>& keep,
                             PortForwarder& forwarder) {
    ::setpgid(0, 0);  // a terminal's ^C must not kill it before the cleanup
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP}) ::signal(s, SIG_IGN);
    ::prctl(PR_SET_NAME, "hutch-netns", 0, 0, 0);
    closeAllBut(keep);  // inherited lock files would keep their flocks alive
    // lo up too: the forwarder connects to 127.0.0.1 in there.
    int err = *adoptFrom ? runtime::adoptNetnsFile(path, adoptFrom) : runtime::makeNetnsFile(path);
    ssize_t w = ::write(readyFd, &err, sizeof err);
    (void)w;
    ::close(readyFd);
    if (err) ::_exit(1);
    // Relay published ports until the owner closes its end of lifeFd; the helper's pid
    // comes through it first.
    int helper = 0;
    size_t got = 0;
    for (;;) {
        if (!forwarder.serveUntilReadable(lifeFd)) {
            pollfd p{lifeFd, POLLIN, 0};
            ::poll(&p, 1, -1);
        }
        char buf[16];
        ssize_t n = ::read(lifeFd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t i = 0; i < n && got < sizeof helper; ++i, ++got) reinterpret_cast<char*>(&helper)[got] = buf[i];
    }
    runtime::removeNetnsFile(path);
    if (got == sizeof helper && helper > 0) ::kill(helper, SIGTERM);
    ::_exit(0);
}

/// Forks the keeper, which takes `forwarder` (and its host sockets) with it; returns its pid
/// once the namespace file is mounted. The keeper makes a new namespace, or with
/// `containerPid` > 0 holds that process's (made with the container's own user namespace).
/// Throws SysError.
pid_t startKeeper(const std::string& path, UniqueFd& lifeWrite, PortForwarder& forwarder, pid_t containerPid = 0) {
    const std::string adoptFrom = containerPid > 0 ? "/proc/" + std::to_string(containerPid) + "/ns/net" : "";
    fsutil::mkdirAll(path.substr(0, path.rfind('/')), 0700);
    { UniqueFd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)); if (!f) throw SysError(errno, "create " + path); }
    int life[2], ready[2];
    checkSys(::pipe2(life, O_CLOEXEC), "pipe");
    UniqueFd lifeR(life[0]), lifeW(life[1]);
    checkSys(::pipe2(ready, O_CLOEXEC), "pipe");
    UniqueFd readyR(ready[0]), readyW(ready[1]);
    std::vector<int> keep = forwarder.fds();
    keep.push_back(lifeR.get());
    keep.push_back(readyW.get());
    std::sort(keep.begin(), keep.end());
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork the network namespace keeper");
    if (pid == 0) keeperMain(path.c_str(), adoptFrom.c_str(), lifeR.get(), readyW.get(), keep, forwarder);
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
        throw SysError(n == sizeof err ? err : EPIPE, (containerPid > 0 ? "hold the network namespace of " + adoptFrom + " at "
                                                                          : "create the container's network namespace at ") + path);
    }
    lifeWrite = std::move(lifeW);
    return pid;
}

// ---- helpers ---------------------------------------------------------------------------

/// Runs `args` with stdin /dev/null and stdout+stderr to `logFile`, in its own process
/// group, keeping `keepFds` open; `executable` (default args[0]) is the file run. With
/// `detach`, the helper is a grandchild (its parent exits at once) that nobody has to reap:
/// stopping it is then a kill without a wait (slirp4netns takes 10-30 ms to exit, closing its
/// tap device). Returns the helper's pid.
pid_t spawnHelper(const std::vector<std::string>& args, const std::string& logFile, std::vector<int> keepFds = {},
                  const std::string& executable = "", bool detach = false) {
    const std::string& exe = executable.empty() ? args[0] : executable;
    UniqueFd log(::open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log) throw SysError(errno, "open " + logFile);
    UniqueFd nul(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int pidPipe[2] = {-1, -1};
    if (detach) checkSys(::pipe2(pidPipe, O_CLOEXEC), "pipe");
    UniqueFd pidR(pidPipe[0]), pidW(pidPipe[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork " + args[0]);
    if (pid == 0) {
        ::setpgid(0, 0);
        if (detach) {
            pid_t g = ::fork();
            if (g != 0) {
                if (g > 0) ipc::sendPid(pidW.get(), g);
                ::_exit(g > 0 ? 0 : 1);
            }
        }
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
    if (!detach) return pid;
    pidW.reset();
    pid_t helper = ipc::receivePid(pidR.get());
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (helper <= 0) throw Error("could not start " + args[0] + " (fork failed)");
    return helper;
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

/// pasta's executable to run: the AVX2 build directly when the CPU has AVX2 (pasta would
/// re-exec itself into it: one exec saved), else `exe`. argv[0] stays "pasta" (it selects
/// pasta mode over passt mode).
std::string pastaBinary(const std::string& exe) {
    std::string avx2 = exe.substr(0, exe.rfind('/') + 1) + "passt.avx2";
    if (__builtin_cpu_supports("avx2") && ::access(avx2.c_str(), X_OK) == 0) return avx2;
    return exe;
}

/// The container's addresses under pasta, known without it: it copies the host's address and
/// default gateway.
void pastaAddresses(NetworkState& st) {
    HostRoute r = defaultRoute();
    st.address = r.address;
    st.gateway = r.gateway;
    st.dnsForwarder = kPastaDnsForwarder;
}

/// The container's addresses under slirp4netns (its fixed 10.0.2.0/24).
void slirpAddresses(NetworkState& st) {
    st.helper = "slirp4netns";
    st.address = "10.0.2.100";
    st.gateway = "10.0.2.2";
    st.dnsForwarder = "10.0.2.3";
}

/// Starts pasta on st.nsPath without waiting: it configures the namespace and daemonizes
/// (its first process exits) while the caller goes on. finishPasta() waits for that.
/// Published ports are the keeper's (portfwd.hpp), not pasta's.
PendingHelper spawnPasta(const std::string& exe, NetworkState& st, const std::string& runDir) {
    PendingHelper p;
    p.pidFile = runDir + "/pasta.pid";
    p.logFile = runDir + "/pasta.log";
    p.args = {exe, "--config-net", "--netns", st.nsPath, "--quiet", "-T", "none", "-U", "none", "-t", "none",
              "-u", "none", "--dns-forward", kPastaDnsForwarder, "--pid", p.pidFile};
    ::unlink(p.pidFile.c_str());
    p.pid = spawnHelper(p.args, p.logFile, {}, pastaBinary(exe));
    pastaAddresses(st);
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

/// Starts slirp4netns on st.nsPath without waiting: it configures the namespace (about 3-5
/// ms) while the caller goes on; finishSlirp() waits for its ready fd. Published ports are the
/// keeper's (portfwd.hpp). The host's loopback is reachable at the gateway address.
PendingHelper spawnSlirp(const std::string& exe, NetworkState& st, const std::string& runDir) {
    PendingHelper p;
    p.logFile = runDir + "/slirp4netns.log";
    int ready[2];
    checkSys(::pipe2(ready, O_CLOEXEC), "pipe");
    UniqueFd readyW(ready[1]);
    p.readyFd.reset(ready[0]);
    p.args = {exe, "--configure", "--mtu=65520", "--netns-type=path",
              "--ready-fd=" + std::to_string(readyW.get()), st.nsPath, "tap0"};
    p.pid = spawnHelper(p.args, p.logFile, {readyW.get()}, "", /*detach=*/true);
    slirpAddresses(st);
    return p;
}

/// Waits until the slirp4netns started by spawnSlirp() has configured the namespace and
/// records its pid. Throws Error with its output when it failed (and stops it).
void finishSlirp(PendingHelper& p, NetworkState& st) {
    char c = 0;
    ssize_t n;
    while ((n = ::read(p.readyFd.get(), &c, 1)) < 0 && errno == EINTR) {
    }
    p.readyFd.reset();
    if (n != 1) {
        ::kill(p.pid, SIGKILL);
        p.pid = 0;
        throw Error("slirp4netns failed: " + helperOutput(p.logFile) + " [" + str::join(p.args, " ") + "]");
    }
    st.helperPid = p.pid;
    st.helperStartTime = proc::startTime(p.pid);
    p.pid = 0;
}

}  // namespace

std::string defaultNetworkHelper(std::string* executable) {
    for (const char* h : {"slirp4netns", "pasta"}) {
        std::string exe = proc::findProgram(h);
        if (exe.empty()) continue;
        if (executable) *executable = exe;
        return h;
    }
    return "";
}

NetworkHandle::NetworkHandle(NetworkHandle&& o) noexcept
    : state_(std::exchange(o.state_, {})), pending_(std::exchange(o.pending_, {})), deferred_(std::exchange(o.deferred_, {})),
      lifetime_(std::move(o.lifetime_)) {}

NetworkHandle& NetworkHandle::operator=(NetworkHandle&& o) noexcept {
    if (this != &o) {
        teardown();
        state_ = std::exchange(o.state_, {});
        pending_ = std::exchange(o.pending_, {});
        deferred_ = std::exchange(o.deferred_, {});
        lifetime_ = std::move(o.lifetime_);
    }
    return *this;
}

void NetworkHandle::teardown() noexcept {
    deferred_ = {};  // never attached: closes the host ports bound for it
    if (pending_.pid > 0) {  // never waited for: its daemon, if any, quits with the namespace file
        ::kill(pending_.pid, SIGKILL);
        while (::waitpid(pending_.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        pending_ = {};
    }
    lifetime_.reset();  // the keeper unmounts and removes the file, and stops the helper
    if (state_.keeperPid > 0)
        while (::waitpid(state_.keeperPid, nullptr, 0) < 0 && errno == EINTR) {
        }
    // Not waited for: a detached slirp4netns, or pasta's daemon, ends in the background.
    if (state_.helperPid > 0 && proc::sameProcess(state_.helperPid, state_.helperStartTime)) ::kill(state_.helperPid, SIGTERM);
    state_ = {};
}

void NetworkHandle::attach(pid_t containerPid) {
    if (!deferred_.active) return;
    Deferred d = std::exchange(deferred_, {});
    state_.nsPath = d.nsPath;
    state_.ownsNamespace = true;
    state_.keeperPid = startKeeper(state_.nsPath, lifetime_, d.forwarder, containerPid);
    state_.keeperStartTime = proc::startTime(state_.keeperPid);
    startHelper(d.exe, d.helper, d.mode, d.runDir);
}

void NetworkHandle::startHelper(const std::string& exe, const std::string& helper, const std::string& mode,
                                const std::string& runDir) {
    if (helper == "slirp4netns") {
        pending_ = spawnSlirp(exe, state_, runDir);
        if (mode == "private") pending_.fallback = proc::findProgram("pasta");
    } else {
        pending_ = spawnPasta(exe, state_, runDir);
    }
}

void NetworkHandle::waitReady() {
    if (deferred_.active) throw Error("the container's network namespace was never attached (no container pid)");
    if (pending_.pid <= 0) return;
    if (pending_.readyFd) {
        try {
            finishSlirp(pending_, state_);
        } catch (const Error& e) {
            if (pending_.fallback.empty()) throw;
            // "private" on a host where slirp4netns cannot work (no /dev/net/tun, say): the
            // same namespace file is handed to pasta.
            log::warn("slirp4netns failed, falling back to pasta: {}", e.what());
            std::string runDir = pending_.logFile.substr(0, pending_.logFile.rfind('/'));
            pending_ = spawnPasta(pending_.fallback, state_, runDir);
        }
    }
    if (pending_.pid > 0) finishPasta(pending_, state_);
    pending_ = {};
    ipc::sendPid(lifetime_.get(), state_.helperPid);  // the keeper stops it when it ends
    log::debug("network: {} (pid {}) serves {}", state_.helper, state_.helperPid, state_.nsPath);
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
        exe = proc::findProgram(helper);
        if (exe.empty())
            throw Error("--network " + mode + ": " + mode + " not found (apt-get install " +
                        (mode == "pasta" ? "passt" : "slirp4netns") + ")");
    }
    // Published ports: bound here, in the host's namespace, relayed by the keeper.
    PortForwarder forwarder(bindPublishedPorts(rec.config.net.ports));
    std::string runDir = ctx.store().containerRunDir(rec.id);
    fsutil::mkdirAll(runDir, 0700);
    std::string nsPath = fsutil::join(ctx.store().runRoot(), "netns/" + rec.id);
    if (!rec.config.uidMappings.empty()) {
        // A user namespace of the container's own: the runtime creates the network namespace
        // with it, so that namespace belongs to the container (its root may configure it:
        // NET_ADMIN, iptables, sysctls); the keeper and the helper take it once it exists
        // (attach). The addresses are known now, for /etc/hosts.
        if (helper == "slirp4netns") slirpAddresses(h.state_);
        else pastaAddresses(h.state_);
        h.deferred_ = {true, exe, helper, mode, runDir, nsPath, std::move(forwarder)};
        if (wait) throw Error("setupNetwork: a container with its own user namespace needs attach() before waitReady()");
        return h;
    }
    h.state_.nsPath = nsPath;
    h.state_.ownsNamespace = true;
    h.state_.keeperPid = startKeeper(h.state_.nsPath, h.lifetime_, forwarder);
    h.state_.keeperStartTime = proc::startTime(h.state_.keeperPid);
    h.startHelper(exe, helper, mode, runDir);
    if (wait) h.waitReady();
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
            bindHostPort(m.hostIp, 0, m.protocol, &one.hostPort);
            out.push_back(one);
        }
    };
    for (const auto& m : opts.ports) add(m);
    // The same host port twice in one command: say so (the second bind would blame "another
    // container or process").
    auto overlaps = [](const PortMapping& a, const PortMapping& b) {
        bool anyA = a.hostIp.empty() || a.hostIp == "0.0.0.0", anyB = b.hostIp.empty() || b.hostIp == "0.0.0.0";
        return a.protocol == b.protocol && (anyA || anyB || a.hostIp == b.hostIp) &&
               a.hostPort < b.hostPort + b.count && b.hostPort < a.hostPort + a.count;
    };
    for (size_t i = 0; i < out.size(); ++i)
        for (size_t j = i + 1; j < out.size(); ++j)
            if (overlaps(out[i], out[j])) {
                unsigned port = std::max(out[i].hostPort, out[j].hostPort);
                throw InvalidArgument("-p/--publish: host port " + std::to_string(port) + "/" + out[i].protocol +
                                      " is published twice");
            }
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
