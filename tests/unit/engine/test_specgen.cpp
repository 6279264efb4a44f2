// specgen: effectiveCommand / effectiveEnv / effectiveHostname / buildSpec against podman's
// behaviour (pkg/specgen/generate makeCommand, libpod env handling) and runtime-spec config.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/engine/spec/capabilities.hpp"
#include "hutch/engine/spec/specgen.hpp"

using namespace hutch;
using namespace hutch::engine;
using nlohmann::json;
using Args = std::vector<std::string>;

namespace {

std::map<std::string, std::string> envMap(const std::vector<std::string>& env) {
    std::map<std::string, std::string> m;
    for (const auto& e : env) {
        auto eq = e.find('=');
        REQUIRE(eq != std::string::npos);
        REQUIRE(m.count(e.substr(0, eq)) == 0);  // no duplicate keys
        m[e.substr(0, eq)] = e.substr(eq + 1);
    }
    return m;
}

SpecInputs baseInputs() {
    SpecInputs in;
    in.containerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    in.rootfs = "/var/lib/hutch/overlay/abc/merged";
    in.image.cmd = {"sh"};
    in.image.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    in.user.uid = 0;
    in.user.gid = 0;
    in.user.home = "/root";
    in.files.hostname = "/run/hutch/ctr/hostname";
    in.files.hosts = "/run/hutch/ctr/hosts";
    in.files.resolvConf = "/run/hutch/ctr/resolv.conf";
    return in;
}

const json* findMount(const json& spec, const std::string& dst) {
    for (const auto& m : spec.at("mounts"))
        if (m.at("destination") == dst) return &m;
    return nullptr;
}

bool hasNamespace(const json& spec, const std::string& type) {
    for (const auto& ns : spec.at("linux").at("namespaces"))
        if (ns.at("type") == type) return true;
    return false;
}

bool isStringArray(const json& j) {
    if (!j.is_array()) return false;
    return std::all_of(j.begin(), j.end(), [](const json& e) { return e.is_string(); });
}

// JSON has no signed/unsigned distinction: a non-negative integer is what the schema's
// uint32/uint64 means (nlohmann's in-memory tag differs before and after a parse).
bool isUint(const json& j) { return j.is_number_integer() && j.get<int64_t>() >= 0; }

bool isAbs(const json& j) { return j.is_string() && !j.get<std::string>().empty() && j.get<std::string>()[0] == '/'; }

/// The rules of runtime-spec config.md / config-linux.md / schema/config-schema.json that
/// apply to what buildSpec emits. Each failure is a separate CHECK so the report names it.
void checkRuntimeSpecShape(const json& s) {
    REQUIRE(s.is_object());
    // ociVersion: REQUIRED string, SemVer 2.0.0.
    REQUIRE(s.contains("ociVersion"));
    REQUIRE(s["ociVersion"].is_string());
    std::string v = s["ociVersion"];
    CHECK(std::count(v.begin(), v.end(), '.') == 2);
    CHECK(v.rfind("1.", 0) == 0);
    // root: REQUIRED on Linux, path string.
    REQUIRE(s.contains("root"));
    CHECK(s["root"].at("path").is_string());
    CHECK(!s["root"]["path"].get<std::string>().empty());
    if (s["root"].contains("readonly")) CHECK(s["root"]["readonly"].is_boolean());
    // process: args REQUIRED non-empty string array, cwd REQUIRED absolute, user.uid/gid REQUIRED ints.
    REQUIRE(s.contains("process"));
    const json& p = s["process"];
    CHECK(isStringArray(p.at("args")));
    CHECK(!p["args"].empty());
    CHECK(isAbs(p.at("cwd")));
    CHECK(isUint(p.at("user").at("uid")));
    CHECK(isUint(p["user"].at("gid")));
    if (p["user"].contains("additionalGids")) {
        CHECK(p["user"]["additionalGids"].is_array());
        for (const auto& g : p["user"]["additionalGids"]) CHECK(isUint(g));
    }
    if (p.contains("terminal")) CHECK(p["terminal"].is_boolean());
    if (p.contains("noNewPrivileges")) CHECK(p["noNewPrivileges"].is_boolean());
    CHECK(isStringArray(p.at("env")));
    for (const auto& e : p["env"]) CHECK(e.get<std::string>().find('=') != std::string::npos);
    // capabilities: each set a string array of CAP_ names.
    if (p.contains("capabilities")) {
        for (auto& [k, set] : p["capabilities"].items()) {
            INFO("capability set " << k);
            CHECK(std::set<std::string>{"bounding", "effective", "inheritable", "permitted", "ambient"}.count(k) == 1);
            CHECK(isStringArray(set));
            for (const auto& c : set) CHECK(c.get<std::string>().rfind("CAP_", 0) == 0);
        }
    }
    // rlimits: type string RLIMIT_*, hard/soft uint64; no duplicate types.
    if (p.contains("rlimits")) {
        std::set<std::string> types;
        for (const auto& r : p["rlimits"]) {
            CHECK(r.at("type").is_string());
            CHECK(r["type"].get<std::string>().rfind("RLIMIT_", 0) == 0);
            CHECK(isUint(r.at("hard")));
            CHECK(isUint(r.at("soft")));
            CHECK(types.insert(r["type"].get<std::string>()).second);
        }
    }
    // hostname string.
    if (s.contains("hostname")) CHECK(s["hostname"].is_string());
    // mounts: destination REQUIRED absolute, source/type strings, options string array.
    REQUIRE(s.contains("mounts"));
    REQUIRE(s["mounts"].is_array());
    for (const auto& m : s["mounts"]) {
        INFO("mount " << m.dump());
        CHECK(isAbs(m.at("destination")));
        if (m.contains("type")) CHECK(m["type"].is_string());
        if (m.contains("source")) CHECK(m["source"].is_string());
        if (m.contains("options")) CHECK(isStringArray(m["options"]));
    }
    // annotations: string -> string.
    if (s.contains("annotations")) {
        CHECK(s["annotations"].is_object());
        for (auto& [k, val] : s["annotations"].items()) {
            CHECK(!k.empty());
            CHECK(val.is_string());
        }
    }
    // linux section.
    REQUIRE(s.contains("linux"));
    const json& l = s["linux"];
    static const std::set<std::string> nsTypes = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
    std::set<std::string> seen;
    for (const auto& ns : l.at("namespaces")) {
        REQUIRE(ns.at("type").is_string());
        CHECK(nsTypes.count(ns["type"].get<std::string>()) == 1);
        CHECK(seen.insert(ns["type"].get<std::string>()).second);  // duplicates are an error
        if (ns.contains("path")) CHECK(ns["path"].is_string());
    }
    // config.md: a hostname needs a new UTS namespace (runc rejects it otherwise).
    if (s.contains("hostname") && !s["hostname"].get<std::string>().empty()) CHECK(seen.count("uts") == 1);
    if (l.contains("devices")) {
        for (const auto& d : l["devices"]) {
            INFO("device " << d.dump());
            CHECK(isAbs(d.at("path")));
            CHECK(std::set<std::string>{"c", "b", "u", "p"}.count(d.at("type").get<std::string>()) == 1);
            CHECK(d.at("major").is_number_integer());
            CHECK(d.at("minor").is_number_integer());
            if (d.contains("fileMode")) CHECK(isUint(d["fileMode"]));
        }
    }
    for (const char* key : {"maskedPaths", "readonlyPaths"})
        if (l.contains(key)) {
            CHECK(isStringArray(l[key]));
            for (const auto& path : l[key]) CHECK(isAbs(path));
        }
    if (l.contains("rootfsPropagation"))
        CHECK(std::set<std::string>{"private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave",
                                    "runbindable"}
                  .count(l["rootfsPropagation"].get<std::string>()) == 1);
}

}  // namespace

