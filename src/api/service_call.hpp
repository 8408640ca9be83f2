// Awaiting a station::service call that answers through a callback (post, acknowledge,
// verify_journal) from an API coroutine.
//
// Contract: `start(callback)` is called at once, on the coroutine's thread, with a callback
// that the service must call exactly once, from any thread, at once or later. The coroutine
// always resumes through its own executor, never inside `start` or on the service's thread.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <utility>

#include "core/error.hpp"

namespace hotline::api {

template <class T, class Start>
boost::asio::awaitable<result<T>> service_call(Start start) {
  namespace asio = boost::asio;
  using signature = void(result<T>);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), signature>(
      [&start](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto ex = asio::get_associated_executor(*shared);
        start(std::function<void(result<T>)>([shared, ex](result<T> res) {
          asio::post(ex, [shared, res = std::move(res)]() mutable { (*shared)(std::move(res)); });
        }));
      },
      asio::use_awaitable);
}

}  // namespace hotline::api
