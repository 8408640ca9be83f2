#include "api/console.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <utility>

#include "api/routes.hpp"

namespace hotline::api {
namespace {

constexpr std::string_view assets_prefix = "/assets/";

bool safe_asset_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 255) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The bytes of a regular file no larger than console_file_bytes_max, or nullopt.
std::optional<std::string> read_small_file(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  const auto size = std::filesystem::file_size(p, ec);
  if (ec || size > console_file_bytes_max) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad() || bytes.size() > console_file_bytes_max) return std::nullopt;
  return bytes;
}

http_response not_found(const http_request& req, const std::string& message) {
  return error_response(req.version(), req.keep_alive(), http::status::not_found, "not_found",
                        message);
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : types) {
    if (file_name.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

http_response serve_console(const server_state& state, const http_request& req,
                            std::string_view path) {
  const std::filesystem::path& dir = state.options.console_dir;
  std::filesystem::path file;
  bool is_index = false;
  if (path == "/" || path == "/index.html") {
    file = dir / "index.html";
    is_index = true;
  } else if (path.starts_with(assets_prefix) &&
             safe_asset_name(path.substr(assets_prefix.size()))) {
    file = dir / "assets" / std::string(path.substr(assets_prefix.size()));
  } else {
    return not_found(req, "no such page: " + std::string(path));
  }
  if (req.method() != http::verb::get) {
    auto res = error_response(req.version(), req.keep_alive(), http::status::method_not_allowed,
                              "method_not_allowed",
                              std::string(req.method_string()) + " is not allowed here; use GET");
    res.set(http::field::allow, "GET");
    return res;
  }
  if (dir.empty()) return not_found(req, "this station serves no console (console.dir is not set)");
  auto bytes = read_small_file(file);
  if (!bytes) {
    return not_found(req, is_index ? "the console is not installed at this station"
                                   : "no such asset: " + std::string(path));
  }
  http_response res{http::status::ok, req.version()};
  res.set(http::field::server, "hotline");
  res.set(http::field::content_type, content_type_for(file.filename().string()));
  res.set(http::field::cache_control,
          is_index ? "no-store" : "public, max-age=31536000, immutable");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", console_csp);
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(*bytes);
  res.prepare_payload();
  return res;
}

}  // namespace hotline::api
