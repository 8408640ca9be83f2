// Evidence bundles: made from a station's real journal, checked with only the agreement's keys,
// and refused, with the reason, when any part of them was changed.
#include <gtest/gtest.h>

#include "evidence/bundle.hpp"
#include "sim/journal_world.hpp"
#include "storage/evidence_source.hpp"

namespace hotline::test {
namespace {

config::agreement agreement_of(journal_world& w) {
  config::agreement a;
  a.id = "sim-agreement";
  a.hash.fill(0x5a);
  const char* names[2] = {"ROK Fleet", "Russian Pacific Fleet"};
  for (int i = 0; i < 2; ++i) {
    config::station_entry s;
    s.id = w.sim().at(i).id();
    s.name = names[i];
    s.signing_key = signing::encode_public_key(w.sim().at(i).setup().key.public_half());
    a.stations.push_back(s);
  }
  return a;
}

nlohmann::json bundle_from(journal_world& w, int side, const std::string& id,
                           const config::agreement& a) {
  auto m = storage::gather_evidence(w.store(side), id);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
  // The simulator loads no agreement file; a station names both in its journal.
  m->station = w.sim().at(side).id();
  m->agreement_hash = a.hash_hex();
  return evidence::make_bundle(*m, 1'800'000'000'000);
}

bool says(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines) {
    if (l.find(text) != std::string::npos) return true;
  }
  return false;
}

struct tamper_case {
  const char* name;
  void (*change)(nlohmann::json&);
  const char* reason;
};

// Each change made to `good` makes it fail, for the reason given.
template <std::size_t n>
void expect_each_fails(const nlohmann::json& good, const tamper_case (&cases)[n],
                       const config::agreement& a) {
  for (const auto& c : cases) {
    auto bad = good;
    c.change(bad);
    const auto v = evidence::verify_bundle(bad, a);
    EXPECT_FALSE(v.ok) << c.name;
    EXPECT_NE(v.failure.find(c.reason), std::string::npos) << c.name << ": " << v.failure;
  }
}

TEST(evidence_bundle, senders_bundle_proves_sending_and_the_receivers_disk) {
  journal_world w;
  const auto a = agreement_of(w);
  const auto b = bundle_from(w, 0, w.sent_by_a.at(1), a);
  ASSERT_FALSE(b["receipt"].is_null());
  const auto v = evidence::verify_bundle(b, a);
  ASSERT_TRUE(v.ok) << v.failure;
  EXPECT_TRUE(says(v.proven, "rok-fleet (ROK Fleet) sent message " + w.sent_by_a.at(1)));
  EXPECT_TRUE(says(v.proven, "reached ru-pacific (Russian Pacific Fleet)'s disk by"));
  EXPECT_TRUE(says(v.proven, "journal in the bundle are intact"));
  EXPECT_TRUE(says(v.not_shown, "No acknowledgement"));
}

TEST(evidence_bundle, receivers_bundle_proves_arrival_from_its_own_signed_journal) {
  journal_world w;
  const auto a = agreement_of(w);
  const auto b = bundle_from(w, 1, w.sent_by_a.at(0), a);
  const auto v = evidence::verify_bundle(b, a);
  ASSERT_TRUE(v.ok) << v.failure;
  EXPECT_TRUE(says(v.proven, "reached ru-pacific (Russian Pacific Fleet)'s disk at"));
  // The sender's seal, kept by the receiver, proves who sent it.
  ASSERT_FALSE(b["seal"].is_null());
  EXPECT_EQ(b["seal"]["from"], "rok-fleet");
  EXPECT_TRUE(says(v.proven, "rok-fleet sealed its messages on navy up to seq"));
}

// The receiver holds no signature of the sender on each message, only its seals: a bundle
// without the seal, or with any part of it changed, proves nothing.
TEST(evidence_bundle, a_receivers_bundle_fails_without_the_senders_seal_intact) {
  journal_world w;
  const auto a = agreement_of(w);
  const auto good = bundle_from(w, 1, w.sent_by_a.at(0), a);
  const tamper_case cases[] = {
      {"no seal", [](nlohmann::json& b) { b["seal"] = nullptr; },
       "nothing in the bundle proves that rok-fleet sent message"},
      {"message body", [](nlohmann::json& b) { b["message"]["body"] = "nothing happened"; },
       "seal's hash chain does not include message"},
      {"seal time", [](nlohmann::json& b) { b["seal"]["at_ms"] = 1; },
       "is not valid for rok-fleet's key"},
      {"seal of another sender", [](nlohmann::json& b) { b["seal"]["from"] = "ru-pacific"; },
       "is not rok-fleet's over navy"},
      {"seal chain link", [](nlohmann::json& b) { b["seal"]["chain_links"].push_back(std::string(64, '0')); },
       "to its seal is incomplete"},
  };
  expect_each_fails(good, cases, a);
}

TEST(evidence_bundle, any_change_makes_it_fail_and_says_why) {
  journal_world w;
  const auto a = agreement_of(w);
  const auto good = bundle_from(w, 0, w.sent_by_a.at(1), a);
  const tamper_case cases[] = {
      {"message body", [](nlohmann::json& b) { b["message"]["body"] = "nothing happened"; },
       "does not include this message"},
      {"message time", [](nlohmann::json& b) { b["message"]["created_at_ms"] = 1; },
       "does not include this message"},
      {"receipt time", [](nlohmann::json& b) { b["receipt"]["at_ms"] = 1; },
       "receipt's signature is not valid"},
      {"chain before", [](nlohmann::json& b) { b["chain_before"] = std::string(64, '0'); },
       "does not include this message"},
      {"extra chain link", [](nlohmann::json& b) { b["chain_links"].push_back(std::string(64, '0')); },
       "incomplete"},
      {"journal entry", [](nlohmann::json& b) { b["journal"][0]["at_ms"] = 1; },
       "does not match its hash"},
      {"journal signature", [](nlohmann::json& b) { b["journal"].back()["signature"] = b["receipt"]["signature"]; },
       "signature is not rok-fleet's"},
      {"agreement", [](nlohmann::json& b) { b["agreement_hash"] = "sha256:" + std::string(64, 'f'); },
       "made under agreement"},
      {"format", [](nlohmann::json& b) { b["format"] = "something-else"; }, "not a Hotline evidence bundle"},
      {"missing field", [](nlohmann::json& b) { b.erase("receipt"); }, "missing field 'receipt'"},
  };
  expect_each_fails(good, cases, a);
}

TEST(evidence_bundle, another_agreements_keys_prove_nothing) {
  journal_world w;
  auto a = agreement_of(w);
  const auto b = bundle_from(w, 0, w.sent_by_a.at(0), a);
  a.stations[0].signing_key = signing::encode_public_key(signing::secret_key::generate().public_half());
  const auto v = evidence::verify_bundle(b, a);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.failure.find("signature is not rok-fleet's"), std::string::npos) << v.failure;
}

// A sender's bundle proves its own message by its signed journal, which names the message's
// digest: a message whose entry is gone, or names other bytes, is not proven.
TEST(evidence_bundle, a_senders_bundle_needs_its_journal_entry_for_the_message) {
  journal_world w;
  const auto a = agreement_of(w);
  auto b = bundle_from(w, 0, w.sent_by_a.at(1), a);
  b["journal"] = nlohmann::json::array();
  const auto v = evidence::verify_bundle(b, a);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.failure.find("nothing in the bundle proves that rok-fleet sent message"), std::string::npos)
      << v.failure;
}

}  // namespace
}  // namespace hotline::test
