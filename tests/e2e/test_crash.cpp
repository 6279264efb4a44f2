// e2e crash loop (issue 5, "a store that never corrupts"): hutch commands that write the store
// (pull, run, rm, rmi) are SIGKILLed at random points, again and again; after every kill the
// store must load, and at the end every command must complete and leave no half-made layer.
// The seed is printed; HUTCH_CRASH_SEED=N repeats a run.
#include "harness.hpp"

#include <signal.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

using namespace hutch::e2e;

namespace {

/// Layer records of every driver's layers.json in the store that are still marked incomplete.
std::vector<std::string> incompleteLayers(const Sandbox& sb) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(sb.storageRoot())) {
        fs::path f = e.path() / "layers.json";
        if (e.path().filename().string().find("-layers") == std::string::npos || !fs::exists(f)) continue;
        auto j = nlohmann::json::parse(std::ifstream(f), nullptr, false);
        if (!j.is_array()) {
            out.push_back(f.string() + ": not a JSON array");
            continue;
        }
        for (const auto& l : j)
            if (l.value("incomplete", false)) out.push_back(l.value("id", std::string("?")));
    }
    return out;
}

}  // namespace

TEST_CASE("e2e: commands killed at random points leave a store that loads and completes", "[e2e][crash]") {
    unsigned seed = std::random_device{}();
    if (const char* s = std::getenv("HUTCH_CRASH_SEED")) seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
    INFO("HUTCH_CRASH_SEED=" << seed);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> delayMs(0, 400);

    Sandbox sb;
    const std::vector<std::vector<std::string>> cmds = {
        {"pull", "-q", "layered"},
        {"run", "--name", "k", "busybox", "sh", "-c", "echo x > /f"},
        {"rmi", "-f", "layered"},
        {"run", "-d", "--name", "kd", "busybox", "sleep", "60"},
        {"rm", "-f", "k", "kd"},
        {"pull", "-q", "busybox-oci"},
        {"rmi", "-f", "busybox-oci"},
    };
    const int rounds = 28;
    for (int i = 0; i < rounds; ++i) {
        const auto& cmd = cmds[static_cast<size_t>(i) % cmds.size()];
        int delay = delayMs(rng);
        INFO("round " << i << ": " << cmd[0] << " " << cmd[1] << " killed after " << delay << " ms");
        Child c = sb.spawn(cmd);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        c.killGroup(SIGKILL);
        c.wait(std::chrono::seconds(30));
        // The store loads after every kill.
        Result ps = sb.hutch({"ps", "-a", "-q"});
        REQUIRE_RC(ps, 0);
        Result images = sb.hutch({"images", "-q"});
        REQUIRE_RC(images, 0);
    }

    // Everything completes afterwards, and what was half-made is gone.
    Result rm = sb.hutch({"rm", "-f", "k", "kd"});
    CHECK_R(rm, rm.rc == 0);
    Result pull = sb.hutch({"pull", "-q", "layered"});
    REQUIRE_RC(pull, 0);
    Result run = sb.hutch({"run", "--rm", "layered", "sh", "-c", "cat /data/keep.txt /l3/a; ls /opq"});
    REQUIRE_RC(run, 0);
    CHECK_R(run, run.out == "keep\nhard\nnew.txt\n");
    Result pull2 = sb.hutch({"pull", "-q", "busybox-oci"});
    REQUIRE_RC(pull2, 0);
    Result run2 = sb.hutch({"run", "--name", "last", "busybox-oci", "true"});
    CHECK_R(run2, run2.rc == 0);
    Result all = sb.hutch({"rm", "-a", "-f"});
    CHECK_R(all, all.rc == 0);
    Result rmi = sb.hutch({"rmi", "-a", "-f"});
    CHECK_R(rmi, rmi.rc == 0);
    Result none = sb.hutch({"images", "-q"});
    CHECK_R(none, none.out.empty());
    auto leftovers = incompleteLayers(sb);
    INFO("incomplete layers: " << leftovers.size());
    CHECK(leftovers.empty());
}
