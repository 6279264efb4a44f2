// e2e: `hutch build` as the unprivileged user against the local registry's busybox:
// multi-step builds (RUN, COPY with .dockerignore, ENV/WORKDIR/USER/CMD), multi-stage with
// COPY --from, the build cache, RUN failures, --format, -q and --iidfile.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace hutch::e2e;
using nlohmann::json;

namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

size_t count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

std::string busybox() { return testEnv().registry + "/busybox"; }

/// Writes `files` (relative path -> content) into a fresh context directory `ctx` of the sandbox.
fs::path context(const Sandbox& sb, const std::string& name, const std::vector<std::pair<std::string, std::string>>& files) {
    fs::path dir = sb.dir() / name;
    for (const auto& [p, text] : files) sb.writeFile(dir / p, text);
    return dir;
}

std::string readAll(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("e2e: build runs RUN, COPY with .dockerignore and config steps, the image runs with them", "[e2e][build]") {
    Sandbox sb;
    auto dir = context(sb, "ctx",
                       {{"Dockerfile", "FROM " + busybox() + "\n"
                                       "ENV GREETING=hello DIR=/app\n"
                                       "WORKDIR $DIR\n"
                                       "RUN echo \"$GREETING from run\" > made.txt && echo run-output-line\n"
                                       "COPY . /ctx/\n"
                                       "COPY data/one.txt ./\n"
                                       "USER 1000:1000\n"
                                       "CMD [\"sh\", \"-c\", \"cat made.txt one.txt; id -u; ls /ctx\"]\n"},
                        {".dockerignore", "secret*\n*.log\n"},
                        {"data/one.txt", "one\n"},
                        {"secret.key", "nope\n"},
                        {"build.log", "nope\n"}});
    Result b = sb.hutch({"build", "-t", "multi", dir.string()}, RunOptions::withTimeout(std::chrono::seconds(180)));
    REQUIRE_RC(b, 0);
    CHECK_R(b, contains(b.out, "STEP 1/8: FROM " + busybox()));
    CHECK_R(b, contains(b.out, "STEP 4/8: RUN echo \"$GREETING from run\" > made.txt && echo run-output-line"));
    CHECK_R(b, contains(b.out, "run-output-line"));
    CHECK_R(b, contains(b.out, "COMMIT multi"));
    CHECK_R(b, contains(b.out, "Successfully tagged localhost/multi:latest"));
    const std::string id = lastLine(b.out);
    REQUIRE(isHexId(id));
    CHECK_R(b, contains(b.out, "--> " + id.substr(0, 11)));

    Result r = sb.hutch({"run", "--rm", "multi"});
    REQUIRE_RC(r, 0);
    CHECK_R(r, contains(r.out, "hello from run\none\n1000\n"));
    CHECK_R(r, contains(r.out, "Dockerfile"));
    CHECK_R(r, contains(r.out, "data"));
    CHECK_R(r, !contains(r.out, "secret.key"));
    CHECK_R(r, !contains(r.out, "build.log"));

    // Copied files belong to root; the working containers are gone.
    Result own = sb.hutch({"run", "--rm", "--user", "0", "multi", "stat", "-c", "%u:%g %a", "/app/one.txt"});
    REQUIRE_RC(own, 0);
    CHECK_R(own, lastLine(own.out).rfind("0:0 ", 0) == 0);
    Result ps = sb.hutch({"ps", "-a", "--format", "{{.Names}}"});
    REQUIRE_RC(ps, 0);
    CHECK_R(ps, lastLine(ps.out).empty());

    Result hist = sb.hutch({"inspect", "--type", "image", "multi"});
    REQUIRE_RC(hist, 0);
    json j = json::parse(hist.out);
    CHECK(j[0]["Config"]["WorkingDir"] == "/app");
    CHECK(j[0]["Config"]["User"] == "1000:1000");
}
