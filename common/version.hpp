// hutch's version, for every module that reports it (info/version, /run/.containerenv).
#pragma once

namespace hutch {

/// The release version ("MAJOR.MINOR.PATCH").
inline constexpr const char* kVersion = "0.1.0";

}  // namespace hutch
