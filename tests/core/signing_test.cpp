// Signing: keys, digests and chains, and the engine sealing what it sends and signing every
// receipt, and refusing any seal or receipt it receives that its peer's pinned key does not
// verify.
#include <gtest/gtest.h>

#include "core/engine_pair.hpp"
#include "core/limits.hpp"
#include "core/signing.hpp"

namespace hotline::test {
namespace {

signing::secret_key key_of(const std::string& station) {
  return signing::secret_key::from_seed(signing::sha256("test-key:" + station));
}

core::engine_config signed_config(const std::string& self, const std::string& peer,
                                  std::uint64_t boot, const std::string& peer_key_from = {}) {
  auto c = pair_config(self, peer, boot);
  c.signing_key = key_of(self);
  c.peer_keys.pin(peer, key_of(peer_key_from.empty() ? peer : peer_key_from).public_half());
  c.wall_ms = [] { return std::int64_t{1'700'000'000'000}; };
  return c;
}

message draft(std::string id) {
  message m;
  m.id = std::move(id);
  m.channel = "navy";
  m.created_at_ms = 1'700'000'000'000;
  m.body = "notification " + m.id;
  return m;
}

template <class T>
std::vector<T> records_of(const side& s) {
  std::vector<T> out;
  for (const auto& r : s.disk) {
    if (const auto* t = std::get_if<T>(&r)) out.push_back(*t);
  }
  return out;
}

TEST(signing, keys_round_trip_and_signatures_fail_on_any_change) {
  const auto k = key_of("rok-fleet");
  auto text = signing::encode_public_key(k.public_half());
  ASSERT_TRUE(text.starts_with("ed25519:"));
  auto parsed = signing::parse_public_key(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, k.public_half());
  EXPECT_FALSE(signing::parse_public_key("ed25519:AAAA").has_value());
  EXPECT_FALSE(signing::parse_public_key("rsa:" + text.substr(8)).has_value());

  message m = draft("m1");
  m.from = "rok-fleet";
  m.seq = 1;
  signing::seal(k, m);
  EXPECT_TRUE(signing::verify_message(k.public_half(), m));
  for (auto change : {+[](message& x) { x.body += "!"; }, +[](message& x) { x.seq = 2; },
                      +[](message& x) { x.created_at_ms++; },
                      +[](message& x) { x.prec = precedence::flash; },
                      +[](message& x) { x.channel = "air"; }}) {
    message bad = m;
    change(bad);
    EXPECT_FALSE(signing::verify_message(k.public_half(), bad));
  }
  EXPECT_FALSE(signing::verify_message(key_of("other").public_half(), m));
}

TEST(signing, chains_commit_to_every_message_and_its_order) {
  const signing::digest d1 = signing::sha256("one"), d2 = signing::sha256("two");
  const signing::digest zero{};
  const auto c12 = signing::chain_next(signing::chain_next(zero, d1), d2);
  const auto c21 = signing::chain_next(signing::chain_next(zero, d2), d1);
  EXPECT_NE(c12, c21);
  EXPECT_EQ(c12, signing::chain_next(signing::chain_next(zero, d1), d2));
}

TEST(signing, messages_and_receipts_are_signed_and_checked_end_to_end) {
  engine_pair p(signed_config(station_a, station_b, 1), signed_config(station_b, station_a, 2));
  p.connect(0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m" + std::to_string(i))));
  p.settle();
  const auto inbox = p.b().inbox();
  ASSERT_EQ(inbox.size(), 3U);
  signing::digest chain{};
  for (const auto& m : inbox) {
    EXPECT_TRUE(m.signature.empty()) << "messages are sealed, not signed one by one";
    chain = signing::chain_next(chain, signing::message_digest(m));
  }
  // One seal, kept by B after the messages it covers, proves all three.
  const auto seals = records_of<records::sealed>(p.b());
  ASSERT_EQ(seals.size(), 1U);
  EXPECT_EQ(seals[0].seal.from, station_a);
  EXPECT_EQ(seals[0].seal.up_to_seq, 3U);
  EXPECT_EQ(seals[0].seal.chain, chain);
  EXPECT_TRUE(signing::verify(key_of(station_a).public_half(),
                              wire::canonical_seal_bytes(seals[0].seal), seals[0].seal.signature));
  // Written after the messages it covers, in the same batch.
  const auto& disk = p.b().disk;
  const auto at = std::find_if(disk.begin(), disk.end(), [](const records::record& r) {
    return std::holds_alternative<records::sealed>(r);
  });
  ASSERT_NE(at, disk.begin());
  const auto* before_seal = std::get_if<records::received>(&*(at - 1));
  ASSERT_NE(before_seal, nullptr);
  EXPECT_EQ(before_seal->msg.seq, 3U);
  const auto kept = records_of<records::attested>(p.a());
  ASSERT_FALSE(kept.empty());
  const wire::receipt& last = kept.back().receipt;
  EXPECT_EQ(last.up_to_seq, 3U);
  EXPECT_EQ(last.by, station_b);
  EXPECT_EQ(last.chain, chain);
  EXPECT_TRUE(kept.back().mismatch.empty());
  EXPECT_TRUE(signing::verify(key_of(station_b).public_half(), wire::canonical_receipt_bytes(last),
                              last.signature));
  EXPECT_EQ(p.a().count_events(core::event_kind::attestation_mismatch), 0U);
}

// A backlog put on the wire in one step is sealed every seal_interval_messages_max messages, not
// only at the end of the step: the receiver holds at most that many unproven messages, and
// refuses a peer that sends more without a seal.
TEST(signing, a_backlog_sent_in_one_step_is_sealed_every_interval) {
  engine_pair p(signed_config(station_a, station_b, 1), signed_config(station_b, station_a, 2));
  const std::size_t interval = limits::seal_interval_messages_max;
  const std::size_t backlog = 2 * interval + 88;
  for (std::size_t i = 0; i < backlog; ++i) {
    ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m" + std::to_string(i))));
  }
  p.settle();  // no link yet: all of it waits in A's queue
  p.connect(0);
  p.settle();
  ASSERT_EQ(p.b().inbox().size(), backlog);
  std::vector<std::uint64_t> ups;
  for (const auto& s : records_of<records::sealed>(p.b())) ups.push_back(s.seal.up_to_seq);
  const std::vector<std::uint64_t> expected{interval, 2 * interval, backlog};
  EXPECT_EQ(ups, expected);
  EXPECT_EQ(p.b().count_events(core::event_kind::refused), 0U);
  EXPECT_TRUE(p.b().closes.empty());
}

TEST(signing, a_seal_the_pinned_key_does_not_verify_is_refused_and_journaled) {
  // B pins the wrong key for A: to B, A's messages are forgeries.
  engine_pair p(signed_config(station_a, station_b, 1),
                signed_config(station_b, station_a, 2, "impostor"));
  p.connect(0);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("forged")));
  p.settle();
  EXPECT_TRUE(p.b().inbox().empty());
  EXPECT_EQ(p.open_wires(), 0U);
  bool refused = false;
  for (const auto& e : p.b().events) {
    refused = refused || (e.kind == core::event_kind::refused &&
                          e.detail.find("bad seal on navy up to seq 1") != std::string::npos);
  }
  EXPECT_TRUE(refused);
  const auto notes = records_of<records::noted>(p.b());
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const auto& n) {
    return n.kind == "refused" && n.detail.find("bad seal") != std::string::npos;
  }));
}

