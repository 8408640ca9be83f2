#include "core/error.hpp"

namespace hotline {

std::string_view to_string(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::limit: return "limit";
    case errc::protocol: return "protocol";
    case errc::refused: return "refused";
    case errc::io: return "io";
    case errc::corrupt: return "corrupt";
    case errc::unavailable: return "unavailable";
    case errc::fenced: return "fenced";
  }
  return "unknown";
}

}  // namespace hotline
