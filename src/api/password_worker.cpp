#include "api/password_worker.hpp"

#include <sodium.h>

#include <boost/asio.hpp>

#include "storage/passwords.hpp"

namespace hotline::api {

namespace asio = boost::asio;

password_worker::password_worker() = default;

password_worker::~password_worker() { close(); }

void password_worker::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
  }
  pool_.join();
}

asio::awaitable<std::optional<bool>> password_worker::verify(std::string hash,
                                                             std::string password) {
  using signature = void(std::optional<bool>);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), signature>(
      [this](auto handler, std::string h, std::string p) {
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        std::lock_guard lock(mutex_);
        if (closed_) {
          auto ex = work.get_executor();
          asio::post(ex, [handler = std::move(handler)]() mutable { handler(std::nullopt); });
          return;
        }
        // The handler goes back to its own executor to be run there; it is never destroyed
        // on the worker thread, so the coroutine it resumes stays on the I/O thread.
        asio::post(pool_, [handler = std::move(handler), work = std::move(work), h = std::move(h),
                           p = std::move(p)]() mutable {
          const bool ok = storage::verify_password(h, p);
          sodium_memzero(p.data(), p.size());
          auto ex = work.get_executor();
          asio::post(ex, [handler = std::move(handler), ok]() mutable { handler(ok); });
        });
      },
      asio::use_awaitable, std::move(hash), std::move(password));
}

}  // namespace hotline::api
