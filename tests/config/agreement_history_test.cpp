// Agreement history: successor versions that rotate keys, what is in effect and accepted at
// each instant, and the checks that keep a successor from changing more than keys.
#include "config/agreement_history.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/signing.hpp"

namespace hotline::config {
namespace {

const std::string fp_a1 = "sha256:" + std::string(64, 'a');
const std::string fp_a2 = "sha256:" + std::string(64, 'c');
const std::string fp_b = "sha256:" + std::string(64, 'b');
const std::string key_a1 = "ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const std::string key_a2 = "ed25519:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=";
const std::string key_b = "ed25519:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

// 2027-01-15T00:00:00Z
constexpr std::int64_t switch_ms = 1'799'971'200'000;
constexpr std::int64_t minute_ms = 60'000;

std::string text(int version, const std::string& header_extra, const std::string& fp_a,
                 const std::string& key_a, const std::string& channel_title = "Navy") {
  return "[agreement]\nid = \"test-agreement\"\ntitle = \"Test\"\nversion = " +
         std::to_string(version) + "\n" + header_extra +
         "\n[[stations]]\nid = \"alpha\"\nname = \"Alpha\"\nlanguage = \"ko\"\n"
         "timezone = \"Asia/Seoul\"\ntls_fingerprint = \"" + fp_a + "\"\nsigning_key = \"" + key_a +
         "\"\n[stations.addresses]\nprimary = \"127.0.0.1:7401\"\n"
         "\n[[stations]]\nid = \"bravo\"\nname = \"Bravo\"\nlanguage = \"ru\"\n"
         "timezone = \"Asia/Vladivostok\"\ntls_fingerprint = \"" + fp_b + "\"\nsigning_key = \"" +
         key_b + "\"\n[stations.addresses]\nprimary = \"127.0.0.1:7411\"\n"
         "\n[[channels]]\nid = \"navy\"\ntitle = \"" + channel_title +
         "\"\nstations = [\"alpha\", \"bravo\"]\n";
}

agreement first() {
  auto a = parse_agreement(text(1, "", fp_a1, key_a1));
  EXPECT_TRUE(a) << a.error().message;
  return *a;
}

std::string successor_header(const agreement& prev, const std::string& extra = "") {
  return "supersedes = \"" + prev.hash_hex() + "\"\neffective_at = 2027-01-15T09:00:00+09:00\n" +
         extra;
}

agreement second(const agreement& prev, const std::string& extra = "overlap_minutes = 5\n") {
  auto a = parse_agreement(text(2, successor_header(prev, extra), fp_a2, key_a2));
  EXPECT_TRUE(a) << a.error().message;
  return *a;
}

TEST(agreement_history, a_successor_names_its_predecessor_and_an_instant_with_its_offset) {
  const agreement v1 = first();
  EXPECT_FALSE(v1.supersedes);
  const agreement v2 = second(v1);
  ASSERT_TRUE(v2.supersedes);
  EXPECT_EQ(*v2.supersedes, v1.hash);
  EXPECT_EQ(v2.effective_at_ms, switch_ms) << "09:00+09:00 is 00:00 UTC";
  EXPECT_EQ(v2.overlap_minutes, 5);
  auto defaulted = parse_agreement(text(2, successor_header(v1), fp_a2, key_a2));
  ASSERT_TRUE(defaulted) << defaulted.error().message;
  EXPECT_EQ(defaulted->overlap_minutes, 10);
}

TEST(agreement_history, malformed_succession_fields_are_refused_by_name) {
  const agreement v1 = first();
  const std::string hash = v1.hash_hex();
  const struct {
    std::string header;
    int version;
    std::string field;
  } cases[] = {
      {"effective_at = 2027-01-15T00:00:00Z\n", 2, "agreement.supersedes"},
      {"supersedes = \"" + hash + "\"\n", 2, "agreement.effective_at"},
      {"supersedes = \"" + hash + "\"\neffective_at = 2027-01-15T00:00:00Z\n", 1, "agreement.version"},
      {"supersedes = \"sha256:xyz\"\neffective_at = 2027-01-15T00:00:00Z\n", 2, "agreement.supersedes"},
      {"supersedes = \"sha256:" + std::string(64, 'A') + "\"\neffective_at = 2027-01-15T00:00:00Z\n", 2,
       "agreement.supersedes"},
      {"supersedes = \"" + hash + "\"\neffective_at = 2027-01-15T00:00:00\n", 2, "agreement.effective_at"},
      {"supersedes = \"" + hash + "\"\neffective_at = \"2027-01-15T00:00:00Z\"\n", 2, "agreement.effective_at"},
      {"supersedes = \"" + hash + "\"\neffective_at = 2027-01-15T00:00:00Z\noverlap_minutes = 0\n", 2,
       "agreement.overlap_minutes"},
      {"supersedes = \"" + hash + "\"\neffective_at = 2027-01-15T00:00:00Z\noverlap_minutes = 1441\n", 2,
       "agreement.overlap_minutes"},
  };
  for (const auto& c : cases) {
    auto a = parse_agreement(text(c.version, c.header, fp_a2, key_a2));
    ASSERT_FALSE(a) << c.header;
    EXPECT_EQ(a.error().field, c.field) << c.header << a.error().message;
  }
}

TEST(agreement_history, a_successor_may_change_keys_only) {
  const agreement v1 = first();
  EXPECT_TRUE(check_successor(v1, second(v1)));
  auto retitled = parse_agreement(text(2, successor_header(v1), fp_a2, key_a2, "Naval hotline"));
  ASSERT_TRUE(retitled);
  auto r = check_successor(v1, *retitled);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "channels[0]");
  auto wrong_parent = parse_agreement(
      text(2, "supersedes = \"sha256:" + std::string(64, '0') + "\"\neffective_at = 2027-01-15T00:00:00Z\n",
           fp_a2, key_a2));
  ASSERT_TRUE(wrong_parent);
  EXPECT_EQ(check_successor(v1, *wrong_parent).error().field, "agreement.supersedes");
  EXPECT_EQ(check_successor(second(v1), v1).error().field, "agreement.supersedes");
}

TEST(agreement_history, the_version_in_effect_and_those_accepted_follow_the_clock) {
  const agreement v1 = first();
  const agreement v2 = second(v1);
  auto h = agreement_history::build({v2, v1});
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->versions().size(), 2U);
  EXPECT_EQ(h->versions().front().hash, v1.hash) << "ordered by succession";
  const std::int64_t overlap = 5 * minute_ms;

