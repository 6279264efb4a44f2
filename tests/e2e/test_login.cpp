// e2e: login / logout (podman's messages, exit codes and auth.json), the stored credentials
// used by pull, push and build, --authfile and --tls-verify on them. The seeded registry
// (HUTCH_TEST_REGISTRY) has no authentication: each case that needs one starts its own
// docker-registry with htpasswd (basic) authentication on a free port, seeded with busybox
// by skopeo.
#include "harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

constexpr const char* kUser = "hutchlogin";
constexpr const char* kPassword = "s3cret-pw";
// bcrypt (cost 4) of kPassword: docker-registry's htpasswd accepts only bcrypt, and a fixed
// hash needs no tool to make one.
constexpr const char* kHash = "$2b$04$xzSBWJ7HOEwr6Hs.IHK4FOzg3dYq6MVplb2qNU0rIFi6M2Y139.VG";

/// base64 of `in` by coreutils (an oracle independent of registry/auth's encoder).
std::string base64(const std::string& in) {
    return lastLine(hostCommand("printf '%s' '" + in + "' | base64 -w0"));
}

/// A docker-registry with htpasswd authentication (kUser / kPassword) on 127.0.0.1 and a
/// port of its choosing, holding busybox; killed (by pid) and removed at the end. With
/// `tls`, it serves https with a certificate from a CA of its own, whose ca.crt is in
/// certDir() (a --cert-dir).
class AuthRegistry {
public:
    explicit AuthRegistry(bool tls = false) {
        char tmpl[] = "/var/tmp/hutch-e2e-authreg-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
        ::chmod(dir_.c_str(), 0755);
        std::ofstream(dir_ / "htpasswd") << kUser << ":" << kHash << "\n";
        std::string tlsConf;
        if (tls) {
            fs::create_directory(dir_ / "certs");
            const std::string d = dir_.string();
            hostCommand("cd " + d + " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hutch-e2e-ca "
                        "-keyout ca.key -out certs/ca.crt 2>&1 && openssl req -newkey rsa:2048 -nodes "
                        "-subj /CN=127.0.0.1 -keyout srv.key -out srv.csr 2>&1 && echo subjectAltName=IP:127.0.0.1 > "
                        "ext && openssl x509 -req -in srv.csr -CA certs/ca.crt -CAkey ca.key -CAcreateserial "
                        "-days 2 -extfile ext -out srv.crt 2>&1 && chmod 644 certs/ca.crt");
            tlsConf = "  tls:\n    certificate: " + d + "/srv.crt\n    key: " + d + "/srv.key\n";
        }
        std::ofstream(dir_ / "config.yml")
            << "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: " << (dir_ / "data").string()
            << "\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:0\n" << tlsConf
            << "auth:\n  htpasswd:\n    realm: hutch-e2e\n    path: " << (dir_ / "htpasswd").string() << "\n";
        const std::string log = (dir_ / "log").string(), conf = (dir_ / "config.yml").string();
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execl("/usr/bin/docker-registry", "docker-registry", "serve", conf.c_str(), (char*)nullptr);
            ::_exit(127);
        }
        // It logs the address it listens on once the socket is bound (bounded wait).
        const std::string mark = "listening on 127.0.0.1:";
        for (int i = 0; i < 500 && host_.empty(); ++i) {
            std::string text = readFile(log);
            if (auto p = text.find(mark); p != std::string::npos) {
                auto end = text.find_first_not_of("0123456789", p + mark.size());
                host_ = "127.0.0.1:" + text.substr(p + mark.size(), end - p - mark.size());
                break;
            }
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                FAIL("docker-registry exited:\n" << text);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        INFO(readFile(log));
        REQUIRE(!host_.empty());
        hostCommand("skopeo copy -q --src-tls-verify=false --dest-tls-verify=false --dest-creds " + std::string(kUser) +
                    ":" + kPassword + " docker://" + testEnv().registry + "/busybox:latest docker://" + host_ +
                    "/busybox:latest 2>&1");
    }
    ~AuthRegistry() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    AuthRegistry(const AuthRegistry&) = delete;
    AuthRegistry& operator=(const AuthRegistry&) = delete;

