// The agreement's [labels] table: two sides' markings, their equivalences, the caveats and the
// organisations; and the checks a label passes (core/label.hpp) under the parsed policy.
#include <gtest/gtest.h>

#include <string>

#include "config/agreement.hpp"
#include "config/agreement_history.hpp"
#include "core/signing.hpp"

namespace hotline::config {
namespace {

const std::string stations_text = R"([agreement]
id = "test-agreement"
title = "Test"
version = 1

[[stations]]
id = "alpha"
name = "Alpha"
language = "ko"
timezone = "Asia/Seoul"
tls_fingerprint = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
signing_key = "ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
[stations.addresses]
primary = "127.0.0.1:7401"

[[stations]]
id = "bravo"
name = "Bravo"
language = "ru"
timezone = "Asia/Vladivostok"
tls_fingerprint = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
signing_key = "ed25519:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
[stations.addresses]
primary = "127.0.0.1:7411"

[[channels]]
id = "navy"
title = "Navy"
stations = ["alpha", "bravo"]
)";

const std::string labels_text = R"(
[[labels.schemes]]
id = "rok"
stations = ["alpha"]
ceiling = "rok-restricted"
default = "rok-unclassified"
markings = [
  { id = "rok-unclassified", names = { ko = "일반", en = "Unclassified" } },
  { id = "rok-restricted", names = { ko = "대외비", en = "Restricted" } },
  { id = "rok-secret", names = { ko = "비밀", en = "Secret" } },
]
[labels.schemes.form_defaults]
MISSILE-LAUNCH = "rok-restricted"

[[labels.schemes]]
id = "ru"
stations = ["bravo"]
ceiling = "ru-dsp"
default = "ru-unclassified"
markings = [
  { id = "ru-unclassified", names = { ru = "несекретно", en = "Unclassified" } },
  { id = "ru-dsp", names = { ru = "для служебного пользования", en = "For official use" } },
  { id = "ru-secret", names = { ru = "секретно", en = "Secret" } },
]

[[labels.equivalences]]
markings = ["rok-unclassified", "ru-unclassified"]

[[labels.equivalences]]
markings = ["rok-restricted", "ru-dsp"]

[[labels.caveats]]
id = "embargo"
kind = "embargo"
names = { ko = "공개 금지 시한", ru = "не для публикации до", en = "Not for release before" }

[[labels.caveats]]
id = "releasable-to"
kind = "releasable-to"
names = { ko = "공개 허용 기관", ru = "разрешено передать", en = "Releasable to" }

[[labels.caveats]]
id = "no-forward"
kind = "no-forward"
names = { ko = "제3자 전달 금지", ru = "третьим сторонам не передавать", en = "No forwarding" }

[[labels.organisations]]
id = "rok-mnd"
names = { ko = "국방부", ru = "Министерство национальной обороны РК", en = "ROK MND" }

[[labels.organisations]]
id = "ru-mfa"
names = { ko = "러시아 외무부", ru = "МИД России", en = "Russian MFA" }
)";

std::string with_labels(const std::string& from = {}, const std::string& to = {}) {
  std::string text = labels_text;
  if (!from.empty()) {
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "labels text lacks: " << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
  }
  return stations_text + text;
}

labels::policy parsed_policy() {
  auto a = parse_agreement(with_labels());
  EXPECT_TRUE(a) << a.error().message << " [" << a.error().field << "]";
  return a ? a->labels : labels::policy{};
}

// Parsing fails, on `field`.
void expect_refused(const std::string& text, const std::string& field) {
  auto a = parse_agreement(text);
  ASSERT_FALSE(a) << "parsed, but should fail on " << field;
  EXPECT_EQ(a.error().field, field) << a.error().message;
  // The message names the key too, for whoever reads it without the field.
  EXPECT_NE(a.error().message.find(field), std::string::npos) << a.error().message;
}

TEST(agreement_labels, an_agreement_without_labels_has_an_empty_policy) {
  auto a = parse_agreement(stations_text);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->labels.defined());
  EXPECT_TRUE(labels::check(a->labels, "alpha", {}));
  EXPECT_FALSE(labels::check(a->labels, "alpha", {"rok-restricted", {}}));
}

