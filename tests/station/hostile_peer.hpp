// Hostile peer: a scriptable counterpart that holds the real counterpart's keys (its TLS key,
// pinned in the agreement, and its signing key) and sends whatever frames a test writes: well
// formed, or well formed on the outside and hostile inside.
//
// It speaks over a real TLS 1.3 connection to the station's peer listener, with blocking reads
// bounded by a timeout, so a test reads the station's answers as the real peer would. Frames are
// built with the station's own encoder, which checks nothing: a test can put any bytes in any
// string. Not thread-safe; one connection per object.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/signing.hpp"
#include "core/wire.hpp"
#include "net/tls.hpp"
#include "station_world.hpp"

namespace hotline::test {

class hostile_peer {
 public:
  using stream_type = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  explicit hostile_peer(station_world& w) : world_(w) {}

  // TLS as station `ru`; true when the handshake succeeded.
  bool connect() {
    net::tls_settings t;
    t.certificate = world_.dir() / station_ru / "tls.crt";
    t.private_key = world_.dir() / station_ru / "tls.key";
    t.pins[world_.rok_fingerprint()] = station_rok;
    auto ctx = net::make_tls_context(t);
    if (!ctx) return false;
    ctx_ = *ctx;
    stream_ = std::make_unique<stream_type>(io_, *ctx_);
    boost::system::error_code ec;
    stream_->next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), world_.peer_port()},
                                  ec);
    if (ec) return false;
    // Reads give up after a while, so a test never hangs on a station that says nothing.
    timeval tv{1, 0};
    ::setsockopt(stream_->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    net::install_pin_check(*stream_, t.pins, std::make_shared<std::string>());
    stream_->handshake(boost::asio::ssl::stream_base::client, ec);
    return !ec;
  }

  // The hello the real counterpart would send, dialing on path "primary"; `edit` may spoil it.
  wire::hello honest_hello(std::uint64_t navy_next = 1, std::uint64_t air_next = 1) const {
    wire::hello h;
    h.station = station_ru;
    h.agreement_hash = world_.agreement().hash;
    h.boot_id = 0x5eed;
    h.path = "primary";
    h.resume = {{"air", air_next}, {"navy", navy_next}};
    return h;
  }

  // A message from `ru`. Since protocol 5 messages are not signed one by one, a seal covers them
  // (send()); `sign` also signs it as protocol 4 did.
  message make_message(const std::string& channel, std::uint64_t seq, const std::string& id,
                       std::string form = "FREE-TEXT", std::string body = "text",
                       bool sign = false) const {
    message m;
    m.id = id;
    m.channel = channel;
    m.from = station_ru;
    m.seq = seq;
    m.prec = precedence::routine;
    m.created_at_ms = 1'765'000'000'000;
    m.form = std::move(form);
    m.body = std::move(body);
    if (sign) signing::seal(world_.ru_key(), m);
    return m;
  }

  // A receipt for this station's messages on `channel` up to `up_to_seq`, signed by `ru`.
  wire::ack make_receipt(const std::string& channel, std::uint64_t up_to_seq,
                         const wire::hash256& chain) const {
    wire::ack a{channel, up_to_seq, chain, 1'765'000'000'000, {}};
    a.signature = world_.ru_key().sign(wire::canonical_receipt_bytes(
        {channel, station_rok, station_ru, up_to_seq, chain, a.at_ms, {}}));
    return a;
  }

  // `ru`'s seal over its messages on `channel` up to `up_to_seq`, whose chain is `chain`.
  wire::seal make_seal(const std::string& channel, std::uint64_t up_to_seq,
                       const wire::hash256& chain) const {
    wire::seal s{channel, up_to_seq, chain, 1'765'000'000'000, {}};
    s.signature = world_.ru_key().sign(
        wire::canonical_seal_bytes({channel, station_ru, up_to_seq, chain, s.at_ms, {}}));
    return s;
  }

  // Sends `f`. A data frame that continues the channel's sequence is followed by the seal over
  // it, as an honest peer seals what it sends, unless `auto_seal` is turned off.
  bool send(const wire::frame& f) {
    wire::bytes b = wire::encode(f);
    if (const auto* d = std::get_if<wire::data>(&f); d && auto_seal) {
      const message& m = d->msg;
      auto [it, fresh] = sent_.try_emplace(m.channel);
      if (fresh) it->second = held(m.channel);
      auto& [next, chain] = it->second;
      if (m.seq == next + 1) {
        chain = signing::chain_next(chain, signing::message_digest(m));
        next = m.seq;
        wire::encode(make_seal(m.channel, m.seq, chain), b);
      }
    }
    return send_raw(b);
  }
  bool auto_seal = true;

  bool send_raw(const wire::bytes& b) {
    boost::system::error_code ec;
    boost::asio::write(*stream_, boost::asio::buffer(b), ec);
    return !ec;
  }

  // The station's frames until `done` says stop, the station closes, or `timeout` passes.
  // Returns the close reason when the station closed the link, else nullopt.
  std::optional<std::string> read_until(std::function<bool(const wire::frame&)> done,
                                        std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::array<std::uint8_t, 16 * 1024> buf{};
    while (std::chrono::steady_clock::now() < until) {
      while (auto next = decoder_.next()) {
        if (!*next) break;
        const wire::frame& f = **next;
        seen_.push_back(f);
        if (const auto* c = std::get_if<wire::close>(&f)) return c->reason;
        if (done && done(f)) return std::nullopt;
      }
      boost::system::error_code ec;
      const std::size_t n = stream_->read_some(boost::asio::buffer(buf), ec);
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) continue;
      if (ec) return "connection ended: " + ec.message();
      decoder_.feed(std::span(buf.data(), n));
    }
    return std::nullopt;
  }

  // Waits for the station to close the link; its reason, or "" when it did not within 20 s.
  std::string closed_reason() {
    return read_until([](const wire::frame&) { return false; }).value_or("");
  }

  // Waits for the station's receipt on `channel` reaching `seq`; false if the link closed.
  bool receipt_for(const std::string& channel, std::uint64_t seq) {
    bool got = false;
    read_until([&](const wire::frame& f) {
      const auto* a = std::get_if<wire::ack>(&f);
      got = a != nullptr && a->channel == channel && a->up_to_seq >= seq;
      return got;
    });
    return got;
  }

  // What the station holds from `ru` on `channel` (a peer connected before this one sent it):
  // the last seq and the chain up to it.
  std::pair<std::uint64_t, wire::hash256> held(const std::string& channel) const {
    std::vector<message> in;
    for (auto& s : world_.inbox()) {
      if (s.msg.channel == channel) in.push_back(s.msg);
    }
    std::sort(in.begin(), in.end(), [](const message& a, const message& b) { return a.seq < b.seq; });
    return {in.size(), chain_of(in)};
  }

  // The chain over `msgs` (seq 1 onwards), as both sides compute it.
  static wire::hash256 chain_of(const std::vector<message>& msgs) {
    signing::digest c{};
    for (const auto& m : msgs) c = signing::chain_next(c, signing::message_digest(m));
    return c;
  }

 private:
  station_world& world_;
  boost::asio::io_context io_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::unique_ptr<stream_type> stream_;
  wire::frame_decoder decoder_;
  std::vector<wire::frame> seen_;
  std::map<std::string, std::pair<std::uint64_t, wire::hash256>> sent_;  // channel -> seq, chain
};

}  // namespace hotline::test
