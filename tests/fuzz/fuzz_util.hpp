// Shared helpers of the libFuzzer targets (tests/fuzz/fuzz_*.cpp).
//
// A target feeds its input to one parser and returns. Only hutch's typed errors
// (hutch::Error and subclasses, common/error.hpp) are an accepted outcome for bad input:
// any other exception escapes, terminates the process and is reported by libFuzzer as a
// crash, as are sanitizer findings, timeouts and memory blow-ups.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/common/log.hpp"

namespace hutch::fuzz {

/// The input as text.
inline std::string_view text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Splits `s` at every `sep` (keeps empty parts; "" gives one empty part).
inline std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t i = s.find(sep, start);
        if (i == std::string_view::npos) {
            out.emplace_back(s.substr(start));
            return out;
        }
        out.emplace_back(s.substr(start, i - start));
        start = i + 1;
    }
}

/// Silences hutch's warnings (parsers log unknown keys): a fuzzer prints nothing per input.
inline void quiet() { log::setLevel(log::Level::Error); }

/// Calls f(); a hutch::Error is the expected answer to bad input and is swallowed.
template <typename F>
void expectHutchErrors(F&& f) {
    try {
        f();
    } catch (const hutch::Error&) {
    }
}

}  // namespace hutch::fuzz