TEST(agreement_labels, both_schemes_parse_with_ranks_ceilings_and_defaults) {
  const labels::policy p = parsed_policy();
  ASSERT_EQ(p.schemes.size(), 2u);
  EXPECT_EQ(p.scheme_of("alpha")->id, "rok");
  EXPECT_EQ(p.scheme_of("bravo")->language, "ru");
  EXPECT_EQ(p.find_marking("rok-secret")->rank, 2);
  EXPECT_EQ(p.find_marking("ru-dsp")->name.at("ru"), "для служебного пользования");
  EXPECT_TRUE(p.within_ceiling("rok-restricted"));
  EXPECT_FALSE(p.within_ceiling("rok-secret"));
  EXPECT_EQ(p.default_for("alpha", "FREE-TEXT").marking, "rok-unclassified");
  EXPECT_EQ(p.default_for("alpha", "MISSILE-LAUNCH").marking, "rok-restricted");
  EXPECT_EQ(p.default_for("bravo", "MISSILE-LAUNCH").marking, "ru-unclassified");
}

TEST(agreement_labels, each_side_reads_the_other_sides_marking_as_its_own_equivalent) {
  const labels::policy p = parsed_policy();
  EXPECT_EQ(p.local_marking("bravo", "rok-restricted"), "ru-dsp");
  EXPECT_EQ(p.local_marking("alpha", "ru-dsp"), "rok-restricted");
  EXPECT_EQ(p.local_marking("alpha", "rok-restricted"), "rok-restricted");
  EXPECT_EQ(p.local_marking("alpha", "ru-unclassified"), "rok-unclassified");
  EXPECT_EQ(p.local_marking("alpha", "ru-secret"), "");  // never sendable, never paired
  EXPECT_EQ(p.local_marking("alpha", "no-such"), "");
}

TEST(agreement_labels, a_clearance_is_a_marking_of_the_readers_own_scheme) {
  const labels::policy p = parsed_policy();
  EXPECT_TRUE(p.valid_clearance("alpha", ""));
  EXPECT_TRUE(p.valid_clearance("alpha", "rok-restricted"));
  // A marking above the ceiling clears for all a hotline carries, and is allowed.
  EXPECT_TRUE(p.valid_clearance("alpha", "rok-secret"));
  EXPECT_FALSE(p.valid_clearance("alpha", "ru-dsp"));  // the other side's
  EXPECT_FALSE(p.valid_clearance("alpha", "made-up"));
  EXPECT_EQ(p.lowest_marking("alpha"), "rok-unclassified");
  EXPECT_EQ(p.lowest_marking("bravo"), "ru-unclassified");
  EXPECT_EQ(p.effective_clearance("alpha", ""), "rok-unclassified");
  EXPECT_EQ(p.effective_clearance("alpha", "ru-dsp"), "rok-unclassified");
  EXPECT_EQ(p.effective_clearance("alpha", "rok-restricted"), "rok-restricted");
  const labels::policy none;
  EXPECT_TRUE(none.valid_clearance("alpha", ""));
  EXPECT_FALSE(none.valid_clearance("alpha", "rok-restricted"));
}

TEST(agreement_labels, a_reader_is_cleared_for_markings_at_or_below_its_clearance_in_its_terms) {
  const labels::policy p = parsed_policy();
  const labels::label restricted_ru{"ru-dsp", {}};
  const labels::label open_ru{"ru-unclassified", {}};
  const labels::label restricted_rok{"rok-restricted", {}};
  // The lowest (unset) clearance reads the lowest marking only, whichever side marked it.
  EXPECT_TRUE(p.cleared_for("alpha", "", open_ru));
  EXPECT_FALSE(p.cleared_for("alpha", "", restricted_ru));
  EXPECT_FALSE(p.cleared_for("alpha", "", restricted_rok));
  EXPECT_FALSE(p.cleared_for("alpha", "rok-unclassified", restricted_ru));
  EXPECT_TRUE(p.cleared_for("alpha", "rok-restricted", restricted_ru));
  EXPECT_TRUE(p.cleared_for("alpha", "rok-restricted", restricted_rok));
  EXPECT_TRUE(p.cleared_for("bravo", "ru-dsp", restricted_rok));
  EXPECT_FALSE(p.cleared_for("bravo", "ru-unclassified", restricted_rok));
  // A clearance of the other side's scheme counts as none.
  EXPECT_FALSE(p.cleared_for("alpha", "ru-dsp", restricted_ru));
  // A marking with no equivalent in the reader's scheme is refused even at the top.
  EXPECT_FALSE(p.cleared_for("alpha", "rok-secret", labels::label{"ru-secret", {}}));
  // Unlabelled messages (from before labels) and stations without labels read as before.
  EXPECT_TRUE(p.cleared_for("alpha", "", labels::label{}));
  EXPECT_TRUE(labels::policy{}.cleared_for("alpha", "", restricted_ru));
}