    /// "127.0.0.1:PORT"
    const std::string& host() const { return host_; }
    /// The directory holding the CA certificate (tls only).
    fs::path certDir() const { return dir_ / "certs"; }

private:
    fs::path dir_;
    pid_t pid_ = -1;
    std::string host_;
};

/// The sandbox's registries.conf with the test registry and `authHost` both insecure.
void allowPlainHttp(const Sandbox& sb, const std::string& authHost) {
    sb.writeRegistriesConf(registriesConfFor(testEnv().registry) + "\n[[registry]]\nlocation = \"" + authHost +
                           "\"\ninsecure = true\n");
}

fs::path defaultAuthFile(const Sandbox& sb) {
    return sb.dir() / "run" / "containers" / "auth.json";
}

std::vector<std::string> loginArgs(const std::string& host, std::vector<std::string> extra = {}) {
    std::vector<std::string> a{"login", "-u", kUser, "-p", kPassword};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(host);
    return a;
}

}  // namespace

TEST_CASE("e2e: login stores the credentials as podman does, --get-login reads them, logout removes them",
          "[e2e][login][podman-ref]") {
    AuthRegistry reg;
    Sandbox sb;
    allowPlainHttp(sb, reg.host());
    Result in = sb.hutch(loginArgs(reg.host()));
    REQUIRE_RC(in, 0);
    CHECK_R(in, in.out == "Login Succeeded!\n");

    const fs::path file = defaultAuthFile(sb);
    REQUIRE(fs::exists(file));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_uid == sb.uid());
    json j = json::parse(readFile(file));
    CHECK(j["auths"][reg.host()]["auth"] == base64(std::string(kUser) + ":" + kPassword));

    Result get = sb.hutch({"login", "--get-login", reg.host()});
    REQUIRE_RC(get, 0);
    CHECK_R(get, get.out == std::string(kUser) + "\n");

    // Logged in already: no user or password needed, the stored ones are checked.
    Result again = sb.hutch({"login", reg.host()});
    REQUIRE_RC(again, 0);
    CHECK_R(again, contains(again.out, "Authenticating with existing credentials for " + reg.host()));
    CHECK_R(again, contains(again.out, "Already logged in to " + reg.host()));

    Result out = sb.hutch({"logout", reg.host()});
    REQUIRE_RC(out, 0);
    CHECK_R(out, out.out == "Removed login credentials for " + reg.host() + "\n");
    CHECK(json::parse(readFile(file))["auths"] == json::object());

    Result out2 = sb.hutch({"logout", reg.host()});
    REQUIRE_RC(out2, 125);
    CHECK_R(out2, contains(out2.err, "Error: not logged into " + reg.host()));
    Result get2 = sb.hutch({"login", "--get-login", reg.host()});
    REQUIRE_RC(get2, 125);
    CHECK_R(get2, contains(get2.err, "Error: not logged into " + reg.host()));
}

TEST_CASE("e2e: login with a wrong password fails with podman's error and stores nothing",
          "[e2e][login][podman-ref]") {
    AuthRegistry reg;
    Sandbox sb;
    Result r = sb.hutch({"login", "--tls-verify=false", "-u", kUser, "-p", "wrong", reg.host()});
    REQUIRE_RC(r, 125);
    CHECK_R(r, contains(r.err, "Error: logging into \"" + reg.host() + "\": invalid username/password"));
    CHECK_R(r, !contains(r.out, "Login Succeeded"));
    CHECK(!fs::exists(defaultAuthFile(sb)));
}

