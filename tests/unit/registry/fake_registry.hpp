// Starts tests/fixtures/fake_registry.py as a subprocess for the client tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "hutch/registry/http.hpp"

namespace hutch::test {

/// The fake registry process: started in the constructor with `args`, killed (SIGKILL,
/// by pid) in the destructor.
class FakeRegistry {
public:
    explicit FakeRegistry(std::vector<std::string> args) {
        int fds[2];
        if (pipe(fds) != 0) throw std::runtime_error("pipe");
        pid_ = fork();
        if (pid_ == 0) {
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
            std::vector<std::string> argv{"python3", std::string(HUTCH_FIXTURES_DIR) + "/fake_registry.py"};
            argv.insert(argv.end(), args.begin(), args.end());
            std::vector<char*> cargv;
            for (auto& a : argv) cargv.push_back(a.data());
            cargv.push_back(nullptr);
            execvp("python3", cargv.data());
            _exit(127);
        }
        close(fds[1]);
        FILE* f = fdopen(fds[0], "r");
        if (fscanf(f, "PORT %d %d", &port_, &port2_) != 2) {
            fclose(f);
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            throw std::runtime_error("fake registry did not start");
        }
        fclose(f);
    }
    ~FakeRegistry() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    FakeRegistry(const FakeRegistry&) = delete;
    FakeRegistry& operator=(const FakeRegistry&) = delete;

    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    int port() const { return port_; }

    /// The server's counters (GET /stats).
    nlohmann::json stats() const {
        registry::http::Request req;
        req.url = "http://" + host() + "/stats";
        return nlohmann::json::parse(registry::http::perform(req).body);
    }

private:
    pid_t pid_ = -1;
    int port_ = 0, port2_ = 0;
};

}  // namespace hutch::test
