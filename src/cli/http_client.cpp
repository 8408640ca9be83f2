#include "cli/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hotline::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Answers larger than this are not the API's; reading stops rather than filling memory.
constexpr std::size_t reply_body_bytes_max = 64 * 1024 * 1024;

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

struct http_client::impl {
  station_address addr;
  std::string token;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;

  // Runs the asynchronous operation `start` begins to completion, so that its deadline applies.
  template <class Start>
  beast::error_code complete(Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  error unreachable(const beast::error_code& ec) const {
    return error{
        errc::unavailable, "cannot reach station at " + addr.url + ": " + describe(ec), {}};
  }

  result<void> connect() {
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(addr.host, std::to_string(addr.port), ec);
    if (ec) return std::unexpected(unreachable(ec));
    stream.expires_after(timeout);
    ec = complete([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) return std::unexpected(unreachable(ec));
    beast::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
    buffer.clear();
    connected = true;
    return {};
  }

  void disconnect() {
    beast::error_code ignored;
    stream.socket().close(ignored);
    connected = false;
  }

  // One exchange on the current connection. `stale` reports a failure that a fresh connection
  // may cure: the station closed a kept-alive connection before this request reached it.
  result<http_reply> exchange(http::request<http::string_body>& req, bool& stale) {
    stream.expires_after(timeout);
    auto ec = complete([&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(reply_body_bytes_max);
    if (!ec) {
      ec = complete(
          [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    }
    if (ec) {
      stale = ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
              ec == asio::error::broken_pipe;
      disconnect();
      if (ec.category() == beast::error_code(http::error::bad_version).category() &&
          ec != http::error::end_of_stream) {
        return fail(errc::protocol, addr.url + " did not answer in HTTP: " + describe(ec));
      }
      return std::unexpected(unreachable(ec));
    }
    auto res = parser.release();
    if (!res.keep_alive()) disconnect();
    return http_reply{res.result_int(), std::move(res.body())};
  }
};

http_client::http_client(station_address addr, std::string token, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
  impl_->addr = std::move(addr);
  impl_->token = std::move(token);
  impl_->timeout = timeout;
}

http_client::~http_client() = default;

result<http_reply> http_client::request(std::string_view method, const std::string& target,
                                        const std::string& body) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, impl_->addr.host + ":" + std::to_string(impl_->addr.port));
  req.set(http::field::user_agent, "hotline-cli");
  req.set(http::field::authorization, "Bearer " + impl_->token);
  req.keep_alive(true);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  // A kept connection may have been closed by the station while idle; one retry on a fresh
  // connection covers that. Only reads are retried: a POST the station may have received is
  // never sent twice, since that could post the message twice.
  const bool may_retry = impl_->connected && req.method() == http::verb::get;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->connected) {
      if (auto r = impl_->connect(); !r) return std::unexpected(r.error());
    }
    bool stale = false;
    auto reply = impl_->exchange(req, stale);
    if (reply || !(stale && may_retry)) return reply;
  }
  return fail(errc::unavailable, "cannot reach station at " + impl_->addr.url);
}

}  // namespace hotline::cli
