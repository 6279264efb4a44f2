// hutch login [--authfile F] [--tls-verify] [-u U] [-p P | --password-stdin] [--get-login]
//             [--cert-dir DIR] [REGISTRY]
// hutch logout [--authfile F] [-a/--all] [REGISTRY]
// podman's verbs, messages and exit codes (engine/image/login.hpp); also the --tls-verify /
// --authfile flags shared by the verbs that talk to registries.
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/image/login.hpp"

namespace hutch::cli {

void addRegistryFlags(CLI::App* sub, RegistryFlags& f, bool authFile) {
    f.tlsOpt = sub->add_flag("--tls-verify", f.tlsVerify,
                             "Require HTTPS and verify certificates when contacting registries");
    if (authFile) sub->add_option("--authfile", f.authFile, "Path of the authentication file");
}

namespace {

/// One line of stdin without its newline; nullopt at end of input before any byte.
std::optional<std::string> readLine() {
    std::string line;
    if (!std::getline(std::cin, line) && line.empty()) return std::nullopt;
    return line;
}

/// The password typed on the terminal that is stdin, without echo. Throws podman's error
/// when stdin is not a terminal.
std::string readPassword() {
    termios old{};
    if (::tcgetattr(STDIN_FILENO, &old) != 0) {
        std::string why = std::strerror(errno);
        if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
        throw Error("getting username and password: reading password: " + why);
    }
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string pw;
    bool ok = static_cast<bool>(std::getline(std::cin, pw));
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    if (!ok && pw.empty()) throw Error("getting username and password: reading password: EOF");
    return pw;
}

}  // namespace

void registerLogin(Registry& r) {
    struct Opts {
        RegistryFlags reg;
        std::string username, password, certDir;
        bool passwordStdin = false, getLogin = false, verbose = false;
        std::vector<std::string> args;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("login", "Log in to a container registry");
    addRegistryFlags(sub, o->reg);
    sub->add_option("-u,--username", o->username, "Username for registry");
    sub->add_option("-p,--password", o->password, "Password for registry");
    sub->add_flag("--password-stdin", o->passwordStdin, "Take the password from stdin");
    sub->add_flag("--get-login", o->getLogin, "Return the current login user for the registry");
    sub->add_option("--cert-dir", o->certDir,
                    "Use certificates at the specified path to access the registry (*.crt, *.cert/*.key)");
    sub->add_flag("-v,--verbose", o->verbose, "Write more detailed information to stdout");
    sub->add_option("REGISTRY", o->args, "The registry (host[:port][/namespace]) to log in to");
    sub->callback([o, &r] {
        if (o->args.size() > 1)
            throw CLI::ValidationError("accepts at most 1 arg(s), received " + std::to_string(o->args.size()));
        r.chosen.needsStore = false;
        r.chosen.action = [o](engine::Context& ctx) {
            auto t = engine::loginTarget(ctx, o->args.empty() ? "" : o->args[0]);
            auto stored = engine::storedLogin(o->reg.authFile, t);
            if (o->getLogin) {
                if (!stored || stored->username.empty()) throw Error("not logged into " + t.key);
                std::cout << stored->username << std::endl;
                return 0;
            }
            if (stored && stored->identityToken && stored->username.empty())
                throw Error("currently logged in, auth file contains an Identity token");
            std::string password = o->password;
            if (o->passwordStdin) {
                if (!o->password.empty()) throw InvalidArgument("Can't specify both --password-stdin and --password");
                if (o->username.empty()) throw InvalidArgument("Must provide --username with --password-stdin");
                // Every line of stdin, newlines dropped, as podman reads it.
                password.clear();
                while (auto line = readLine()) password += *line;
            }
            engine::LoginCheck how{o->reg.tls(), o->certDir};
            // No user or password given: the stored credentials, if they still work.
            if (o->username.empty() && password.empty() && stored && !stored->username.empty() &&
                !stored->password.empty()) {
                std::cout << "Authenticating with existing credentials for " << t.key << std::endl;
                try {
                    engine::checkLogin(ctx, t, stored->username, stored->password, how);
                    std::cout << "Existing credentials are valid. Already logged in to " << t.host << std::endl;
                    return 0;
                } catch (const RegistryError&) {
                    std::cout << "Existing credentials are invalid, please enter valid username and password"
                              << std::endl;
                }
            }
            std::string username = o->username;
            if (username.empty()) {
                std::string known = stored ? stored->username : "";
                std::cout << (known.empty() ? "Username: " : "Username (" + known + "): ") << std::flush;
                auto line = readLine();
                if (!line) throw Error("getting username and password: reading username: EOF");
                username = str::trim(*line).empty() ? known : str::trim(*line);
            }
            if (password.empty()) {
                std::cout << "Password: " << std::flush;
                password = readPassword();
            }
            try {
                engine::checkLogin(ctx, t, username, password, how);
            } catch (const AuthError& e) {
                if (e.status() == 401 || e.status() == 403)
                    throw Error("logging into \"" + t.key + "\": invalid username/password");
                throw Error("authenticating creds for \"" + t.key + "\": " + e.what());
            } catch (const RegistryError& e) {
                throw Error("authenticating creds for \"" + t.key + "\": " + e.what());
            }
            const std::string file = engine::loginAuthFile(o->reg.authFile);
            engine::saveLogin(file, t, username, password);
            if (o->verbose) std::cout << "Used:  " << file << std::endl;
            std::cout << "Login Succeeded!" << std::endl;
            return 0;
        };
    });
}

void registerLogout(Registry& r) {
    struct Opts {
        std::string authFile;
        bool all = false;
        std::vector<std::string> args;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("logout", "Log out of a container registry");
    sub->add_option("--authfile", o->authFile, "Path of the authentication file");
    sub->add_flag("-a,--all", o->all, "Remove the cached credentials for all registries in the auth file");
    sub->add_option("REGISTRY", o->args, "The registry (host[:port][/namespace]) to log out from");
    sub->callback([o, &r] {
        if (o->args.size() > 1)
            throw CLI::ValidationError("accepts at most 1 arg(s), received " + std::to_string(o->args.size()));
        r.chosen.needsStore = false;
        r.chosen.action = [o](engine::Context& ctx) {
            try {
                engine::requireAuthFile(o->authFile);
            } catch (const Error& e) {
                throw Error(std::string("checking authfile: ") + e.what());
            }
            const std::string file = engine::loginAuthFile(o->authFile);
            if (o->all) {
                if (!o->args.empty()) throw InvalidArgument("--all takes no arguments");
                engine::removeAllLogins(file);
                std::cout << "Removed login credentials for all registries" << std::endl;
                return 0;
            }
            auto t = engine::loginTarget(ctx, o->args.empty() ? "" : o->args[0]);
            if (engine::removeLogin(file, t)) {
                std::cout << "Removed login credentials for " << t.key << std::endl;
                return 0;
            }
            // Credentials from another file (docker's) that still work: podman says so.
            if (o->authFile.empty())
                if (auto other = engine::storedLogin("", t); other && !other->username.empty() && !other->password.empty()) {
                    try {
                        engine::checkLogin(ctx, t, other->username, other->password, {});
                        std::cout << "Not logged into " << t.key
                                  << " with current tool. Existing credentials were established via docker login. "
                                     "Please use docker logout instead."
                                  << std::endl;
                        return 0;
                    } catch (const RegistryError&) {
                    }
                }
            throw Error("not logged into " + t.key);
        };
    });
}

}  // namespace hutch::cli
