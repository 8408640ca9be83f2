// Catalog: the set of forms both ends of a hotline agree on, loaded from a directory.
//
// Layout: <dir>/catalog.toml names the catalog (`id`, `version`); <dir>/forms/<FORM-ID>.toml
// holds one form each. `load` checks every file completely (see form_parse.hpp) so that a form
// that loads can always be validated, rendered and exemplified in every language. `hash` lets
// the agreement pin the exact catalog both sides use. The format is written up in docs/forms.md.
// Immutable after loading; safe to share across threads.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "forms/form.hpp"

namespace hotline::forms {

class catalog {
 public:
  // Loads and checks the catalog in `dir`. Errors: errc::not_found when catalog.toml or the
  // forms directory is missing; errc::io when a file cannot be read; errc::limit for a file or a
  // catalog over its limit; errc::invalid_argument for any broken rule, with the file named in
  // the message and the key in `field` ("fields[2].label.ru"). The catalog must hold FREE-TEXT,
  // the form of every message posted without one.
  static result<catalog> load(const std::filesystem::path& dir);

  // The form with this id, or nullptr. The pointer lives as long as the catalog.
  const form* find(std::string_view id) const;
  // Every form, ordered by id.
  const std::vector<form>& forms() const { return forms_; }
  const std::string& id() const { return id_; }
  const std::string& version() const { return version_; }
  // 64 lowercase hex digits: SHA-256 over every catalog file in name order (docs/forms.md).
  const std::string& hash() const { return hash_; }

 private:
  std::string id_;
  std::string version_;
  std::string hash_;
  std::vector<form> forms_;
};

}  // namespace hotline::forms
