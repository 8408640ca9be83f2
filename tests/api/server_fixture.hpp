// A running api::server on 127.0.0.1 (port 0) over a fake_service, with its io_context on its own
// thread, and a plain blocking HTTP client to talk to it.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/json.hpp"
#include "api/server.hpp"
#include "config/keys.hpp"
#include "fake_service.hpp"

namespace hotline::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using response = http::response<http::string_body>;

inline constexpr const char* test_token = "hl_duty-officer-secret";

// One client connection; requests on it share the connection (keep-alive).
class client {
 public:
  explicit client(std::uint16_t port) : stream_(ioc_) {
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  void write(http::request<http::string_body>& req) { http::write(stream_, req); }

  response read() {
    response res;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream_, buffer_, parser);
    return parser.release();
  }

  response request(http::verb verb, const std::string& target, const std::string& body = {},
                   std::optional<std::string> token = test_token,
                   const std::string& content_type = "application/json") {
    auto req = make(verb, target, body, token, content_type);
    write(req);
    return read();
  }

  static http::request<http::string_body> make(http::verb verb, const std::string& target,
                                               const std::string& body,
                                               std::optional<std::string> token,
                                               const std::string& content_type) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (token) req.set(http::field::authorization, "Bearer " + *token);
    if (!body.empty()) req.set(http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    return req;
  }

  // True when the server has closed the connection (reads end of stream, maybe after data).
  bool closed_by_server() {
    beast::error_code ec;
    char sink[4096];
    for (;;) {
      stream_.socket().read_some(asio::buffer(sink), ec);
      if (ec) return ec == asio::error::eof || ec == asio::error::connection_reset;
    }
  }

  beast::tcp_stream& stream() { return stream_; }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

inline api::json body_json(const response& res) {
  return api::json::parse(res.body(), nullptr, false);
}

class server_test : public ::testing::Test {
 protected:
  virtual api::server_options extra_options() { return {}; }

  void SetUp() override {
    std::vector<config::api_token> tokens = {
        {"watch-1", "duty-officer", config::sha256_hex(test_token)},
        {"audit", "auditor", config::sha256_hex("hl_auditor-secret")}};
    server_ = std::make_unique<api::server>(ioc_, service_, config::endpoint{"127.0.0.1", 0},
                                            std::move(tokens), extra_options());
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_NE(server_->port(), 0);
    io_thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    server_->stop();
    // run() returns only once every session has ended: this join is the bounded-stop check.
    if (io_thread_.joinable()) io_thread_.join();
  }

  std::uint16_t port() const { return server_->port(); }

  asio::io_context ioc_;
  fake_service service_{ioc_};
  std::unique_ptr<api::server> server_;
  std::thread io_thread_;
};

}  // namespace hotline::testing
