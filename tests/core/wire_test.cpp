// Wire codec: round trips, chunking, and every malformed input the decoder must refuse.
#include "core/wire.hpp"

#include <gtest/gtest.h>

#include "core/limits.hpp"
#include "core/sample_frames.hpp"

namespace hotline::wire {
namespace {

// Builds frame bodies by hand, so tests can write what `encode` never would.
struct body_builder {
  bytes b;
  body_builder& u8(std::uint8_t v) {
    b.push_back(v);
    return *this;
  }
  body_builder& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  body_builder& str(std::string_view s) {
    be(s.size(), 2);
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  body_builder& blob(std::string_view s) {
    be(s.size(), 4);
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  // A data frame body whose message fields can be chosen one by one.
  body_builder& message(std::uint64_t seq, std::uint8_t prec, std::string_view id = "m-1") {
    u8(static_cast<std::uint8_t>(frame_type::data));
    str(id).str("navy").str("rok-fleet").be(seq, 8).u8(prec).be(1000, 8);
    return str("FREE-TEXT").blob("hello").str("").u8(0).blob("");  // no label, no signature
  }
};

bytes with_length(const bytes& body) {
  bytes out;
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(body.size() >> (8 * i)));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

result<std::optional<frame>> decode_one(const bytes& stream) {
  frame_decoder d;
  d.feed(stream);
  return d.next();
}

error decode_error(const bytes& body) {
  auto r = decode_one(with_length(body));
  EXPECT_FALSE(r.has_value());
  return r ? error{} : r.error();
}

TEST(wire, every_frame_type_round_trips) {
  for (const frame& f : test::sample_frames()) {
    auto r = decode_one(encode(f));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ(**r, f);
  }
}

TEST(wire, decodes_in_every_chunking) {
  bytes stream;
  for (const frame& f : test::sample_frames()) encode(f, stream);
  const auto expected = test::sample_frames();
  // Chunk sizes from byte by byte up to the whole stream cover every split a socket can make.
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    frame_decoder d;
    std::vector<frame> got;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      d.feed(std::span(stream).subspan(pos, std::min(chunk, stream.size() - pos)));
      while (true) {
        auto r = d.next();
        ASSERT_TRUE(r.has_value()) << r.error().message;
        if (!*r) break;
        got.push_back(std::move(**r));
      }
    }
    ASSERT_EQ(got, expected) << "chunk size " << chunk;
    EXPECT_EQ(d.buffered_bytes(), 0u);
  }
}

TEST(wire, unknown_frame_type_is_a_protocol_error) {
  EXPECT_EQ(decode_error({0x7f, 0, 0}).code, errc::protocol);
  EXPECT_EQ(decode_error({0x00}).code, errc::protocol);
}

TEST(wire, every_truncation_of_every_frame_is_refused) {
  for (const frame& f : test::sample_frames()) {
    bytes full = encode(f);
    bytes body(full.begin() + 4, full.end());
    for (std::size_t n = 1; n < body.size(); ++n) {
      auto e = decode_error(bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n)));
      EXPECT_EQ(e.code, errc::protocol) << "frame type " << int{body[0]} << " cut at " << n;
    }
  }
}

TEST(wire, trailing_bytes_are_refused) {
  for (const frame& f : test::sample_frames()) {
    bytes full = encode(f);
    bytes body(full.begin() + 4, full.end());
    body.push_back(0);
    auto e = decode_error(body);
    EXPECT_EQ(e.code, errc::protocol);
    EXPECT_NE(e.message.find("trailing"), std::string::npos) << e.message;
  }
}

TEST(wire, strings_at_their_limit_pass_and_one_over_fails) {
  std::string at(limits::channel_id_bytes_max, 'c');
  body_builder ok;
  ok.u8(static_cast<std::uint8_t>(frame_type::ack)).str(at).be(3, 8);
  for (int i = 0; i < 32; ++i) ok.u8(0);  // chain
  ok.be(0, 8).str("");                    // at_ms, signature
  auto r = decode_one(with_length(ok.b));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(std::get<ack>(**r).channel, at);

  body_builder over;
  over.u8(static_cast<std::uint8_t>(frame_type::ack)).str(at + "c").be(3, 8);
  EXPECT_NE(decode_error(over.b).message.find("too long"), std::string::npos);

  body_builder reason;
  reason.u8(static_cast<std::uint8_t>(frame_type::close))
      .str(std::string(limits::close_reason_bytes_max + 1, 'r'));
  EXPECT_EQ(decode_error(reason.b).code, errc::protocol);

  body_builder id;
  id.message(1, 0, std::string(limits::message_id_bytes_max + 1, 'i'));
  EXPECT_EQ(decode_error(id.b).code, errc::protocol);
}

