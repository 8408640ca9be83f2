// Peer transport: dialing a peer named by host name. The name is resolved without blocking the
// I/O thread, a name that resolves links up as an address does, and one that does not fails
// through on_dial_failed.
#include "net/peer_transport.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "config/keys.hpp"

namespace hotline::net {
namespace {

namespace asio = boost::asio;

// Ample for a loopback connect and handshake, or a lookup the resolver refuses; the tests wait
// for an outcome, not for a time.
constexpr auto outcome_wait_max = std::chrono::seconds(60);

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hotline-net-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct recorder : peer_transport::handler {
  std::optional<std::string> connected;  // the peer
  std::optional<std::string> failed;     // the reason
  std::shared_ptr<peer_connection> conn;
  void on_connected(std::shared_ptr<peer_connection> c, core::direction, const std::string& peer,
                    const std::string&) override {
    conn = std::move(c);
    connected = peer;
  }
  void on_dial_failed(const std::string&, const std::string&, const std::string& reason) override {
    failed = reason;
  }
  bool done() const { return connected || failed; }
};

// Two stations' TLS identities, each pinning the other.
struct identities {
  temp_dir dir;
  tls_settings rok;
  tls_settings ru;
  identities() {
    auto a = config::generate_tls_identity(dir.path() / "rok", "rok-fleet");
    auto b = config::generate_tls_identity(dir.path() / "ru", "ru-pacific");
    EXPECT_TRUE(a && b);
    if (!a || !b) return;
    rok = {a->certificate, a->private_key, {{b->fingerprint, "ru-pacific"}}};
    ru = {b->certificate, b->private_key, {{a->fingerprint, "rok-fleet"}}};
  }
};

void run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + outcome_wait_max;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
    if (io.stopped()) io.restart();
  }
}

TEST(peer_transport, dialing_a_host_name_links_up) {
  identities ids;
  asio::io_context io;
  recorder listener_side;
  recorder dialer_side;
  auto listener = peer_transport::create(io, ids.ru, {{"127.0.0.1", 0}}, listener_side);
  ASSERT_TRUE(listener) << listener.error().message;
  auto dialer = peer_transport::create(io, ids.rok, {}, dialer_side);
  ASSERT_TRUE(dialer) << dialer.error().message;
  const std::uint16_t port = (*listener)->bound_ports().at(0);
  // "localhost" may resolve to ::1 before 127.0.0.1; every address is tried.
  (*dialer)->dial("ru-pacific", "fibre", {"localhost", port});
  EXPECT_FALSE(dialer_side.done()) << "the outcome is reported later, not from inside dial()";
  run_until(io, [&] { return dialer_side.done() && listener_side.done(); });
  ASSERT_FALSE(dialer_side.failed) << *dialer_side.failed;
  EXPECT_EQ(dialer_side.connected, "ru-pacific");
  EXPECT_EQ(listener_side.connected, "rok-fleet");
  (*dialer)->stop();
  (*listener)->stop();
}

TEST(peer_transport, a_name_that_does_not_resolve_fails_the_dial_without_blocking) {
  identities ids;
  asio::io_context io;
  recorder dialer_side;
  auto dialer = peer_transport::create(io, ids.rok, {}, dialer_side);
  ASSERT_TRUE(dialer) << dialer.error().message;
  // RFC 2606 reserves .invalid: no such name can ever resolve.
  (*dialer)->dial("ru-pacific", "fibre", {"no-such-host.invalid", 7300});
  EXPECT_FALSE(dialer_side.done()) << "dial() must not wait for the name server";
  // The I/O thread stays free while the name is looked up: a timer set now still fires.
  bool timer_fired = false;
  asio::steady_timer t(io, std::chrono::milliseconds(1));
  t.async_wait([&](boost::system::error_code ec) { timer_fired = !ec; });
  run_until(io, [&] { return dialer_side.done() && timer_fired; });
  EXPECT_TRUE(timer_fired);
  ASSERT_TRUE(dialer_side.failed);
  EXPECT_FALSE(dialer_side.connected);
  EXPECT_NE(dialer_side.failed->find("cannot resolve no-such-host.invalid"), std::string::npos)
      << *dialer_side.failed;
  (*dialer)->stop();
}

TEST(peer_transport, an_address_is_dialed_without_a_lookup) {
  identities ids;
  asio::io_context io;
  recorder dialer_side;
  auto dialer = peer_transport::create(io, ids.rok, {}, dialer_side);
  ASSERT_TRUE(dialer) << dialer.error().message;
  // Port 1 on loopback: nothing listens, so the connect itself is refused.
  (*dialer)->dial("ru-pacific", "fibre", {"127.0.0.1", 1});
  run_until(io, [&] { return dialer_side.done(); });
  ASSERT_TRUE(dialer_side.failed);
  EXPECT_NE(dialer_side.failed->find("connect to 127.0.0.1:1"), std::string::npos)
      << *dialer_side.failed;
  (*dialer)->stop();
}

}  // namespace
}  // namespace hotline::net
