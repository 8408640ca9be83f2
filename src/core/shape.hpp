// Shape: the rules that text crossing a trust boundary must follow, in one place.
//
// Every string that arrives from the peer (a wire frame) or a client (an HTTP request) is
// checked against one of these before anything else sees it, so that code behind the edge can
// trust what it holds: valid UTF-8 (which the JSON layer needs, since serialising invalid UTF-8
// throws), and identifiers of a known alphabet and length (which the router, the store, the logs
// and the console all rely on). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace hotline::shape {

// True when `text` is well-formed UTF-8: no overlong forms, no UTF-16 surrogates, nothing above
// U+10FFFF, no truncated sequence. The empty string is valid.
bool valid_utf8(std::string_view text);

// The longest prefix of `text` of at most `bytes_max` bytes that does not end inside a UTF-8
// sequence: cutting valid UTF-8 there keeps it valid.
std::string_view utf8_prefix(std::string_view text, std::size_t bytes_max);

// An agreement identifier (station, channel or path): 1 to `bytes_max` characters of [a-z0-9-].
bool valid_agreement_id(std::string_view id, std::size_t bytes_max);

// A message id: 1 to limits::message_id_bytes_max characters of [A-Za-z0-9_-]. Stations make
// UUIDs; the alphabet leaves out '/', '.', '%' and everything else that could change a URL's
// path or a log line's meaning.
bool valid_message_id(std::string_view id);

// A form id: 1 to limits::form_id_bytes_max characters of [A-Z0-9-] ("FREE-TEXT", "ACK").
bool valid_form_id(std::string_view id);

// A label caveat's value (core/label.hpp): 0 to limits::caveat_value_bytes_max characters of
// [a-z0-9,-] (an instant in decimal ms, or agreement ids separated by commas).
bool valid_caveat_value(std::string_view value);

}  // namespace hotline::shape
