// Network flags of `run` (engine/netconf): -p/--publish values, image ExposedPorts keys,
// --add-host and --network values, one a line; accepted ports are printed as `port`, `ps`
// and `ps --format json` print them.
#include "fuzz_util.hpp"
#include "hutch/engine/spec/netconf.hpp"

using namespace hutch;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quiet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto lines = fuzz::split(fuzz::text(data, size), '\n');
    std::vector<engine::PortMapping> ports;
    for (const auto& v : lines) {
        fuzz::expectHutchErrors([&] { ports.push_back(engine::parsePublish(v)); });
        fuzz::expectHutchErrors([&] { (void)engine::parseAddHost(v); });
        fuzz::expectHutchErrors([&] { engine::validateNetworkMode(v); });
    }
    fuzz::expectHutchErrors([&] {
        auto exposed = engine::exposedPorts(lines);
        ports.insert(ports.end(), exposed.begin(), exposed.end());
    });
    size_t nports = 0;  // portLines writes one line per port of each range: keep the runs fast
    for (const auto& p : ports) nports += p.count;
    if (nports <= 4096) (void)engine::portLines(ports);
    (void)engine::portSummary(ports);
    (void)engine::portsJson(ports);
    engine::NetworkOptions opts;
    opts.ports = ports;
    fuzz::expectHutchErrors([&] { (void)engine::NetworkOptions::fromJson(opts.toJson()); });
    return 0;
}