TEST(wire, message_body_over_its_limit_is_refused) {
  body_builder b;
  b.u8(static_cast<std::uint8_t>(frame_type::data));
  b.str("m-1").str("navy").str("rok-fleet").be(1, 8).u8(0).be(1000, 8).str("FREE-TEXT");
  b.blob(std::string(limits::message_body_bytes_max + 1, 'x')).blob("");
  EXPECT_NE(decode_error(b.b).message.find("message body too long"), std::string::npos);
}

TEST(wire, label_shapes_are_checked_before_anything_sees_them) {
  auto labelled = [](std::string_view marking, std::uint8_t n, std::string_view caveat,
                     std::string_view value) {
    body_builder b;
    b.u8(static_cast<std::uint8_t>(frame_type::data));
    b.str("m-1").str("navy").str("rok-fleet").be(1, 8).u8(0).be(1000, 8).str("FREE-TEXT");
    b.blob("hello").str(marking).u8(n);
    for (std::uint8_t i = 0; i < n; ++i) b.str(caveat).str(value);
    return b.blob("").b;
  };
  ASSERT_TRUE(decode_one(with_length(labelled("rok-restricted", 1, "embargo", "1796860800000"))));
  EXPECT_NE(decode_error(labelled("Rok", 0, "", "")).message.find("marking malformed"),
            std::string::npos);
  EXPECT_NE(decode_error(labelled("rok", 1, "Embargo", "")).message.find("caveat malformed"),
            std::string::npos);
  EXPECT_NE(decode_error(labelled("rok", 1, "embargo", "caf\xC3")).message.find("caveat value malformed"),
            std::string::npos);
  EXPECT_NE(decode_error(labelled("rok", limits::label_caveats_max + 1, "c", "")).message.find("too many caveats"),
            std::string::npos);
  EXPECT_NE(decode_error(labelled("", 1, "no-forward", "")).message.find("caveats without a marking"),
            std::string::npos);
  EXPECT_NE(decode_error(labelled("rok", 1, "to", std::string(limits::caveat_value_bytes_max + 1, 'a')))
                .message.find("caveat value too long"),
            std::string::npos);
}

TEST(wire, sequence_number_zero_is_refused) {
  body_builder good;
  good.message(1, 0);
  ASSERT_TRUE(decode_one(with_length(good.b)).has_value());
  body_builder zero;
  zero.message(0, 0);
  EXPECT_NE(decode_error(zero.b).message.find("sequence number 0"), std::string::npos);
}

TEST(wire, unknown_precedence_is_refused) {
  body_builder last;
  last.message(1, precedence_count - 1);
  ASSERT_TRUE(decode_one(with_length(last.b)).has_value());
  body_builder bad;
  bad.message(1, precedence_count);
  EXPECT_NE(decode_error(bad.b).message.find("precedence"), std::string::npos);
}

TEST(wire, resume_point_zero_and_too_many_channels_are_refused) {
  auto hello_with = [](std::size_t channels, std::uint64_t next) {
    body_builder b;
    b.u8(static_cast<std::uint8_t>(frame_type::hello)).be(1, 2).str("rok-fleet");
    for (int i = 0; i < 32; ++i) b.u8(0);
    b.be(9, 8).str("fibre").be(channels, 2);
    for (std::size_t i = 0; i < channels; ++i) b.str("c" + std::to_string(i)).be(next, 8);
    return b.b;
  };
  ASSERT_TRUE(decode_one(with_length(hello_with(limits::hello_channels_max, 1))).has_value());
  EXPECT_EQ(decode_error(hello_with(limits::hello_channels_max + 1, 1)).code, errc::protocol);
  EXPECT_NE(decode_error(hello_with(1, 0)).message.find("resume point 0"), std::string::npos);
}

TEST(wire, zero_length_prefix_is_a_limit_error) {
  auto r = decode_one(bytes{0, 0, 0, 0});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::limit);
}

TEST(wire, frame_of_exactly_the_maximum_length_is_accepted_and_one_more_is_not) {
  // No valid frame is that large, so "accepted" means the decoder waits for the body and then
  // judges its contents (a protocol error), instead of refusing the length (a limit error).
  std::size_t n = limits::frame_bytes_max;
  bytes at = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
              static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  frame_decoder d;
  d.feed(at);
  auto waiting = d.next();
  ASSERT_TRUE(waiting.has_value());
  EXPECT_FALSE(waiting->has_value());
  bytes body(n, 0);
  body[0] = static_cast<std::uint8_t>(frame_type::ping);
  d.feed(body);
  auto judged = d.next();
  ASSERT_FALSE(judged.has_value());
  EXPECT_EQ(judged.error().code, errc::protocol);

  n += 1;
  bytes over = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  auto refused = decode_one(over);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::limit);
}