TEST(signing, a_receipt_the_pinned_key_does_not_verify_is_refused) {
  engine_pair p(signed_config(station_a, station_b, 1, "impostor"),
                signed_config(station_b, station_a, 2));
  p.connect(0);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m1")));
  p.settle();
  EXPECT_TRUE(records_of<records::attested>(p.a()).empty());
  EXPECT_TRUE(records_of<records::delivered>(p.a()).empty());
  EXPECT_EQ(p.open_wires(), 0U);
}

TEST(signing, a_checkpoint_that_contradicts_our_history_raises_the_alarm_once) {
  // A's history as B holds it, and A restarted from a store whose history was rewritten: the
  // chain A resumes from differs from the one B signs.
  engine_pair p(signed_config(station_a, station_b, 1), signed_config(station_b, station_a, 2));
  p.connect(0);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m1")));
  p.settle();
  ASSERT_EQ(p.b().inbox().size(), 1U);
  p.cut();
  auto rewritten = signed_config(station_a, station_b, 3);
  engine_pair q(std::move(rewritten), signed_config(station_b, station_a, 4));
  records::channel_recovery ra;
  ra.channel = "navy";
  ra.next_out_seq = 2;
  ra.out_delivered = 1;
  ra.out_chain_base = signing::sha256("a different history");
  records::channel_recovery rb;
  rb.channel = "navy";
  rb.in_next_expected = 2;
  rb.in_chain = signing::chain_next({}, signing::message_digest(p.b().inbox().front()));
  q.a().eng->restore({ra});
  q.b().eng->restore({rb});
  q.connect(0);
  ASSERT_TRUE(q.a().eng->post(q.now_us(), draft("m2")));
  q.settle();
  EXPECT_EQ(q.a().count_events(core::event_kind::attestation_mismatch), 1U);
  const auto kept = records_of<records::attested>(q.a());
  ASSERT_FALSE(kept.empty());
  EXPECT_NE(kept.front().mismatch.find("holds a different history of navy"), std::string::npos)
      << kept.front().mismatch;
}

