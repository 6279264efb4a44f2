#include "hutch/engine/container/container_events.hpp"

#include "hutch/engine/core/events.hpp"

namespace hutch::engine {

void recordContainerEvent(Context& ctx, const ContainerRecord& rec, const std::string& status,
                          const std::map<std::string, std::string>& attributes, std::optional<int> exitCode) noexcept {
    recordEvent(ctx, "container", status, rec.id, rec.name, rec.imageName, attributes, exitCode);
}

}  // namespace hutch::engine
