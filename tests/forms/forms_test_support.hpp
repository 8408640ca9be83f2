// Shared by the forms tests: the repository's catalog, a fixed "now", and forms built in code.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "forms/catalog.hpp"
#include "forms/form.hpp"

namespace hotline::forms::testing {

// 2026-11-21T00:00:00Z: every golden file is rendered from the examples at this time.
inline constexpr std::int64_t fixed_now_ms = 1'795'219'200'000;

inline std::filesystem::path repo_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}
inline std::filesystem::path catalog_dir() { return repo_dir() / "catalog"; }
inline std::filesystem::path golden_dir() {
  return std::filesystem::path(__FILE__).parent_path() / "golden";
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The repository's catalog, loaded once; a test fails if it does not load.
inline const catalog& repo_catalog() {
  static const result<catalog> loaded = catalog::load(catalog_dir());
  if (!loaded) {
    ADD_FAILURE() << "catalog did not load: " << loaded.error().message;
    std::abort();
  }
  return *loaded;
}

inline localized same_text(const std::string& text) {
  return localized{{text + " (ko)", text + " (ru)", text}};
}

// A form with one field named after its type: the unit under test for each type's rules.
inline form one_field_form(field_type type) {
  form f;
  f.id = "TEST";
  f.version = "1";
  f.category = "general";
  f.title = same_text("Test");
  field spec;
  spec.name = "value";
  spec.type = type;
  spec.label = same_text("Value");
  if (type == field_type::text) {
    spec.max_length = 10;
  }
  if (type == field_type::count) {
    spec.min = 1;
    spec.max = 5;
  }
  if (type == field_type::enumeration) {
    spec.options = {{"yes", same_text("Yes")}, {"no", same_text("No")}};
  }
  f.fields.push_back(spec);
  f.template_text = localized{{"{value}", "{value}", "{value}"}};
  return f;
}

}  // namespace hotline::forms::testing
