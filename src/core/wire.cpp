#include "core/wire.hpp"

#include <cassert>
#include <cstring>

#include "core/limits.hpp"
#include "core/shape.hpp"

namespace hotline::wire {
namespace {

class writer {
 public:
  explicit writer(bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put_be(v, 2); }
  void u32(std::uint32_t v) { put_be(v, 4); }
  void u64(std::uint64_t v) { put_be(v, 8); }
  void i64(std::int64_t v) { put_be(static_cast<std::uint64_t>(v), 8); }
  void str(std::string_view s) {
    assert(s.size() <= 0xFFFF);
    u16(static_cast<std::uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void blob(std::string_view s) {
    assert(s.size() <= limits::frame_bytes_max);
    u32(static_cast<std::uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void raw(std::span<const std::uint8_t> s) { out_.insert(out_.end(), s.begin(), s.end()); }

 private:
  void put_be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  bytes& out_;
};

// Reads a frame body. Every read checks the remaining length; the first failure sticks.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::string_view failure() const { return failure_; }

  std::uint8_t u8() { return static_cast<std::uint8_t>(get_be(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get_be(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get_be(4)); }
  std::uint64_t u64() { return get_be(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(get_be(8)); }

  std::string str(std::size_t max_bytes, const char* what) {
    std::size_t n = u16();
    return take(n, max_bytes, what);
  }
  std::string blob(std::size_t max_bytes, const char* what) {
    std::size_t n = u32();
    return take(n, max_bytes, what);
  }
  void raw(std::span<std::uint8_t> out) {
    if (!need(out.size(), "fixed field")) return;
    std::memcpy(out.data(), in_.data() + pos_, out.size());
    pos_ += out.size();
  }
  void fail(std::string why) {
    if (ok_) failure_ = std::move(why);
    ok_ = false;
  }

  // Text: a string that must be UTF-8, so that nothing behind the decoder (the JSON layer, the
  // logs, the console) ever holds bytes it cannot represent.
  std::string text(std::size_t max_bytes, const char* what) {
    std::string s = str(max_bytes, what);
    if (ok_ && !shape::valid_utf8(s)) fail(std::string(what) + " is not UTF-8");
    return s;
  }
  // An agreement identifier (station, channel, path): [a-z0-9-], 1 to `max_bytes`.
  std::string agreement_id(std::size_t max_bytes, const char* what) {
    std::string s = str(max_bytes, what);
    if (ok_ && !shape::valid_agreement_id(s, max_bytes)) fail(std::string(what) + " malformed");
    return s;
  }

 private:
  bool need(std::size_t n, const char* what) {
    if (!ok_) return false;
    if (in_.size() - pos_ < n) {
      failure_ = std::string("truncated ") + what;
      ok_ = false;
    }
    return ok_;
  }
  std::uint64_t get_be(int n) {
    if (!need(static_cast<std::size_t>(n), "integer")) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | in_[pos_++];
    return v;
  }
  std::string take(std::size_t n, std::size_t max_bytes, const char* what) {
    if (!ok_) return {};
    if (n > max_bytes) {
      failure_ = std::string(what) + " too long";
      ok_ = false;
      return {};
    }
    if (!need(n, what)) return {};
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
  std::string failure_;
};

void write_label(writer& w, const labels::label& l) {
  assert(l.caveats.size() <= limits::label_caveats_max);
  w.str(l.marking);
  w.u8(static_cast<std::uint8_t>(l.caveats.size()));
  for (const auto& c : l.caveats) {
    w.str(c.id);
    w.str(c.value);
  }
}

// The label's shapes only; whether the agreement defines it is the engine's check.
labels::label read_label(reader& r) {
  labels::label l;
  l.marking = r.str(limits::station_id_bytes_max, "marking");
  if (r.ok() && !l.marking.empty() &&
      !shape::valid_agreement_id(l.marking, limits::station_id_bytes_max)) {
    r.fail("marking malformed");
  }
  std::size_t n = r.u8();
  if (r.ok() && n > limits::label_caveats_max) r.fail("too many caveats");
  for (std::size_t i = 0; r.ok() && i < n; ++i) {
    labels::caveat c;
    c.id = r.agreement_id(limits::station_id_bytes_max, "caveat");
    c.value = r.str(limits::caveat_value_bytes_max, "caveat value");
    if (r.ok() && !shape::valid_caveat_value(c.value)) r.fail("caveat value malformed");
    l.caveats.push_back(std::move(c));
  }
  if (r.ok() && l.marking.empty() && !l.caveats.empty()) r.fail("caveats without a marking");
  return l;
}

// On the wire the label follows the body; in the canonical bytes it is appended only when there
// is one, so that a message without a label keeps the bytes (and signature) of protocol 3.
void write_message(writer& w, const message& m, bool with_signature) {
  w.str(m.id);
  w.str(m.channel);
  w.str(m.from);
  w.u64(m.seq);
  w.u8(static_cast<std::uint8_t>(m.prec));
  w.i64(m.created_at_ms);
  w.str(m.form);
  w.blob(m.body);
  if (with_signature) {
    write_label(w, m.label);
    w.blob(m.signature);
  }
}

message read_message(reader& r) {
  message m;
  m.id = r.str(limits::message_id_bytes_max, "message id");
  if (r.ok() && !shape::valid_message_id(m.id)) r.fail("message id malformed");
  m.channel = r.agreement_id(limits::channel_id_bytes_max, "channel");
  m.from = r.agreement_id(limits::station_id_bytes_max, "sender");
  m.seq = r.u64();
  std::uint8_t p = r.u8();
  if (r.ok() && p >= precedence_count) r.fail("unknown precedence");
  m.prec = static_cast<precedence>(p < precedence_count ? p : 3);
  m.created_at_ms = r.i64();
  m.form = r.str(limits::form_id_bytes_max, "form");
  if (r.ok() && !shape::valid_form_id(m.form)) r.fail("form id malformed");
  m.body = r.blob(limits::message_body_bytes_max, "message body");
  if (r.ok() && !shape::valid_utf8(m.body)) r.fail("message body is not UTF-8");
  m.label = read_label(r);
  m.signature = r.blob(limits::signature_bytes_max, "signature");
  if (r.ok() && m.seq == 0) r.fail("sequence number 0");
  if (r.ok() && m.seq > limits::sequence_max) r.fail("sequence number out of range");
  return m;
}

struct body_encoder {
  writer& w;
  void operator()(const hello& h) const {
    w.u8(static_cast<std::uint8_t>(frame_type::hello));
    w.u16(h.version);
    w.str(h.station);
    w.raw(h.agreement_hash);
    w.u64(h.boot_id);
    w.str(h.path);
    assert(h.resume.size() <= limits::hello_channels_max);
    w.u16(static_cast<std::uint16_t>(h.resume.size()));
    for (const auto& r : h.resume) {
      w.str(r.channel);
      w.u64(r.next_expected);
    }
  }
  void operator()(const data& d) const {
    w.u8(static_cast<std::uint8_t>(frame_type::data));
    write_message(w, d.msg, true);
  }
  void operator()(const ack& a) const {
    w.u8(static_cast<std::uint8_t>(frame_type::ack));
    write_point(a);
  }
  void operator()(const seal& s) const {
    w.u8(static_cast<std::uint8_t>(frame_type::seal));
    write_point(s);
  }
  void operator()(const returned_seal& r) const {
    w.u8(static_cast<std::uint8_t>(frame_type::returned_seal));
    write_point(r.s);
  }
  // A signed point of a chain: an ack's and a seal's body.
  template <class T>
  void write_point(const T& a) const {
    w.str(a.channel);
    w.u64(a.up_to_seq);
    w.raw(a.chain);
    w.i64(a.at_ms);
    w.str(a.signature);
  }
  void operator()(const ping& p) const {
    w.u8(static_cast<std::uint8_t>(frame_type::ping));
    w.u64(p.nonce);
  }
  void operator()(const pong& p) const {
    w.u8(static_cast<std::uint8_t>(frame_type::pong));
    w.u64(p.nonce);
  }
  void operator()(const close& c) const {
    w.u8(static_cast<std::uint8_t>(frame_type::close));
    w.str(shape::utf8_prefix(c.reason, limits::close_reason_bytes_max));
  }
  void operator()(const fetch& f) const {
    w.u8(static_cast<std::uint8_t>(frame_type::fetch));
    w.str(f.channel);
    w.u64(f.from_seq);
    w.u32(f.count);
  }
  void operator()(const returned& r) const {
    w.u8(static_cast<std::uint8_t>(frame_type::returned));
    write_message(w, r.msg, true);
  }
};

template <class T>
T read_point(reader& r, const std::string& what) {
  T a;
  a.channel = r.agreement_id(limits::channel_id_bytes_max, "channel");
  a.up_to_seq = r.u64();
  if (r.ok() && a.up_to_seq > limits::sequence_max) r.fail(what + " seq out of range");
  r.raw(a.chain);
  a.at_ms = r.i64();
  a.signature = r.str(limits::signature_bytes_max, (what + " signature").c_str());
  return a;
}

frame read_hello(reader& r) {
  hello h;
  h.version = r.u16();
  h.station = r.agreement_id(limits::station_id_bytes_max, "station id");
  r.raw(h.agreement_hash);
  h.boot_id = r.u64();
  // The listener's hello names no path: the dialer chose it.
  h.path = r.str(limits::path_id_bytes_max, "path");
  if (r.ok() && !h.path.empty() && !shape::valid_agreement_id(h.path, limits::path_id_bytes_max)) {
    r.fail("path malformed");
  }
  std::size_t n = r.u16();
  if (n > limits::hello_channels_max) r.fail("too many channels in hello");
  for (std::size_t i = 0; r.ok() && i < n; ++i) {
    resume_point p;
    p.channel = r.agreement_id(limits::channel_id_bytes_max, "channel");
    p.next_expected = r.u64();
    if (r.ok() && p.next_expected == 0) r.fail("resume point 0");
    if (r.ok() && p.next_expected > limits::sequence_max) r.fail("resume point out of range");
    h.resume.push_back(std::move(p));
  }
  return h;
}

}  // namespace

std::uint16_t hello::limits_protocol_version() { return limits::protocol_version; }

void encode(const frame& f, bytes& out) {
  std::size_t start = out.size();
  out.resize(start + 4);
  writer w(out);
  std::visit(body_encoder{w}, f);
  std::size_t length = out.size() - start - 4;
  assert(length <= limits::frame_bytes_max);
  for (int i = 0; i < 4; ++i) {
    out[start + static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(length >> (8 * (3 - i)));
  }
}

bytes encode(const frame& f) {
  bytes out;
  encode(f, out);
  return out;
}

bytes canonical_message_bytes(const message& m) {
  bytes out;
  writer w(out);
  if (m.label.empty()) {
    w.str("hotline-message-v1");
    write_message(w, m, false);
    return out;
  }
  w.str("hotline-message-v2");
  write_message(w, m, false);
  write_label(w, m.label);
  return out;
}

bytes canonical_receipt_bytes(const receipt& rc) {
  bytes out;
  writer w(out);
  w.str("hotline-receipt-v1");
  w.str(rc.channel);
  w.str(rc.from);
  w.str(rc.by);
  w.u64(rc.up_to_seq);
  w.raw(rc.chain);
  w.i64(rc.at_ms);
  return out;
}

bytes canonical_seal_bytes(const seal_statement& s) {
  bytes out;
  writer w(out);
  w.str("hotline-seal-v1");
  w.str(s.channel);
  w.str(s.from);
  w.u64(s.up_to_seq);
  w.raw(s.chain);
  w.i64(s.at_ms);
  return out;
}

result<frame> decode_body(std::span<const std::uint8_t> type_and_body) {
  if (type_and_body.empty()) return fail(errc::protocol, "empty frame");
  reader r(type_and_body.subspan(1));
  frame f;
  switch (static_cast<frame_type>(type_and_body[0])) {
    case frame_type::hello: f = read_hello(r); break;
    case frame_type::data: f = data{read_message(r)}; break;
    case frame_type::ack: f = read_point<ack>(r, "receipt"); break;
    case frame_type::seal: f = read_point<seal>(r, "seal"); break;
    case frame_type::returned_seal: f = returned_seal{read_point<seal>(r, "seal")}; break;
    case frame_type::ping: f = ping{r.u64()}; break;
    case frame_type::pong: f = pong{r.u64()}; break;
    case frame_type::close: f = close{r.text(limits::close_reason_bytes_max, "close reason")}; break;
    case frame_type::fetch: {
      fetch q;
      q.channel = r.agreement_id(limits::channel_id_bytes_max, "channel");
      q.from_seq = r.u64();
      q.count = r.u32();
      if (r.ok() && (q.from_seq == 0 || q.from_seq > limits::sequence_max)) {
        r.fail("fetch seq out of range");
      }
      if (r.ok() && (q.count == 0 || q.count > limits::fetch_messages_max)) {
        r.fail("fetch count out of range");
      }
      f = q;
      break;
    }
    case frame_type::returned: f = returned{read_message(r)}; break;
    default:
      return fail(errc::protocol,
                  "unknown frame type " + std::to_string(static_cast<int>(type_and_body[0])));
  }
  if (r.ok() && !r.at_end()) r.fail("trailing bytes after frame body");
  if (!r.ok()) return fail(errc::protocol, "malformed frame: " + std::string(r.failure()));
  return f;
}

void frame_decoder::feed(std::span<const std::uint8_t> chunk) {
  if (failed_) return;
  // Compact once the consumed prefix dominates, so the buffer stays bounded by one frame.
  if (offset_ > 0 && offset_ >= buffer_.size() / 2) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
    offset_ = 0;
  }
  buffer_.insert(buffer_.end(), chunk.begin(), chunk.end());
}

result<std::optional<frame>> frame_decoder::next() {
  if (failed_) return std::unexpected(*failed_);
  std::size_t available = buffer_.size() - offset_;
  if (available < 4) return std::optional<frame>{};
  const std::uint8_t* p = buffer_.data() + offset_;
  std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                       (std::size_t{p[2]} << 8) | std::size_t{p[3]};
  if (length == 0 || length > limits::frame_bytes_max) {
    failed_ = error{errc::limit,
                    "frame length " + std::to_string(length) + " outside 1.." +
                        std::to_string(limits::frame_bytes_max),
                    {}};
    return std::unexpected(*failed_);
  }
  if (available < 4 + length) return std::optional<frame>{};
  auto decoded = decode_body(std::span(p + 4, length));
  offset_ += 4 + length;
  if (!decoded) {
    failed_ = decoded.error();
    return std::unexpected(*failed_);
  }
  return std::optional<frame>(std::move(*decoded));
}

}  // namespace hotline::wire
