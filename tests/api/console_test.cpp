// The static console: files, content types, security and caching headers, no traversal, and a
// JSON 404 when no console is installed.
#include "api/console.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "accounts_fixture.hpp"

namespace hotline::testing {
namespace {

// <tmp>/secret.txt beside <tmp>/dist/{index.html, assets/app-1a2b.js, assets/app-1a2b.css}.
class console_dir {
 public:
  console_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "hotline-console-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    root_ = pattern;
    std::filesystem::create_directories(root_ / "dist" / "assets");
    write(root_ / "secret.txt", "TOP-SECRET");
    write(root_ / "dist" / "index.html", "<!doctype html><title>Hotline</title>");
    write(root_ / "dist" / "assets" / "app-1a2b.js", "console.log(1)");
    write(root_ / "dist" / "assets" / "app-1a2b.css", "body{}");
    write(root_ / "dist" / "assets" / ".hidden", "hidden");
  }
  ~console_dir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::filesystem::path dist() const { return root_ / "dist"; }

 private:
  static void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
  }
  std::filesystem::path root_;
};

class console_test : public accounts_server_test {
 protected:
  api::server_options extra_options() override {
    api::server_options o;
    o.console_dir = files_.dist();
    return o;
  }
  console_dir files_;
};

using no_console_test = accounts_server_test;

TEST_F(console_test, index_is_served_uncached_with_a_strict_csp) {
  client c(port());
  const auto res = send(c, http::verb::get, "/");
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_EQ(res.body(), "<!doctype html><title>Hotline</title>");
  EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res[http::field::cache_control], "no-store");
  EXPECT_EQ(res["Content-Security-Policy"],
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
}

TEST_F(console_test, hashed_assets_have_their_types_and_are_cached_for_long) {
  client c(port());
  const auto js = send(c, http::verb::get, "/assets/app-1a2b.js");
  ASSERT_EQ(js.result(), http::status::ok);
  EXPECT_EQ(js.body(), "console.log(1)");
  EXPECT_EQ(js[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js[http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(send(c, http::verb::get, "/assets/app-1a2b.css")[http::field::content_type],
            "text/css; charset=utf-8");
  EXPECT_EQ(api::content_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(api::content_type_for("font.woff2"), "font/woff2");
  EXPECT_EQ(api::content_type_for("blob.bin"), "application/octet-stream");
}

TEST_F(console_test, no_path_reaches_outside_the_console_directory) {
  client c(port());
  for (const char* target :
       {"/assets/../../secret.txt", "/assets/..%2F..%2Fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt", "/../secret.txt", "/secret.txt", "/assets/.hidden",
        "/assets/", "/assets/sub/app-1a2b.js", "/assets/..", "/index.html/../../secret.txt"}) {
    const auto res = send(c, http::verb::get, target);
    EXPECT_EQ(res.result(), http::status::not_found) << target;
    EXPECT_EQ(res.body().find("TOP-SECRET"), std::string::npos) << target;
    EXPECT_EQ(body_json(res)["error"]["code"], "not_found") << target;
  }
}

TEST_F(console_test, the_console_needs_no_credentials_but_the_api_still_does) {
  client c(port());
  EXPECT_EQ(send(c, http::verb::get, "/").result(), http::status::ok);
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status").result(), http::status::unauthorized);
  EXPECT_EQ(send(c, http::verb::post, "/", "{}").result(), http::status::method_not_allowed);
}

TEST_F(no_console_test, without_a_console_the_root_is_a_json_404) {
  client c(port());
  const auto res = send(c, http::verb::get, "/");
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(body_json(res)["error"]["code"], "not_found");
  EXPECT_EQ(send(c, http::verb::get, "/assets/app.js").result(), http::status::not_found);
}

}  // namespace
}  // namespace hotline::testing
