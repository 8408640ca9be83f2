// Service notifier: tells systemd what the `hotline station` daemon is doing, for a unit of
// Type=notify (packaging/systemd/hotline@.service): READY=1 once the store is open and the
// listeners are bound, WATCHDOG=1 from the station's own event loop while it turns, and
// STOPPING=1 on shutdown. A station started otherwise (no NOTIFY_SOCKET) notifies nothing.
//
// The watchdog pings come from a timer on the station's io_context, at half the interval the
// unit sets (WatchdogSec=): a loop stuck in one handler stops them, and systemd restarts the
// station. Runs on the io_context's thread; not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>

namespace hotline::station {

class service_notifier {
 public:
  explicit service_notifier(boost::asio::io_context& io);

  // READY=1 with a status line, and the watchdog's first ping and timer if the unit has one.
  void ready(const std::string& status);
  // STOPPING=1; the watchdog stops.
  void stopping();

 private:
  void ping();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};  // 0: no watchdog
  bool stopped_ = false;
};

}  // namespace hotline::station