TEST_CASE("effectiveCommand combines image Entrypoint and Cmd like podman", "[engine][specgen]") {
    ImageDefaults img;
    ContainerConfig cfg;

    SECTION("image entrypoint + cmd") {
        img.entrypoint = {"/entry.sh", "-x"};
        img.cmd = {"serve", "--port=80"};
        CHECK(effectiveCommand(img, cfg) == Args{"/entry.sh", "-x", "serve", "--port=80"});
    }
    SECTION("cmd only") {
        img.cmd = {"sh"};
        CHECK(effectiveCommand(img, cfg) == Args{"sh"});
    }
    SECTION("a command after the image replaces Cmd but keeps Entrypoint") {
        img.entrypoint = {"/entry.sh"};
        img.cmd = {"serve"};
        cfg.command = {"echo", "hi"};
        CHECK(effectiveCommand(img, cfg) == Args{"/entry.sh", "echo", "hi"});
    }
    SECTION("--entrypoint replaces Entrypoint and drops the image Cmd") {
        img.entrypoint = {"/entry.sh"};
        img.cmd = {"serve"};
        cfg.entrypoint = Args{"/bin/ls"};
        CHECK(effectiveCommand(img, cfg) == Args{"/bin/ls"});
        cfg.command = {"-l", "/"};
        CHECK(effectiveCommand(img, cfg) == Args{"/bin/ls", "-l", "/"});
    }
    SECTION("--entrypoint \"\" clears the Entrypoint; the command runs alone") {
        img.entrypoint = {"/entry.sh"};
        img.cmd = {"serve"};
        cfg.entrypoint = Args{};
        cfg.command = {"id", "-u"};
        CHECK(effectiveCommand(img, cfg) == Args{"id", "-u"});
    }
    SECTION("--entrypoint \"\" without a command is an error (podman: no command or entrypoint)") {
        img.entrypoint = {"/entry.sh"};
        img.cmd = {"serve"};
        cfg.entrypoint = Args{};
        CHECK_THROWS_AS(effectiveCommand(img, cfg), InvalidArgument);
    }
    SECTION("nothing at all -> InvalidArgument") {
        CHECK_THROWS_AS(effectiveCommand(img, cfg), InvalidArgument);
        CHECK_THROWS_WITH(effectiveCommand(img, cfg), Catch::Contains("no command or entrypoint"));
    }
}

