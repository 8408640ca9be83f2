#include "net/peer_connection.hpp"

#include <vector>

#include "core/limits.hpp"
#include "net/tls.hpp"

namespace hotline::net {

std::string peer_connection::peer_fingerprint() const {
  return stream_ ? net::peer_fingerprint(stream_->native_handle()) : std::string{};
}

namespace asio = boost::asio;

peer_connection::peer_connection(std::unique_ptr<stream_type> stream, std::string remote)
    : stream_(std::move(stream)),
      remote_(std::move(remote)),
      close_timer_(stream_->get_executor()) {}

void peer_connection::start(handler* h, std::uint64_t id) {
  handler_ = h;
  id_ = id;
  read();
}

void peer_connection::read() {
  stream_->async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (self->closed_ || self->closing_) return;
        if (ec) {
          self->fail(ec == asio::error::eof ? "peer closed the connection" : ec.message());
          return;
        }
        // The handler may close this connection; `self` keeps it alive meanwhile.
        if (self->handler_) self->handler_->on_bytes(self->id_, std::span(self->read_buffer_.data(), n));
        if (!self->closed_ && !self->closing_) self->read();
      });
}

void peer_connection::send(wire::bytes bytes) {
  if (closed_ || closing_ || bytes.empty()) return;
  queued_bytes_ += bytes.size();
  if (queued_bytes_ > limits::send_buffer_bytes_max) {
    fail("peer is not reading: send buffer over " +
         std::to_string(limits::send_buffer_bytes_max) + " bytes");
    return;
  }
  queue_.push_back(std::move(bytes));
  if (writing_count_ == 0) write();
}

void peer_connection::write() {
  // Everything queued goes out in one gathered write: fewer TLS records, fewer syscalls.
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(queue_.size());
  for (const auto& b : queue_) buffers.push_back(asio::buffer(b));
  writing_count_ = queue_.size();
  asio::async_write(*stream_, buffers,
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      if (self->closed_) return;
                      for (std::size_t i = 0; i < self->writing_count_; ++i) {
                        self->queued_bytes_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                      }
                      self->writing_count_ = 0;
                      if (ec) return self->fail("write failed: " + ec.message());
                      if (!self->queue_.empty()) return self->write();
                      if (self->closing_) self->shutdown();
                    });
}

void peer_connection::close() {
  if (closed_ || closing_) return;
  closing_ = true;
  handler_ = nullptr;
  if (writing_count_ == 0 && queue_.empty()) return shutdown();
  // A peer that does not read must not hold the socket open: give the last bytes a moment.
  close_timer_.expires_after(std::chrono::seconds(1));
  close_timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
    self->shutdown();
  });
}

void peer_connection::fail(const std::string& reason) {
  if (closed_) return;
  handler* h = handler_;
  handler_ = nullptr;
  shutdown();
  if (h) h->on_closed(id_, reason);
}

void peer_connection::shutdown() {
  if (closed_) return;
  closed_ = true;
  close_timer_.cancel();
  boost::system::error_code ignored;
  stream_->lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_->lowest_layer().close(ignored);
}

}  // namespace hotline::net
