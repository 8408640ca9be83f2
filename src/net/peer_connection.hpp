// Peer connection: one established TLS link to another station, as a byte pipe.
//
// It reads into the station's handler and writes queued bytes in order. It knows nothing of
// frames: the engine does. Writes are bounded by limits::send_buffer_bytes_max; a peer that
// stops reading is cut off rather than allowed to grow memory. Lives on the station's I/O
// thread; not thread-safe. Owned by shared_ptr (asio handlers keep it alive while pending).
#pragma once

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>

#include "core/wire.hpp"

namespace hotline::net {

class peer_connection : public std::enable_shared_from_this<peer_connection> {
 public:
  using stream_type = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  class handler {
   public:
    virtual ~handler() = default;
    virtual void on_bytes(std::uint64_t id, std::span<const std::uint8_t> bytes) = 0;
    virtual void on_closed(std::uint64_t id, const std::string& reason) = 0;
  };

  peer_connection(std::unique_ptr<stream_type> stream, std::string remote);

  // Starts reading. `h` must stay valid until on_closed or close().
  void start(handler* h, std::uint64_t id);
  void send(wire::bytes bytes);
  // Closes after queued bytes are written (bounded by a short timer); no on_closed follows.
  void close();
  const std::string& remote() const { return remote_; }
  // The fingerprint of the key the peer proved at the handshake.
  std::string peer_fingerprint() const;

 private:
  void read();
  void write();
  void fail(const std::string& reason);
  void shutdown();

  std::unique_ptr<stream_type> stream_;
  std::string remote_;
  handler* handler_ = nullptr;
  std::uint64_t id_ = 0;
  std::array<std::uint8_t, 64 * 1024> read_buffer_{};
  std::deque<wire::bytes> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t writing_count_ = 0;  // buffers in the write under way
  bool closing_ = false;
  bool closed_ = false;
  boost::asio::steady_timer close_timer_;
};

}  // namespace hotline::net
