// Internal: per-instruction argument grammars of the Dockerfile parser (buildkit's
// line_parsers.go rules). Not part of the module's public API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hutch/builder/dockerfile_parser.hpp"

namespace hutch::builder {

/// Builds the node of one logical line: keyword, `--` flags, and arguments by the
/// keyword's grammar (unknown keywords get one empty argument node, as buildkit does).
/// Throws InvalidArgument (message only; the caller adds file and line).
Node newNodeFromLine(const std::string& line, char escape);

/// Splits on white space keeping quotes and escapes in the words (buildkit parseWords).
std::vector<std::string> parseWords(std::string_view rest, char escape);

}  // namespace hutch::builder
