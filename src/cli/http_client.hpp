// HTTP client: a small blocking HTTP/1.1 client for the CLI's calls to a station's API, over
// plain HTTP or, for an https:// address, TLS 1.2+ with the station's certificate checked
// (station_address::ca_file, else the system's authorities) and its name or IP address matched.
//
// It keeps one connection open across requests (keep-alive) and reconnects once when a kept
// connection turns out to have been closed by the station. Every connect, write and read has a
// deadline. Not thread-safe; one per thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "cli/settings.hpp"
#include "core/error.hpp"

namespace hotline::cli {

struct http_reply {
  unsigned status = 0;
  std::string body;
};

class http_client {
 public:
  explicit http_client(station_address addr, std::string token,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends one request ("GET", "POST", ...) with the bearer token and, when `body` is not empty,
  // a JSON body. Any HTTP status is a success here; the caller reads it. Fails with
  // errc::unavailable ("cannot reach station at <url>: <reason>") when the station cannot be
  // reached or the connection fails mid-request; with errc::refused (field "cacert") when its
  // certificate is not trusted for this address or it does not speak TLS; with
  // errc::invalid_argument (field "cacert") when the CA file cannot be loaded; and with
  // errc::protocol when the answer is not HTTP. A non-empty `idempotency_key` is sent as the
  // Idempotency-Key header, and then a POST, like a read, is tried once more on a fresh
  // connection when a kept one turns out closed: the station stores it at most once.
  result<http_reply> request(std::string_view method, const std::string& target,
                             const std::string& body = {},
                             const std::string& idempotency_key = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace hotline::cli
