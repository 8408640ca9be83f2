// Password worker: checks passwords against their Argon2id hashes on a thread of its own, so that
// the ~100 ms and 64 MiB each check costs (storage/passwords.hpp) never stall the station's I/O
// thread, its links or its other clients. Checks run one at a time, in order.
//
// Threading: `verify` is called on an io_context thread and resumes there. `close` may be
// called from any thread; it waits for the checks already queued, and every later `verify`
// answers nullopt at once. The destructor closes.
//
// Lifetimes: the io_context a `verify` resumes on must outlive the worker, or `close` must have
// returned before it is destroyed: each queued check holds a work guard on that io_context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <optional>
#include <string>

namespace hotline::api {

class password_worker {
 public:
  password_worker();
  ~password_worker();
  password_worker(const password_worker&) = delete;
  password_worker& operator=(const password_worker&) = delete;

  // True when `password` matches `hash`; nullopt when the worker is closed. The password copy
  // is wiped after use.
  boost::asio::awaitable<std::optional<bool>> verify(std::string hash, std::string password);

  void close();

 private:
  std::mutex mutex_;
  bool closed_ = false;  // guarded by mutex_; no check is queued after it is set
  boost::asio::thread_pool pool_{1};
};

}  // namespace hotline::api
