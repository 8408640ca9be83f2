// The Hotline release this source tree builds. The one place the version is written: CMake reads
// it from here for the project and the package.
#pragma once

#include <string_view>

namespace hotline {

inline constexpr std::string_view version = "0.1.0";

}  // namespace hotline
