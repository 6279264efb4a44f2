// Container name generation ("adjective_noun", as podman and docker name containers).
#pragma once

#include <functional>
#include <string>

namespace hutch::engine {

/// A random "adjective_noun" name for which `taken` returns false (a numeric suffix is
/// added after a few collisions).
std::string generateName(const std::function<bool(const std::string&)>& taken);

/// Container names follow podman's rule [a-zA-Z0-9][a-zA-Z0-9_.-]*. Throws InvalidArgument.
void validateName(const std::string& name);

}  // namespace hutch::engine