TEST_CASE("effectiveEnv precedence: defaults < image Env < -e", "[engine][specgen]") {
    ImageDefaults img;
    ContainerConfig cfg;

    SECTION("PATH default, container=, HOSTNAME, HOME from the user; no TERM without -t") {
        auto m = envMap(effectiveEnv(img, cfg, "myhost", "/home/alice"));
        CHECK(m["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        CHECK(m["HOSTNAME"] == "myhost");
        CHECK(m["HOME"] == "/home/alice");
        CHECK(m.count("container") == 1);
        CHECK(m.count("TERM") == 0);
    }
    SECTION("-t adds TERM=xterm") {
        cfg.tty = true;
        auto m = envMap(effectiveEnv(img, cfg, "h", "/"));
        CHECK(m["TERM"] == "xterm");
    }
    SECTION("image Env overrides the PATH default; -e overrides the image") {
        img.env = {"PATH=/opt/bin:/bin", "FOO=image", "BAR=image"};
        cfg.env = {"FOO=run", "NEW=1"};
        auto env = effectiveEnv(img, cfg, "h", "/root");
        auto m = envMap(env);
        CHECK(m["PATH"] == "/opt/bin:/bin");
        CHECK(m["FOO"] == "run");
        CHECK(m["BAR"] == "image");
        CHECK(m["NEW"] == "1");
    }
    SECTION("later -e wins over an earlier one; a value may contain '='") {
        cfg.env = {"A=1", "A=2", "URL=a=b=c"};
        auto m = envMap(effectiveEnv(img, cfg, "h", "/"));
        CHECK(m["A"] == "2");
        CHECK(m["URL"] == "a=b=c");
    }
    SECTION("HOME from the image is kept, -e HOME wins over both") {
        img.env = {"HOME=/data"};
        auto m = envMap(effectiveEnv(img, cfg, "h", "/home/alice"));
        CHECK(m["HOME"] == "/data");
        cfg.env = {"HOME=/x"};
        m = envMap(effectiveEnv(img, cfg, "h", "/home/alice"));
        CHECK(m["HOME"] == "/x");
    }
    SECTION("-e HOSTNAME and -e TERM override the generated values") {
        cfg.tty = true;
        cfg.env = {"HOSTNAME=custom", "TERM=vt100"};
        auto m = envMap(effectiveEnv(img, cfg, "h", "/"));
        CHECK(m["HOSTNAME"] == "custom");
        CHECK(m["TERM"] == "vt100");
    }
    SECTION("image TERM wins over the -t default") {
        cfg.tty = true;
        img.env = {"TERM=linux"};
        auto m = envMap(effectiveEnv(img, cfg, "h", "/"));
        CHECK(m["TERM"] == "linux");
    }
}

// podman (libpod generateSpec: HOSTNAME added only when the env does not have one) and
// docker (daemon env: generated HOSTNAME, then ReplaceOrAppendEnvValues with the image+run
// Env) both keep an image's ENV HOSTNAME.
TEST_CASE("effectiveEnv keeps an image ENV HOSTNAME like podman and docker", "[engine][specgen]") {
    ImageDefaults img;
    img.env = {"HOSTNAME=fromimage"};
    auto m = envMap(effectiveEnv(img, ContainerConfig{}, "generated", "/"));
    CHECK(m["HOSTNAME"] == "fromimage");
}

TEST_CASE("effectiveHostname: -h, else the first 12 characters of the id", "[engine][specgen]") {
    ContainerConfig cfg;
    CHECK(effectiveHostname(cfg, "0123456789abcdef0123") == "0123456789ab");
    cfg.hostname = "web.example";
    CHECK(effectiveHostname(cfg, "0123456789abcdef0123") == "web.example");
}

TEST_CASE("buildSpec emits a valid runtime-spec config for root", "[engine][specgen]") {
    auto in = baseInputs();
    json s = buildSpec(in);
    checkRuntimeSpecShape(s);
    // round-trips through text as config.json would
    checkRuntimeSpecShape(json::parse(s.dump()));

    CHECK(s["ociVersion"].get<std::string>().rfind("1.0.", 0) == 0);
    CHECK(s["root"]["path"] == in.rootfs);
    CHECK(s["process"]["args"] == json(Args{"sh"}));
    CHECK(s["process"]["cwd"] == "/");
    CHECK(s["process"]["user"]["uid"] == 0);
    CHECK(s["process"]["user"]["gid"] == 0);
    CHECK(s["process"]["terminal"] == false);
    CHECK(s["hostname"] == "0123456789ab");

    auto m = envMap(s["process"]["env"].get<std::vector<std::string>>());
    CHECK(m["HOSTNAME"] == "0123456789ab");
    CHECK(m["HOME"] == "/root");

    // root gets podman's default capability set in bounding, effective and permitted.
    const auto& caps = s["process"]["capabilities"];
    // (a set: the order is capability-number order, not the list's)
    auto asSet = [](const json& j) { return j.get<std::set<std::string>>(); };
    std::set<std::string> def(defaultCapabilities().begin(), defaultCapabilities().end());
    CHECK(asSet(caps["bounding"]) == def);
    CHECK(asSet(caps["effective"]) == def);
    CHECK(asSet(caps["permitted"]) == def);
    std::set<std::string> capSet(defaultCapabilities().begin(), defaultCapabilities().end());
    for (const char* c : {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                          "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
                          "CAP_SYS_CHROOT"})
        CHECK(capSet.count(c) == 1);
    CHECK(capSet.count("CAP_SYS_ADMIN") == 0);
    CHECK(capSet.count("CAP_NET_RAW") == 0);  // podman dropped NET_RAW from the default set
    CHECK(capSet.size() == 11);

    // the default (private) network without a namespace path: a new one; the rest are new.
    for (const char* ns : {"pid", "ipc", "uts", "mount", "network"}) CHECK(hasNamespace(s, ns));
    CHECK_FALSE(hasNamespace(s, "user"));

    // the generated etc files are bind mounts of the given sources.
    for (auto [dst, src] : std::vector<std::pair<std::string, std::string>>{
             {"/etc/hostname", in.files.hostname}, {"/etc/hosts", in.files.hosts},
             {"/etc/resolv.conf", in.files.resolvConf}}) {
        const json* mt = findMount(s, dst);
        REQUIRE(mt);
        CHECK((*mt)["source"] == src);
        CHECK((*mt)["type"] == "bind");
        auto opts = (*mt)["options"].get<std::vector<std::string>>();
        CHECK(std::find(opts.begin(), opts.end(), "bind") != opts.end());
    }
    REQUIRE(findMount(s, "/proc"));
    CHECK((*findMount(s, "/proc"))["type"] == "proc");
    REQUIRE(findMount(s, "/dev"));
    REQUIRE(findMount(s, "/dev/pts"));
    CHECK((*findMount(s, "/dev/pts"))["type"] == "devpts");

    // rootful: sysfs is mounted, not bound.
    const json* sys = findMount(s, "/sys");
    REQUIRE(sys);
    CHECK((*sys)["type"] == "sysfs");

    auto masked = s["linux"]["maskedPaths"].get<std::vector<std::string>>();
    CHECK(std::find(masked.begin(), masked.end(), "/proc/kcore") != masked.end());
    auto ro = s["linux"]["readonlyPaths"].get<std::vector<std::string>>();
    CHECK(std::find(ro.begin(), ro.end(), "/proc/sys") != ro.end());

    // RLIMIT_NOFILE from the input.
    REQUIRE(s["process"]["rlimits"].size() >= 1);
    bool nofile = false;
    for (const auto& r : s["process"]["rlimits"])
        if (r["type"] == "RLIMIT_NOFILE") {
            nofile = true;
            CHECK(r["hard"] == in.nofileLimit);
            CHECK(r["soft"] == in.nofileLimit);
        }
    CHECK(nofile);

    // /dev/null etc. are provided.
    std::set<std::string> devs;
    for (const auto& d : s["linux"]["devices"]) devs.insert(d["path"]);
    for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
        CHECK(devs.count(d) == 1);
}

TEST_CASE("buildSpec for a non-root user: no effective/permitted caps, supplementary gids", "[engine][specgen]") {
    auto in = baseInputs();
    in.user.uid = 1000;
    in.user.gid = 100;
    in.user.additionalGids = {10, 20};
    in.user.home = "/home/alice";
    json s = buildSpec(in);
    checkRuntimeSpecShape(s);
    CHECK(s["process"]["user"]["uid"] == 1000);
    CHECK(s["process"]["user"]["gid"] == 100);
    CHECK(s["process"]["user"]["additionalGids"] == json::array({10, 20}));
    const auto& caps = s["process"]["capabilities"];
    CHECK(caps["effective"].empty());
    CHECK(caps["permitted"].empty());
    CHECK(caps["ambient"].empty());
    CHECK(caps["bounding"].get<std::set<std::string>>() ==
          std::set<std::string>(defaultCapabilities().begin(), defaultCapabilities().end()));
    CHECK(envMap(s["process"]["env"].get<std::vector<std::string>>())["HOME"] == "/home/alice");
}

TEST_CASE("buildSpec networking and /sys", "[engine][specgen]") {
    auto in = baseInputs();
    SECTION("--network none gets a network namespace and sysfs") {
        in.config.network = "none";
        in.rootless = true;
        json s = buildSpec(in);
        checkRuntimeSpecShape(s);
        CHECK(hasNamespace(s, "network"));
        REQUIRE(findMount(s, "/sys"));
        CHECK((*findMount(s, "/sys"))["type"] == "sysfs");
    }
    SECTION("rootless + host network binds the host's /sys read-only (rbind)") {
        in.rootless = true;
        in.config.network = "host";
        json s = buildSpec(in);
        checkRuntimeSpecShape(s);
        CHECK_FALSE(hasNamespace(s, "network"));
        const json* sys = findMount(s, "/sys");
        REQUIRE(sys);
        CHECK((*sys)["type"] == "bind");
        CHECK((*sys)["source"] == "/sys");
        auto opts = (*sys)["options"].get<std::vector<std::string>>();
        CHECK(std::find(opts.begin(), opts.end(), "rbind") != opts.end());
        CHECK(std::find(opts.begin(), opts.end(), "ro") != opts.end());
    }
    SECTION("rootful + host network mounts sysfs") {
        in.rootless = false;
        in.config.network = "host";
        json s = buildSpec(in);
        CHECK((*findMount(s, "/sys"))["type"] == "sysfs");
    }
    SECTION("a private network joins the engine's namespace by path, mounts sysfs, sets ping_group_range") {
        in.rootless = true;
        in.config.network = "private";
        in.netnsPath = "/run/user/1000/hutch/netns/abc";
        json s = buildSpec(in);
        checkRuntimeSpecShape(s);
        bool found = false;
        for (const auto& n : s["linux"]["namespaces"])
            if (n["type"] == "network") {
                found = true;
                CHECK(n.value("path", "") == in.netnsPath);
            }
        CHECK(found);
        CHECK((*findMount(s, "/sys"))["type"] == "sysfs");
        CHECK(s["linux"]["sysctl"]["net.ipv4.ping_group_range"] == "0 0");
    }
    SECTION("the host network sets no sysctl; --no-hosts leaves /etc/hosts to the image") {
        in.config.network = "host";
        in.files.hosts.clear();
        json s = buildSpec(in);
        CHECK_FALSE(s["linux"].contains("sysctl"));
        CHECK_FALSE(findMount(s, "/etc/hosts"));
        CHECK(findMount(s, "/etc/resolv.conf"));
    }
    SECTION("container:ID and the helpers are accepted") {
        for (const char* m : {"pasta", "slirp4netns", "container:abc"}) {
            in.config.network = m;
            CHECK_NOTHROW(buildSpec(in));
        }
        in.config.network = "container:";
        CHECK_THROWS_AS(buildSpec(in), InvalidArgument);
    }
    SECTION("an unsupported network is InvalidArgument naming it") {
        in.config.network = "bridge";
        CHECK_THROWS_AS(buildSpec(in), InvalidArgument);
        CHECK_THROWS_WITH(buildSpec(in), Catch::Contains("bridge"));
        in.config.network = "";
        CHECK_THROWS_AS(buildSpec(in), InvalidArgument);
    }
}

TEST_CASE("buildSpec working directory, tty, hostname and command errors", "[engine][specgen]") {
    auto in = baseInputs();
    SECTION("image WorkingDir is the default cwd, -w overrides it") {
        in.image.workingDir = "/srv";
        CHECK(buildSpec(in)["process"]["cwd"] == "/srv");
        in.config.workdir = "/tmp/x";
        CHECK(buildSpec(in)["process"]["cwd"] == "/tmp/x");
    }
    SECTION("a relative -w is InvalidArgument naming it") {
        in.config.workdir = "relative/dir";
        CHECK_THROWS_AS(buildSpec(in), InvalidArgument);
        CHECK_THROWS_WITH(buildSpec(in), Catch::Contains("relative/dir"));
    }
    SECTION("-t sets process.terminal and TERM") {
        in.config.tty = true;
        json s = buildSpec(in);
        CHECK(s["process"]["terminal"] == true);
        CHECK(envMap(s["process"]["env"].get<std::vector<std::string>>())["TERM"] == "xterm");
    }
    SECTION("-h sets hostname and HOSTNAME") {
        in.config.hostname = "box1";
        json s = buildSpec(in);
        CHECK(s["hostname"] == "box1");
        CHECK(envMap(s["process"]["env"].get<std::vector<std::string>>())["HOSTNAME"] == "box1");
    }
    SECTION("no command -> InvalidArgument") {
        in.image.cmd.clear();
        CHECK_THROWS_AS(buildSpec(in), InvalidArgument);
    }
    SECTION("--entrypoint and command reach process.args") {
        in.image.entrypoint = {"/docker-entrypoint.sh"};
        in.config.entrypoint = Args{"/bin/echo"};
        in.config.command = {"a", "b"};
        CHECK(buildSpec(in)["process"]["args"] == json(Args{"/bin/echo", "a", "b"}));
    }
}

TEST_CASE("buildSpec: user mounts replace defaults at the same destination and sort parents first",
          "[engine][specgen][mounts]") {
    SpecInputs in;
    in.containerId = std::string(64, 'a');
    in.rootfs = "/r";
    in.image.cmd = {"/sbin/init"};
    in.files = {"/f/hostname", "/f/hosts", "/f/resolv.conf", "", ""};
    in.userMounts = nlohmann::json::array(
        {ociMountFor(parseMountFlag("type=volume,src=v,target=/tmp"), "/vol/v/_data"),
         ociMountFor(parseVolumeFlag("/h:/etc/app:ro"), "/h"), ociMountFor(parseVolumeFlag("e:/etc"), "/vol/e/_data")});
    auto spec = buildSpec(in);
    std::vector<std::string> dests;
    int tmpCount = 0;
    for (const auto& m : spec["mounts"]) {
        dests.push_back(m["destination"]);
        if (m["destination"] == "/tmp") {
            ++tmpCount;
            CHECK(m["type"] == "bind");
            CHECK(m["source"] == "/vol/v/_data");
        }
    }
    CHECK(tmpCount == 1);  // systemd's /tmp tmpfs gave way to the volume
    auto pos = [&](const std::string& d) { return std::find(dests.begin(), dests.end(), d) - dests.begin(); };
    CHECK(pos("/etc") < pos("/etc/hosts"));
    CHECK(pos("/etc") < pos("/etc/app"));
    CHECK(pos("/dev") < pos("/dev/pts"));
    CHECK(pos("/run") < pos("/run/lock"));
}
