#include "cli/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace hotline::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// Answers larger than this are not the API's; reading stops rather than filling memory.
constexpr std::size_t reply_body_bytes_max = 64 * 1024 * 1024;

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  if (ec.category() == asio::error::get_ssl_category()) {
    // OpenSSL's own words ("certificate verify failed", "wrong version number") say most.
    return "TLS: " + ec.message();
  }
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// The client side of https://: TLS 1.2 or 1.3, the station's certificate checked against
// `ca_file` (a CA, or the station's own certificate) or else the system's authorities.
result<ssl::context> make_client_tls_context(const station_address& addr) {
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (addr.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(addr.ca_file.string(), ec);
    // Lets the file hold the station's own certificate rather than the CA that signed it.
    X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx.native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
  }
  if (ec) {
    return fail(errc::invalid_argument,
                "cannot load the CA file " + addr.ca_file.string() + ": " + describe(ec), "cacert");
  }
  return ctx;
}

// Asks OpenSSL to check that the certificate names `host` (a DNS name, or an IP address in its
// subjectAltName), and sends the name for virtual hosting.
bool expect_name(tls_stream& stream, const std::string& host) {
  SSL* native = stream.native_handle();
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), host.c_str()) == 1;
  // SSL_set_tlsext_host_name, without the macro's C cast.
  return SSL_set1_host(native, host.c_str()) == 1 &&
         SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str())) == 1;
}

}  // namespace

struct http_client::impl {
  station_address addr;
  std::string token;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};  // plain HTTP
  std::optional<ssl::context> tls_context;
  std::unique_ptr<tls_stream> tls;  // https://; a fresh one for each connection
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : stream; }

  // Calls `fn` with whichever stream this client speaks over.
  template <class F>
  auto on_stream(F&& fn) {
    return tls ? fn(*tls) : fn(stream);
  }

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
    if (addr.tls) {
      if (!tls_context) {
        auto ctx = make_client_tls_context(addr);
        if (!ctx) return std::unexpected(ctx.error());
        tls_context.emplace(std::move(*ctx));
      }
      tls = std::make_unique<tls_stream>(ioc, *tls_context);
      if (!expect_name(*tls, addr.host)) {
        return fail(errc::invalid_argument, "cannot check the certificate name " + addr.host);
      }
    }
    lowest().expires_after(timeout);
    ec = complete([&](auto handler) { lowest().async_connect(endpoints, std::move(handler)); });
    if (!ec && tls) {
      ec = complete([&](auto handler) {
        tls->async_handshake(ssl::stream_base::client, std::move(handler));
      });
      // The station answered, but not with a certificate this client trusts for this address
      // (or not in TLS at all): a refusal, not an outage.
      if (ec.category() == asio::error::get_ssl_category()) {
        disconnect();
        return fail(errc::refused,
                    "cannot trust the station at " + addr.url + ": " + describe(ec), "cacert");
      }
    }
    if (ec) {
      disconnect();
      return std::unexpected(unreachable(ec));
    }
    beast::error_code ignored;
    lowest().socket().set_option(tcp::no_delay(true), ignored);
    buffer.clear();
    connected = true;
    return {};
  }

  void disconnect() {
    beast::error_code ignored;
    lowest().socket().close(ignored);
    connected = false;
  }

  // One exchange on the current connection. `stale` reports a failure that a fresh connection
  // may cure: the station closed a kept-alive connection before this request reached it.
  result<http_reply> exchange(http::request<http::string_body>& req, bool& stale) {
    lowest().expires_after(timeout);
    auto ec = on_stream([&](auto& s) {
      return complete([&](auto handler) { http::async_write(s, req, std::move(handler)); });
    });
    http::response_parser<http::string_body> parser;
    parser.body_limit(reply_body_bytes_max);
    if (!ec) {
      ec = on_stream([&](auto& s) {
        return complete(
            [&](auto handler) { http::async_read(s, buffer, parser, std::move(handler)); });
      });
    }
    if (ec) {
      stale = ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
              ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
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
                                        const std::string& body,
                                        const std::string& idempotency_key) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, impl_->addr.host + ":" + std::to_string(impl_->addr.port));
  req.set(http::field::user_agent, "hotline-cli");
  req.set(http::field::authorization, "Bearer " + impl_->token);
  req.keep_alive(true);
  if (!idempotency_key.empty()) req.set("Idempotency-Key", idempotency_key);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  // A kept connection may have been closed by the station while idle; one retry on a fresh
  // connection covers that. Only reads and keyed posts are retried: a POST without a key that
  // the station may have received is never sent twice, since that could post the message twice.
  const bool may_retry =
      impl_->connected && (req.method() == http::verb::get || !idempotency_key.empty());
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
