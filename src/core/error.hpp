// Errors as values: the small set of error codes every module boundary returns.
//
// `result<T>` is `std::expected<T, error>`. An error carries a code a caller can branch on, a
// message a person can read, and, for input errors, the name of the offending field.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace hotline {

enum class errc {
  invalid_argument,  // input broke a rule; `field` names it
  not_found,
  conflict,          // already exists, or wrong state
  limit,             // a named limit was exceeded
  protocol,          // the peer broke the wire protocol
  refused,           // authentication or agreement mismatch
  io,                // disk or network failure
  corrupt,           // stored data failed a check
  unavailable,       // temporarily cannot serve (queue full, shutting down)
  fenced,            // this node no longer holds the station's lease (storage/lease.hpp)
};

std::string_view to_string(errc code);

struct error {
  errc code = errc::io;
  std::string message;
  std::string field;  // empty unless the error is about one input field
};

template <class T>
using result = std::expected<T, error>;

inline std::unexpected<error> fail(errc code, std::string message, std::string field = {}) {
  return std::unexpected(error{code, std::move(message), std::move(field)});
}

}  // namespace hotline