// Key rotation: A's signing key changes at `switch_ms`, by the agreement both sides follow.
constexpr std::int64_t switch_ms = 1'700'000'100'000;

core::engine_config rotating_config(const std::string& self, const std::string& peer,
                                    std::uint64_t boot, std::int64_t* wall) {
  auto c = pair_config(self, peer, boot);
  c.signing_key = key_of(self);
  if (self == station_a) c.signing_key.add(switch_ms, key_of(self + "-2027"));
  c.peer_keys.pin(peer, key_of(peer).public_half());
  if (peer == station_a) c.peer_keys.add(peer, switch_ms, key_of(peer + "-2027").public_half());
  c.wall_ms = [wall] { return *wall; };
  return c;
}

TEST(signing, a_rotated_key_seals_from_its_instant_and_seals_from_before_still_verify) {
  std::int64_t wall = switch_ms - 1'000;
  engine_pair p(rotating_config(station_a, station_b, 1, &wall),
                rotating_config(station_b, station_a, 2, &wall));
  p.connect(0);
  // Sealed before the switch with the old key, after it with the new one: the key follows the
  // seal's own time.
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("before")));
  p.settle();
  wall = switch_ms + 1'000;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("after")));
  p.settle();
  ASSERT_EQ(p.b().inbox().size(), 2U) << "neither message may be refused across the switch";
  const auto seals = records_of<records::sealed>(p.b());
  ASSERT_EQ(seals.size(), 2U);
  const auto old_key = key_of(station_a).public_half();
  const auto new_key = key_of(std::string(station_a) + "-2027").public_half();
  auto sealed_by = [](const signing::public_key& k, const wire::seal_statement& st) {
    return signing::verify(k, wire::canonical_seal_bytes(st), st.signature);
  };
  EXPECT_TRUE(sealed_by(old_key, seals[0].seal));
  EXPECT_FALSE(sealed_by(new_key, seals[0].seal));
  EXPECT_TRUE(sealed_by(new_key, seals[1].seal));
  EXPECT_FALSE(sealed_by(old_key, seals[1].seal));
  EXPECT_EQ(p.b().count_events(core::event_kind::refused), 0U);
}

TEST(signing, a_seal_made_with_the_new_key_before_the_switch_is_refused) {
  // A seals with its new key everywhere (its old key is not in its schedule), B checks by date.
  std::int64_t wall = switch_ms - 1'000;
  auto a = rotating_config(station_a, station_b, 1, &wall);
  a.signing_key = key_of(std::string(station_a) + "-2027");
  engine_pair p(std::move(a), rotating_config(station_b, station_a, 2, &wall));
  p.connect(0);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("early")));
  p.settle();
  EXPECT_TRUE(p.b().inbox().empty());
  EXPECT_GE(p.b().count_events(core::event_kind::refused), 1U);
}

TEST(signing, a_hello_may_name_another_agreement_version_only_while_it_is_accepted) {
  std::int64_t wall = switch_ms;
  auto a = rotating_config(station_a, station_b, 1, &wall);
  auto b = rotating_config(station_b, station_a, 2, &wall);
  wire::hash256 next{};
  next.fill(0x43);
  a.agreements_also_accepted = {a.agreement_hash};  // A has switched; B has not yet
  a.agreement_hash = next;
  b.agreements_also_accepted = {next};
  {
    engine_pair p(a, b);
    p.connect(0);
    ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m1")));
    p.settle();
    EXPECT_EQ(p.b().inbox().size(), 1U) << "the next version is accepted during the overlap";
    p.b().eng->follow_agreement(next, {});
    ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m2")));
    p.settle();
    EXPECT_EQ(p.b().inbox().size(), 2U) << "a link already up survives the switch";
  }
  b.agreements_also_accepted.clear();
  engine_pair q(a, b);
  q.connect(0);
  q.settle();
  EXPECT_EQ(q.open_wires(), 0U) << "once the overlap is over, the other version is refused";
}

}  // namespace
}  // namespace hotline::test

