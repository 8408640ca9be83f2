// Loading the catalog: the repository's catalog loads whole, and each broken rule in a form file
// stops the load with the file and key named.
#include "forms/catalog.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "config/temp_dir.hpp"
#include "forms_test_support.hpp"

namespace hotline::forms {
namespace {

using config::testing::temp_dir;
using testing::catalog_dir;
using testing::read_text;
using testing::repo_catalog;

TEST(CatalogTest, RepositoryCatalogHoldsEveryForm) {
  const catalog& c = repo_catalog();
  EXPECT_EQ(c.id(), "hotline-forms");
  EXPECT_EQ(c.version(), "2026.1");
  for (const char* id :
       {"AIR-FLIGHT-NOTICE", "AIR-IDENTIFY-REQUEST", "AIR-IDENTIFY-REPLY", "SEA-MOVEMENT-NOTICE",
        "SEA-HAZARD-NOTICE", "SEA-INCIDENT-REPORT", "EXERCISE-NOTICE", "MISSILE-LAUNCH-NOTICE",
        "LINK-TEST", "LINK-TEST-REPLY", "CALL-REQUEST", "FREE-TEXT"}) {
    EXPECT_NE(c.find(id), nullptr) << id;
  }
  EXPECT_EQ(c.forms().size(), 12u);
  EXPECT_EQ(c.find("NO-SUCH-FORM"), nullptr);
  EXPECT_TRUE(std::is_sorted(c.forms().begin(), c.forms().end(),
                             [](const form& a, const form& b) { return a.id < b.id; }));
}

TEST(CatalogTest, EveryTextIsGivenInEveryLanguage) {
  for (const form& f : repo_catalog().forms()) {
    for (lang l : all_langs) {
      EXPECT_FALSE(f.title.in(l).empty()) << f.id;
      for (const field& spec : f.fields) {
        EXPECT_FALSE(spec.label.in(l).empty()) << f.id << "." << spec.name;
        for (const enum_option& option : spec.options) {
          EXPECT_FALSE(option.label.in(l).empty()) << f.id << "." << spec.name;
        }
      }
    }
  }
}

// A copy of the repository's catalog in a temporary directory, to break one file at a time.
class BrokenCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("catalog.toml", read_text(catalog_dir() / "catalog.toml"));
    for (const auto& entry : std::filesystem::directory_iterator(catalog_dir() / "forms")) {
      dir_.write(std::filesystem::path("forms") / entry.path().filename(), read_text(entry.path()));
    }
  }

  // Replaces the first match of `pattern` in the file, then loads the catalog.
  result<catalog> load_with(const std::string& file, const std::string& pattern,
                            const std::string& replacement) {
    const std::string before = read_text(dir_.path() / file);
    const std::string after = std::regex_replace(before, std::regex(pattern), replacement,
                                                 std::regex_constants::format_first_only);
    EXPECT_NE(before, after) << pattern << " not found in " << file;
    dir_.write(file, after);
    return catalog::load(dir_.path());
  }

  // Expects the load to fail with invalid_argument naming `key`.
  void expect_rejected(const result<catalog>& loaded, const std::string& key) {
    ASSERT_FALSE(loaded.has_value()) << "loaded although " << key << " is broken";
    EXPECT_EQ(loaded.error().code, errc::invalid_argument) << loaded.error().message;
    EXPECT_EQ(loaded.error().field, key) << loaded.error().message;
  }

  temp_dir dir_;
};

TEST_F(BrokenCatalogTest, CopyLoadsWithTheSameHash) {
  auto loaded = catalog::load(dir_.path());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->hash(), repo_catalog().hash());
  EXPECT_TRUE(std::regex_match(loaded->hash(), std::regex("[0-9a-f]{64}")));
}

TEST_F(BrokenCatalogTest, HashChangesWithAnyByte) {
  auto loaded = load_with("forms/LINK-TEST.toml", "Test number", "Test No.");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_NE(loaded->hash(), repo_catalog().hash());
}

TEST_F(BrokenCatalogTest, ExtraFormChangesTheHash) {
  dir_.write("forms/ZZ-TEST.toml",
             std::regex_replace(read_text(dir_.path() / "forms/LINK-TEST.toml"),
                                std::regex("id = \"LINK-TEST\""), "id = \"ZZ-TEST\""));
  auto loaded = catalog::load(dir_.path());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->forms().size(), 13u);
  EXPECT_NE(loaded->hash(), repo_catalog().hash());
}

TEST_F(BrokenCatalogTest, MissingLanguageInATitle) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "\nru = \"Проверка связи\"", ""), "title.ru");
}

TEST_F(BrokenCatalogTest, MissingLanguageInALabel) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "ru = \"Плановое время\", ", ""),
                  "fields[1].label.ru");
}

TEST_F(BrokenCatalogTest, IncompleteEnumLabel) {
  expect_rejected(load_with("forms/EXERCISE-NOTICE.toml", ", en = \"no\"", ""),
                  "fields[5].options[1].label.en");
}

TEST_F(BrokenCatalogTest, PlaceholderNamesNoField) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "\\{test_id\\}\nПлановое", "{test}\nПлановое"),
                  "template.ru");
}

TEST_F(BrokenCatalogTest, TemplateLeavesAFieldOut) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "Scheduled time: \\{scheduled_at\\}", ""),
                  "template.en");
}

TEST_F(BrokenCatalogTest, StrayBraceInTemplate) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "Test number:", "Test {number:"),
                  "template.en");
}

TEST_F(BrokenCatalogTest, UnknownKey) {
  expect_rejected(
      load_with("forms/LINK-TEST.toml", "max_length = 32", "max_length = 32\ncolour = 1"),
      "fields[0].colour");
}

TEST_F(BrokenCatalogTest, UnknownFieldType) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "type = \"datetime\"", "type = \"date\""),
                  "fields[1].type");
}

TEST_F(BrokenCatalogTest, IdMustMatchFileName) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "id = \"LINK-TEST\"", "id = \"LINK-CHECK\""),
                  "id");
}

TEST_F(BrokenCatalogTest, NoticeFieldMustBeATime) {
  expect_rejected(load_with("forms/SEA-HAZARD-NOTICE.toml", "notice_field = \"window\"",
                            "notice_field = \"area\""),
                  "notice_field");
}

TEST_F(BrokenCatalogTest, TextNeedsMaxLength) {
  expect_rejected(load_with("forms/LINK-TEST.toml", "max_length = 32\n", ""),
                  "fields[0].max_length");
}

TEST_F(BrokenCatalogTest, SyntaxErrorNamesTheFile) {
  auto loaded = load_with("forms/LINK-TEST.toml", "version = \"1\"", "version = ");
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("forms/LINK-TEST.toml"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("line"), std::string::npos);
}

TEST_F(BrokenCatalogTest, FreeTextFormIsRequired) {
  std::filesystem::remove(dir_.path() / "forms/FREE-TEXT.toml");
  auto loaded = catalog::load(dir_.path());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("FREE-TEXT"), std::string::npos);
}

TEST_F(BrokenCatalogTest, MissingDirectories) {
  std::filesystem::remove_all(dir_.path() / "forms");
  EXPECT_EQ(catalog::load(dir_.path()).error().code, errc::not_found);
  EXPECT_EQ(catalog::load(dir_.path() / "nowhere").error().code, errc::not_found);
}

}  // namespace
}  // namespace hotline::forms
