#include "forms/catalog.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <system_error>

#include "core/message.hpp"
#include "core/signing.hpp"
#include "forms/form_limits.hpp"
#include "forms/form_parse.hpp"
#include "forms/toml_read.hpp"

namespace hotline::forms {

namespace {

struct digest_free {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One catalog file: its path relative to the catalog directory ("forms/LINK-TEST.toml") and bytes.
struct catalog_file {
  std::string name;
  std::string bytes;
};

// SHA-256 over each file as "<name>\n<size in decimal>\n<bytes>", in the given (name) order.
// Naming and sizing each file means no two different catalogs hash the same bytes.
result<std::string> hash_files(const std::vector<catalog_file>& files) {
  std::unique_ptr<EVP_MD_CTX, digest_free> ctx(EVP_MD_CTX_new());
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  for (const catalog_file& file : files) {
    const std::string header = file.name + "\n" + std::to_string(file.bytes.size()) + "\n";
    ok = ok && EVP_DigestUpdate(ctx.get(), header.data(), header.size()) == 1 &&
         EVP_DigestUpdate(ctx.get(), file.bytes.data(), file.bytes.size()) == 1;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), digest, &size) == 1 && size == 32;
  if (!ok) {
    return fail(errc::io, "SHA-256 of the catalog failed");
  }
  return signing::to_hex(std::span<const std::uint8_t>(digest, size));
}

// The form files in <dir>/forms, sorted by name so both sides hash them in the same order.
result<std::vector<std::filesystem::path>> list_form_files(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir / "forms", ec);
  if (ec) {
    const errc code = ec == std::errc::no_such_file_or_directory ? errc::not_found : errc::io;
    return fail(code, "cannot list " + (dir / "forms").string() + ": " + ec.message());
  }
  std::vector<std::filesystem::path> out;
  for (const auto& entry : it) {
    if (entry.path().extension() == ".toml") {
      out.push_back(entry.path());
    }
  }
  if (out.size() > limits::catalog_forms_max) {
    return fail(errc::limit,
                "a catalog holds at most " + std::to_string(limits::catalog_forms_max) + " forms");
  }
  std::ranges::sort(out);
  return out;
}

// Adds the file's name to an error from parsing it, so a person knows where to look.
std::unexpected<error> in_file(error e, const std::string& name) {
  e.message = name + ": " + e.message;
  return std::unexpected(std::move(e));
}

result<form> load_form(const std::filesystem::path& path, std::vector<catalog_file>& files) {
  const std::string name = "forms/" + path.filename().string();
  auto bytes = detail::read_catalog_file(path);
  if (!bytes) {
    return std::unexpected(bytes.error());
  }
  auto table = detail::parse_toml(*bytes, name);
  if (!table) {
    return std::unexpected(table.error());
  }
  auto parsed = detail::parse_form(*table, path.stem().string());
  if (!parsed) {
    return in_file(std::move(parsed.error()), name);
  }
  files.push_back({name, std::move(*bytes)});
  return parsed;
}

}  // namespace

result<catalog> catalog::load(const std::filesystem::path& dir) {
  std::vector<catalog_file> files;
  auto head_bytes = detail::read_catalog_file(dir / "catalog.toml");
  if (!head_bytes) {
    return std::unexpected(head_bytes.error());
  }
  auto head = detail::parse_toml(*head_bytes, "catalog.toml");
  if (!head) {
    return std::unexpected(head.error());
  }
  catalog out;
  auto keys = detail::check_keys(*head, "", {"id", "version"});
  auto id = detail::required_string(*head, "", "id");
  auto version = detail::required_string(*head, "", "version");
  if (!keys || !id || !version) {
    return in_file(!keys ? keys.error() : !id ? id.error() : version.error(), "catalog.toml");
  }
  out.id_ = std::move(*id);
  out.version_ = std::move(*version);
  files.push_back({"catalog.toml", std::move(*head_bytes)});

  auto paths = list_form_files(dir);
  if (!paths) {
    return std::unexpected(paths.error());
  }
  for (const std::filesystem::path& path : *paths) {
    auto parsed = load_form(path, files);
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    out.forms_.push_back(std::move(*parsed));
  }
  if (out.find(form_free_text) == nullptr) {
    return fail(errc::invalid_argument, "the catalog has no " + std::string(form_free_text) +
                                            " form, which every message without a form uses");
  }
  // Files are hashed in name order, where "LINK-TEST-REPLY.toml" sorts before "LINK-TEST.toml";
  // the forms themselves are listed in id order.
  std::ranges::sort(out.forms_, {}, &form::id);
  auto hash = hash_files(files);
  if (!hash) {
    return std::unexpected(hash.error());
  }
  out.hash_ = std::move(*hash);
  return out;
}

const form* catalog::find(std::string_view id) const {
  for (const form& f : forms_) {
    if (f.id == id) {
      return &f;
    }
  }
  return nullptr;
}

}  // namespace hotline::forms