namespace hotline::test {
namespace {

// Two sides' markings, paired; enough for the engine's check of a label.
labels::policy two_schemes() {
  labels::policy p;
  p.schemes = {{"rok", "ko", {station_a}, {"rok-unclassified", "rok-restricted", "rok-secret"},
                "rok-restricted", "rok-unclassified", {}},
               {"ru", "ru", {station_b}, {"ru-unclassified", "ru-dsp"}, "ru-dsp",
                "ru-unclassified", {}}};
  p.markings = {{"rok-unclassified", "rok", 0, {{"ko", "일반"}}},
                {"rok-restricted", "rok", 1, {{"ko", "대외비"}}},
                {"rok-secret", "rok", 2, {{"ko", "비밀"}}},
                {"ru-unclassified", "ru", 0, {{"ru", "несекретно"}}},
                {"ru-dsp", "ru", 1, {{"ru", "для служебного пользования"}}}};
  p.equivalences = {{"rok-unclassified", "ru-unclassified"}, {"rok-restricted", "ru-dsp"}};
  p.caveats = {{"no-forward", labels::caveat_kind::no_forward, {{"en", "No forwarding"}}}};
  return p;
}

TEST(signing, a_label_travels_signed_and_changing_it_breaks_the_signature) {
  const auto key = key_of(station_a);
  message m = draft("labelled");
  m.from = station_a;
  m.seq = 1;
  const wire::bytes unlabelled = wire::canonical_message_bytes(m);
  m.label = {"rok-restricted", {{"no-forward", ""}}};
  const wire::bytes labelled = wire::canonical_message_bytes(m);
  // Without a label the bytes are protocol 3's, so signatures made before labels still verify.
  const std::string v1 = "hotline-message-v1";
  const std::string v2 = "hotline-message-v2";
  EXPECT_TRUE(std::equal(v1.begin(), v1.end(), unlabelled.begin() + 2));
  EXPECT_TRUE(std::equal(v2.begin(), v2.end(), labelled.begin() + 2));
  signing::seal(key, m);
  ASSERT_TRUE(signing::verify_message(key.public_half(), m));

  const wire::bytes frame = wire::encode(wire::data{m});
  auto decoded = wire::decode_body(std::span(frame).subspan(4));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(std::get<wire::data>(*decoded).msg, m);

  for (auto change : std::initializer_list<void (*)(message&)>{
           [](message& x) { x.label.marking = "rok-unclassified"; },
           [](message& x) { x.label.caveats.clear(); },
           [](message& x) { x.label = {}; }}) {
    message tampered = m;
    change(tampered);
    EXPECT_FALSE(signing::verify_message(key.public_half(), tampered)) << labels::to_text(tampered.label);
  }
}

TEST(signing, a_signed_message_with_a_label_the_agreement_does_not_allow_is_refused_and_journaled) {
  auto ca = signed_config(station_a, station_b, 1);
  auto cb = signed_config(station_b, station_a, 2);
  ca.labels = cb.labels = two_schemes();
  engine_pair p(std::move(ca), std::move(cb));
  p.connect(0);
  message above = draft("above-ceiling");
  above.label = {"rok-secret", {}};  // A's engine signs what it is given; B checks it
  ASSERT_TRUE(p.a().eng->post(p.now_us(), std::move(above)));
  p.settle();
  EXPECT_TRUE(p.b().inbox().empty());
  const auto notes = records_of<records::noted>(p.b());
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const auto& n) {
    return n.kind == "refused" && n.detail.find("label 'rok-secret'") != std::string::npos &&
           n.detail.find("ceiling") != std::string::npos;
  }));
}

TEST(signing, a_message_with_its_senders_marking_is_accepted_and_unlabelled_ones_are_not) {
  auto ca = signed_config(station_a, station_b, 1);
  auto cb = signed_config(station_b, station_a, 2);
  ca.labels = cb.labels = two_schemes();
  engine_pair p(std::move(ca), std::move(cb));
  p.connect(0);
  message ok = draft("restricted");
  ok.label = {"rok-restricted", {{"no-forward", ""}}};
  ASSERT_TRUE(p.a().eng->post(p.now_us(), std::move(ok)));
  p.settle();
  ASSERT_EQ(p.b().inbox().size(), 1U);
  EXPECT_EQ(p.b().inbox()[0].label.marking, "rok-restricted");

  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("unlabelled")));
  p.settle();
  EXPECT_EQ(p.b().inbox().size(), 1U);
  const auto notes = records_of<records::noted>(p.b());
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const auto& n) {
    return n.kind == "refused" && n.detail.find("must carry a marking") != std::string::npos;
  }));
}

}  // namespace
}  // namespace hotline::test
