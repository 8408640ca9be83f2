// Database URL: how the station config names a PostgreSQL database ([storage] url), and how
// anything that must name it in a message does so without its password.
//
// A URL is either a libpq connection URI (`postgresql://user:secret@host:5432/db?sslmode=...`,
// or `postgres://...`) or a libpq key=value string (`host=db1 dbname=hotline password=secret`).
// Either may carry a password: in the URI's user info, as a `password=` query parameter, or as a
// `password` key. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hotline::config {

// The longest [storage] url a station config may hold, in bytes.
inline constexpr std::size_t database_url_bytes_max = 4096;

// True when `text` starts with `postgresql://` or `postgres://` (a libpq URI).
bool is_postgresql_uri(std::string_view text);

// `url` with every password it carries replaced by "***": the user info's password, and the
// value of every `password` query parameter or key. Everything else is kept, so that an operator
// can still tell which database a message is about. Text that is neither a URI nor key=value is
// returned as it is (it carries no password libpq would read).
std::string redact_database_url(std::string_view url);

}  // namespace hotline::config