TEST(wire, decoder_stays_failed_after_an_error) {
  frame_decoder d;
  body_builder bad;
  bad.message(0, 0);
  d.feed(with_length(bad.b));
  bytes good = encode(ping{1});
  d.feed(good);
  auto first = d.next();
  ASSERT_FALSE(first.has_value());
  for (int i = 0; i < 3; ++i) {
    auto again = d.next();
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().message, first.error().message);
  }
  d.feed(good);
  EXPECT_FALSE(d.next().has_value());
}

TEST(wire, close_reason_is_cut_to_its_limit_when_encoded) {
  close c{std::string(limits::close_reason_bytes_max + 100, 'r')};
  auto r = decode_one(encode(c));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(std::get<close>(**r).reason.size(), limits::close_reason_bytes_max);
}

TEST(wire, canonical_bytes_ignore_the_signature_only) {
  message m = test::sample_message();
  message signed_again = m;
  signed_again.signature = "other";
  EXPECT_EQ(canonical_message_bytes(m), canonical_message_bytes(signed_again));
  message changed = m;
  changed.body += "!";
  EXPECT_NE(canonical_message_bytes(m), canonical_message_bytes(changed));
}

}  // namespace
}  // namespace hotline::wire

namespace hotline::wire {
namespace {

const std::string not_utf8 = "x\xC3";  // a truncated two-byte sequence

// Every string field, in turn, holding what the field may not: the decoder refuses the frame
// before anything behind it sees the text.
TEST(wire_shapes, every_string_field_is_checked_in_the_decoder) {
  std::vector<std::pair<std::string, frame>> cases;
  auto m = [] { return test::sample_message(); };
  auto with = [&](std::string name, auto edit) {
    auto msg = m();
    edit(msg);
    cases.emplace_back(std::move(name), data{msg});
  };
  with("id not utf-8", [](message& x) { x.id = not_utf8; });
  with("id with a slash", [](message& x) { x.id = "a/b"; });
  with("id with a dot", [](message& x) { x.id = ".."; });
  with("channel not utf-8", [](message& x) { x.channel = not_utf8; });
  with("channel upper case", [](message& x) { x.channel = "Navy"; });
  with("sender not utf-8", [](message& x) { x.from = not_utf8; });
  with("form not utf-8", [](message& x) { x.form = not_utf8; });
  with("form lower case", [](message& x) { x.form = "free-text"; });
  with("body not utf-8", [](message& x) { x.body = not_utf8; });
  with("body with a surrogate", [](message& x) { x.body = "\xED\xA0\x80"; });
  with("body overlong", [](message& x) { x.body = "\xC0\xAF"; });
  with("seq out of range", [](message& x) { x.seq = limits::sequence_max + 1; });
  hello h = std::get<hello>(test::sample_frames()[0]);
  auto hello_with = [&](std::string name, auto edit) {
    hello x = h;
    edit(x);
    cases.emplace_back(std::move(name), x);
  };
  hello_with("hello station", [](hello& x) { x.station = not_utf8; });
  hello_with("hello path", [](hello& x) { x.path = "a b"; });
  hello_with("hello resume channel", [](hello& x) { x.resume[0].channel = not_utf8; });
  hello_with("hello resume range", [](hello& x) { x.resume[0].next_expected = ~std::uint64_t{0}; });
  cases.emplace_back("ack channel", ack{not_utf8, 1});
  cases.emplace_back("ack range", ack{"navy", limits::sequence_max + 1});
  cases.emplace_back("close reason", close{not_utf8});
  for (const auto& [name, f] : cases) {
    frame_decoder d;
    d.feed(encode(f));
    auto r = d.next();
    EXPECT_FALSE(r.has_value()) << name << " was accepted";
    if (!r) {
      EXPECT_EQ(r.error().code, errc::protocol) << name;
    }
  }
}

TEST(wire_shapes, valid_text_of_every_script_passes) {
  auto msg = test::sample_message();
  msg.body = "경고: 훈련 개시. Учения начинаются. 🚢";
  frame_decoder d;
  d.feed(encode(data{msg}));
  auto r = d.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(std::get<data>(**r).msg, msg);
}

TEST(wire_shapes, a_listeners_hello_names_no_path) {
  hello h = std::get<hello>(test::sample_frames()[0]);
  h.path.clear();
  frame_decoder d;
  d.feed(encode(h));
  auto r = d.next();
  ASSERT_TRUE(r && *r);
}

TEST(wire_shapes, a_long_close_reason_is_cut_at_a_character_boundary) {
  std::string reason(limits::close_reason_bytes_max - 1, 'a');
  reason += "경";  // three bytes straddling the limit
  frame_decoder d;
  d.feed(encode(close{reason}));
  auto r = d.next();
  ASSERT_TRUE(r && *r) << (r ? "" : r.error().message);
  EXPECT_EQ(std::get<close>(**r).reason, std::string(limits::close_reason_bytes_max - 1, 'a'));
}

}  // namespace
}  // namespace hotline::wire