  EXPECT_EQ(h->in_effect_at(switch_ms - 1).hash, v1.hash);
  EXPECT_EQ(h->in_effect_at(switch_ms).hash, v2.hash);

  EXPECT_TRUE(h->also_accepted_at(switch_ms - overlap - 1).empty());
  EXPECT_EQ(h->also_accepted_at(switch_ms - overlap), std::vector<wire::hash256>{v2.hash});
  EXPECT_EQ(h->also_accepted_at(switch_ms + overlap - 1), std::vector<wire::hash256>{v1.hash});
  EXPECT_TRUE(h->also_accepted_at(switch_ms + overlap).empty());

  EXPECT_EQ(h->pins_at(switch_ms - overlap - 1).size(), 2U);
  const auto during = h->pins_at(switch_ms);
  EXPECT_EQ(during.size(), 3U);
  EXPECT_EQ(during.at(fp_a1), "alpha");
  EXPECT_EQ(during.at(fp_a2), "alpha");
  const auto after = h->pins_at(switch_ms + overlap);
  EXPECT_EQ(after.size(), 2U);
  EXPECT_FALSE(after.contains(fp_a1)) << "the retired key opens no link after the overlap";

  const auto keys = h->signing_keys();
  EXPECT_EQ(signing::encode_public_key(*keys.at("alpha", switch_ms - 1)), key_a1);
  EXPECT_EQ(signing::encode_public_key(*keys.at("alpha", switch_ms)), key_a2);
  EXPECT_EQ(signing::encode_public_key(*keys.at("bravo", switch_ms - 1)), key_b);
  EXPECT_EQ(signing::encode_public_key(*keys.at("bravo", switch_ms)), key_b);
}

TEST(agreement_history, a_break_in_the_chain_is_refused) {
  const agreement v1 = first();
  const agreement v2 = second(v1);
  auto other = parse_agreement(text(3, successor_header(v1), fp_a2, key_a2));
  ASSERT_TRUE(other);
  auto h = agreement_history::build({v1, v2, *other});
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().message.find("does not follow version 2"), std::string::npos)
      << h.error().message;
  EXPECT_FALSE(agreement_history::build({}));
}

TEST(agreement_history, ancestors_kept_in_a_store_are_put_back_in_front) {
  const agreement v1 = first();
  const agreement v2 = second(v1);
  const agreement unrelated = *parse_agreement(text(1, "", fp_a2, key_a2, "Other"));
  const auto h = agreement_history(v2).with_ancestors({unrelated.text, "not toml [", v1.text, v2.text});
  ASSERT_EQ(h.versions().size(), 2U);
  EXPECT_EQ(h.versions()[0].hash, v1.hash);
  EXPECT_EQ(h.versions()[1].hash, v2.hash);
  EXPECT_EQ(agreement_history(v1).with_ancestors({v2.text}).versions().size(), 1U)
      << "a descendant is not an ancestor";
}

}  // namespace
}  // namespace hotline::config