TEST_CASE("e2e: login --password-stdin, and the user/password errors without a terminal",
          "[e2e][login][podman-ref]") {
    AuthRegistry reg;
    Sandbox sb;
    allowPlainHttp(sb, reg.host());
    const fs::path pw = sb.dir() / "pw.txt";
    sb.writeFile(pw, std::string(kPassword) + "\n");
    RunOptions withPw;
    withPw.stdinFile = pw.string();
    Result in = sb.hutch({"login", "-u", kUser, "--password-stdin", reg.host()}, withPw);
    REQUIRE_RC(in, 0);
    CHECK_R(in, contains(in.out, "Login Succeeded!"));
    CHECK(json::parse(readFile(defaultAuthFile(sb)))["auths"][reg.host()]["auth"] ==
          base64(std::string(kUser) + ":" + kPassword));

    Result both = sb.hutch({"login", "-u", kUser, "-p", kPassword, "--password-stdin", reg.host()}, withPw);
    REQUIRE_RC(both, 125);
    CHECK_R(both, contains(both.err, "Can't specify both --password-stdin and --password"));
    Result noUser = sb.hutch({"login", "--password-stdin", reg.host()}, withPw);
    REQUIRE_RC(noUser, 125);
    CHECK_R(noUser, contains(noUser.err, "Must provide --username with --password-stdin"));
    // stdin is /dev/null, not a terminal: nothing to read a user name or a password from.
    Result fresh = sb.hutch({"login", "--authfile", (sb.dir() / "other.json").string(), reg.host()});
    REQUIRE_RC(fresh, 125);
    CHECK_R(fresh, contains(fresh.err, "getting username and password: reading username: EOF"));
    Result noPw = sb.hutch({"login", "--authfile", (sb.dir() / "other.json").string(), "-u", kUser, reg.host()});
    REQUIRE_RC(noPw, 125);
    CHECK_R(noPw, contains(noPw.err, "getting username and password: reading password:"));
    CHECK(!fs::exists(sb.dir() / "other.json"));
}

TEST_CASE("e2e: stored credentials are used by pull and push; --authfile names the only file",
          "[e2e][login][podman-ref]") {
    AuthRegistry reg;
    Sandbox sb;
    allowPlainHttp(sb, reg.host());
    const std::string image = reg.host() + "/busybox";

    Result anon = sb.hutch({"pull", "-q", image});
    REQUIRE_RC(anon, 125);
    CHECK_R(anon, contains(anon.err, "authentication required"));

    // A login into a file of our own, in a directory that does not exist yet.
    const fs::path custom = sb.dir() / "creds" / "sub" / "auth.json";
    Result in = sb.hutch(loginArgs(reg.host(), {"--authfile", custom.string()}));
    REQUIRE_RC(in, 0);
    REQUIRE(fs::exists(custom));
    CHECK(!fs::exists(defaultAuthFile(sb)));
    Result stillAnon = sb.hutch({"pull", "-q", image});
    REQUIRE_RC(stillAnon, 125);
    Result withFile = sb.hutch({"pull", "-q", "--authfile", custom.string(), image});
    REQUIRE_RC(withFile, 0);
    CHECK_R(withFile, isHexId(lastLine(withFile.out)));
    Result missing = sb.hutch({"pull", "-q", "--authfile", (sb.dir() / "nope.json").string(), image});
    REQUIRE_RC(missing, 125);
    CHECK_R(missing, contains(missing.err, "stat " + (sb.dir() / "nope.json").string() + ": no such file or directory"));
    const std::string pushed = reg.host() + "/pushed/busybox:" + uniqueTag();
    Result pushFile = sb.hutch({"push", "-q", "--authfile", custom.string(), image, pushed});
    REQUIRE_RC(pushFile, 0);

    // The default file: pull and push find the credentials without being told.
    hutchOk(sb, {"rmi", image});
    hutchOk(sb, loginArgs(reg.host()));
    Result pull = sb.hutch({"pull", "-q", image});
    REQUIRE_RC(pull, 0);
    Result push = sb.hutch({"push", "-q", image, reg.host() + "/pushed/busybox:" + uniqueTag()});
    REQUIRE_RC(push, 0);
    hutchOk(sb, {"logout", reg.host()});
    Result after = sb.hutch({"pull", "-q", pushed});
    REQUIRE_RC(after, 125);
    CHECK_R(after, contains(after.err, "authentication required"));
}