TEST(agreement_labels, a_sender_may_use_only_its_own_markings_at_or_below_the_ceiling) {
  const labels::policy p = parsed_policy();
  EXPECT_TRUE(labels::check(p, "alpha", {"rok-restricted", {}}));
  auto above = labels::check(p, "alpha", {"rok-secret", {}});
  ASSERT_FALSE(above);
  EXPECT_EQ(above.error().field, "label.marking");
  EXPECT_NE(above.error().message.find("ceiling"), std::string::npos) << above.error().message;
  auto foreign = labels::check(p, "alpha", {"ru-dsp", {}});
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("not one of rok's markings"), std::string::npos);
  EXPECT_FALSE(labels::check(p, "alpha", {"made-up", {}}));
  auto none = labels::check(p, "alpha", {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "a message must carry a marking");
}

TEST(agreement_labels, caveats_must_be_defined_once_each_with_a_well_formed_value) {
  const labels::policy p = parsed_policy();
  auto ok = labels::check(p, "alpha",
                          {"rok-restricted",
                           {{"embargo", "1765324800000"}, {"releasable-to", "rok-mnd,ru-mfa"},
                            {"no-forward", ""}}});
  EXPECT_TRUE(ok) << ok.error().message;
  struct bad_case {
    labels::caveat c;
    const char* why;
  };
  for (const auto& [c, why] : std::initializer_list<bad_case>{
           {{"embargo", ""}, "needs the instant"},
           {{"embargo", "0123"}, "needs the instant"},
           {{"embargo", "12a"}, "needs the instant"},
           {{"releasable-to", ""}, "at least one organisation"},
           {{"releasable-to", "ru-mfa,rok-mnd"}, "once, in order"},
           {{"releasable-to", "rok-mnd,rok-mnd"}, "once, in order"},
           {{"releasable-to", "nato"}, "does not define"},
           {{"no-forward", "x"}, "takes no value"},
           {{"sneaky", ""}, "not one the agreement defines"}}) {
    auto r = labels::check(p, "alpha", {"rok-restricted", {c}});
    ASSERT_FALSE(r) << c.id << "=" << c.value;
    EXPECT_EQ(r.error().field, "label.caveats[0]");
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  }
  auto twice = labels::check(p, "alpha", {"rok-restricted", {{"no-forward", ""}, {"no-forward", ""}}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().field, "label.caveats[1]");
  EXPECT_EQ(labels::embargo_until_ms(p, {"rok-restricted", {{"embargo", "1765324800000"}}}),
            1765324800000);
}

TEST(agreement_labels, the_text_form_round_trips_and_refuses_malformed_text) {
  const labels::label l{"rok-restricted", {{"embargo", "1765324800000"}, {"no-forward", ""}}};
  EXPECT_EQ(labels::to_text(l), "rok-restricted/embargo=1765324800000/no-forward");
  EXPECT_EQ(labels::parse_text(labels::to_text(l)), l);
  EXPECT_EQ(labels::parse_text(""), labels::label{});
  for (const char* bad : {"Rok", "rok/", "rok/Embargo", "rok/embargo=1;2", "/embargo"}) {
    EXPECT_FALSE(labels::parse_text(bad)) << bad;
  }
}

TEST(agreement_labels, every_rule_of_the_table_names_its_field) {
  expect_refused(with_labels("stations = [\"bravo\"]", "stations = [\"alpha\"]"),
                 "labels.schemes[1].stations");
  expect_refused(with_labels("stations = [\"bravo\"]", "stations = [\"charlie\"]"),
                 "labels.schemes[1].stations");
  expect_refused(with_labels("ceiling = \"ru-dsp\"", "ceiling = \"rok-restricted\""),
                 "labels.schemes[1].ceiling");
  expect_refused(with_labels("default = \"ru-unclassified\"", "default = \"ru-secret\""),
                 "labels.schemes[1].default");
  expect_refused(with_labels("MISSILE-LAUNCH = \"rok-restricted\"", "MISSILE-LAUNCH = \"rok-secret\""),
                 "labels.schemes[0].form_defaults.MISSILE-LAUNCH");
  expect_refused(with_labels("{ ru = \"несекретно\", en = \"Unclassified\" }", "{ en = \"Unclassified\" }"),
                 "labels.schemes[1].markings[0].names");
  expect_refused(with_labels("id = \"ru-dsp\"", "id = \"rok-restricted\""),
                 "labels.schemes[1].markings[1].id");
  expect_refused(with_labels("markings = [\"rok-restricted\", \"ru-dsp\"]",
                             "markings = [\"rok-restricted\", \"rok-unclassified\"]"),
                 "labels.equivalences[1].markings");
  expect_refused(with_labels("markings = [\"rok-restricted\", \"ru-dsp\"]",
                             "markings = [\"rok-restricted\", \"ru-unclassified\"]"),
                 "labels.equivalences[1].markings");
  expect_refused(with_labels("markings = [\"rok-restricted\", \"ru-dsp\"]",
                             "markings = [\"rok-secret\", \"ru-secret\"]"),
                 "labels.equivalences[1].markings");
  // Without the second pair, ROK's restricted marking has nothing the Russian side can show.
  expect_refused(with_labels("[[labels.equivalences]]\nmarkings = [\"rok-restricted\", \"ru-dsp\"]", ""),
                 "labels.equivalences");
  expect_refused(with_labels("kind = \"no-forward\"", "kind = \"burn-after-reading\""),
                 "labels.caveats[2].kind");
  expect_refused(with_labels("names = { ko = \"제3자 전달 금지\", ru = \"третьим сторонам не передавать\", en = \"No forwarding\" }",
                             "names = { en = \"No forwarding\" }"),
                 "labels.caveats[2].names");
  expect_refused(with_labels("id = \"ru-mfa\"", "id = \"rok-mnd\""), "labels.organisations[1].id");
  expect_refused(with_labels("[[labels.schemes]]\nid = \"ru\"", "[[labels.schemes]]\nid = \"ru\"\nsurprise = 1"),
                 "labels.schemes[1].surprise");
}

TEST(agreement_labels, a_station_without_a_scheme_is_refused) {
  expect_refused(with_labels("stations = [\"bravo\"]\nceiling = \"ru-dsp\"",
                             "stations = []\nceiling = \"ru-dsp\""),
                 "labels.schemes[1].stations");
}

TEST(agreement_labels, a_later_version_may_not_change_the_labels) {
  auto first = parse_agreement(with_labels());
  ASSERT_TRUE(first);
  const std::string succession =
      "supersedes = \"sha256:" + signing::to_hex(first->hash) +
      "\"\neffective_at = 2027-01-15T00:00:00Z\n";
  auto next_text = [&](const std::string& labels) {
    std::string t = stations_text + labels;
    t.replace(t.find("version = 1\n"), 12, "version = 2\n" + succession);
    return t;
  };
  auto same = parse_agreement(next_text(labels_text));
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_TRUE(check_successor(*first, *same));
  std::string changed = labels_text;
  changed.replace(changed.find("\"대외비\""), std::string("\"대외비\"").size(), "\"기밀\"");
  auto other = parse_agreement(next_text(changed));
  ASSERT_TRUE(other) << other.error().message;
  auto r = check_successor(*first, *other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "labels");
}

}  // namespace
}  // namespace hotline::config
