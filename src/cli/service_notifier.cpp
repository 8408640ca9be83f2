#include "cli/service_notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace hotline::station {

service_notifier::service_notifier(boost::asio::io_context& io) : timer_(io) {
  std::uint64_t usec = 0;
  // WATCHDOG_USEC is set by systemd only for this process (WATCHDOG_PID); anything the station
  // starts cannot notify in its name either, as the unit says NotifyAccess=main.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    interval_ = std::chrono::microseconds(usec / 2);
  }
}

void service_notifier::ready(const std::string& status) {
  const std::string msg = "READY=1\nSTATUS=" + status;
  if (const int r = sd_notify(0, msg.c_str()); r < 0) {
    spdlog::warn("cannot tell the service manager the station is ready: error {}", -r);
  }
  if (interval_.count() > 0) {
    spdlog::info("systemd watchdog: a ping every {} ms", interval_.count() / 1000);
    ping();
  }
}

void service_notifier::stopping() {
  stopped_ = true;
  timer_.cancel();
  (void)sd_notify(0, "STOPPING=1");
}

void service_notifier::ping() {
  if (stopped_) return;
  (void)sd_notify(0, "WATCHDOG=1");
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping();
  });
}

}  // namespace hotline::station