TEST_CASE("e2e: login keeps the other entries of the auth file, logout --all empties it",
          "[e2e][login][podman-ref]") {
    AuthRegistry reg;
    Sandbox sb;
    allowPlainHttp(sb, reg.host());
    // An entry for another registry, written by someone else, stays through login and logout.
    const fs::path file = defaultAuthFile(sb);
    sb.writeFile(file, R"({"auths":{"other.example":{"auth":")" + base64("bob:pw") + R"("}}})");
    hutchOk(sb, loginArgs(reg.host()));
    hutchOk(sb, loginArgs(reg.host() + "/busybox"));
    json j = json::parse(readFile(file));
    CHECK(j["auths"]["other.example"]["auth"] == base64("bob:pw"));
    CHECK(j["auths"].contains(reg.host()));
    CHECK(j["auths"].contains(reg.host() + "/busybox"));

    Result bad = sb.hutch({"logout", "--all", reg.host()});
    REQUIRE_RC(bad, 125);
    CHECK_R(bad, contains(bad.err, "--all takes no arguments"));
    Result all = sb.hutch({"logout", "--all"});
    REQUIRE_RC(all, 0);
    CHECK_R(all, all.out == "Removed login credentials for all registries\n");
    CHECK(json::parse(readFile(file))["auths"] == json::object());
    Result missing = sb.hutch({"logout", "--authfile", (sb.dir() / "nope.json").string(), reg.host()});
    REQUIRE_RC(missing, 125);
    CHECK_R(missing, contains(missing.err, "checking authfile: stat " + (sb.dir() / "nope.json").string()));
}

TEST_CASE("e2e: --tls-verify=true refuses a plain-http registry that registries.conf marks insecure",
          "[e2e][login][podman-ref]") {
    Sandbox sb;
    const std::string reg = testEnv().registry;
    const std::string image = reg + "/busybox";
    for (std::string flag : {"--tls-verify=true", "--tls-verify"}) {
        Result r = sb.hutch({"pull", "-q", flag, image});
        REQUIRE_RC(r, 125);
        CHECK_R(r, contains(r.err, "pinging container registry " + reg));
    }
    // build's FROM pull too.
    const fs::path ctx = sb.dir() / "ctx";
    sb.writeFile(ctx / "Containerfile", "FROM " + image + "\nLABEL hutch.test=login\n");
    Result b = sb.hutch({"build", "-q", "--tls-verify=true", ctx.string()});
    REQUIRE_RC(b, 125);
    CHECK_R(b, contains(b.err, "pinging container registry " + reg));
    // The default: registries.conf's insecure = true.
    Result ok = sb.hutch({"pull", "-q", image});
    REQUIRE_RC(ok, 0);
}

TEST_CASE("e2e: --tls-verify=false reaches a plain-http registry registries.conf does not mark insecure",
          "[e2e][login][podman-ref]") {
    AuthRegistry reg;
    Sandbox sb;
    const std::string image = reg.host() + "/busybox";
    Result strict = sb.hutch(loginArgs(reg.host()));
    REQUIRE_RC(strict, 125);
    CHECK_R(strict, contains(strict.err, "authenticating creds for \"" + reg.host() + "\""));
    CHECK_R(strict, contains(strict.err, "pinging container registry " + reg.host()));
    const fs::path file = sb.dir() / "auth.json";
    hutchOk(sb, loginArgs(reg.host(), {"--tls-verify=false", "--authfile", file.string()}));
    Result noFlag = sb.hutch({"pull", "-q", "--authfile", file.string(), image});
    REQUIRE_RC(noFlag, 125);
    Result pull = sb.hutch({"pull", "-q", "--tls-verify=false", "--authfile", file.string(), image});
    REQUIRE_RC(pull, 0);
    // build --authfile/--tls-verify=false for FROM (the image is pulled: --pull=always).
    const fs::path ctx = sb.dir() / "ctx";
    sb.writeFile(ctx / "Containerfile", "FROM " + image + "\nLABEL hutch.test=login\n");
    Result b = sb.hutch({"build", "-q", "--pull=always", "--tls-verify=false", "--authfile", file.string(), ctx.string()});
    REQUIRE_RC(b, 0);
    CHECK_R(b, isHexId(lastLine(b.out)));
}

TEST_CASE("e2e: login --cert-dir trusts the CA certificates in it", "[e2e][login][podman-ref]") {
    AuthRegistry reg(true);
    Sandbox sb;
    Result untrusted = sb.hutch(loginArgs(reg.host(), {"--tls-verify=true"}));
    REQUIRE_RC(untrusted, 125);
    CHECK_R(untrusted, contains(untrusted.err, "authenticating creds for \"" + reg.host() + "\""));
    CHECK_R(untrusted, contains(untrusted.err, "certificate"));
    Result trusted = sb.hutch(loginArgs(reg.host(), {"--tls-verify=true", "--cert-dir", reg.certDir().string()}));
    REQUIRE_RC(trusted, 0);
    CHECK_R(trusted, contains(trusted.out, "Login Succeeded!"));
}
