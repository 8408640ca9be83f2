#include "evidence/bundle.hpp"

#include <algorithm>

#include "core/json_safe.hpp"
#include "core/limits.hpp"
#include "core/shape.hpp"

#include "forms/label_text.hpp"
#include "forms/utc_time.hpp"
#include "storage/journal.hpp"

namespace hotline::evidence {
namespace {

using nlohmann::json;

std::string b64(std::string_view bytes) {
  return signing::to_base64(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::string hex(const signing::digest& d) { return signing::to_hex(d); }

json label_json(const labels::label& l) {
  json caveats = json::array();
  for (const auto& c : l.caveats) caveats.push_back({{"id", c.id}, {"value", c.value}});
  return {{"marking", l.marking}, {"caveats", std::move(caveats)}};
}

json message_json(const message& m) {
  json j{{"id", m.id},
          {"channel", m.channel},
          {"from", m.from},
          {"seq", m.seq},
          {"precedence", to_string(m.prec)},
          {"created_at_ms", m.created_at_ms},
          {"form", m.form},
          {"body", m.body},
          {"signature", b64(m.signature)}};
  if (!m.label.empty()) j["label"] = label_json(m.label);
  return j;
}

json seal_json(const std::optional<storage::seal_proof>& p) {
  if (!p) return nullptr;
  json links = json::array();
  for (const auto& d : p->links) links.push_back(hex(d));
  const auto& s = p->seal;
  return {{"channel", s.channel},     {"from", s.from},
          {"up_to_seq", s.up_to_seq}, {"chain", hex(s.chain)},
          {"at_ms", s.at_ms},         {"signature", b64(s.signature)},
          {"chain_before", hex(p->chain_before)}, {"chain_links", std::move(links)}};
}

json entry_json(const storage::journal_entry& e) {
  return {{"seq", e.seq},          {"at_ms", e.at_ms},
          {"kind", e.kind},        {"channel", e.channel},
          {"message_id", e.message_id}, {"msg_seq", e.msg_seq},
          {"detail", e.detail},    {"prev_hash", hex(e.prev_hash)},
          {"hash", hex(e.hash)},   {"signature", b64(e.signature)}};
}

// Reading a bundle: any missing or ill-typed field throws, and the verdict names it.
struct bad_bundle : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json& field(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) throw bad_bundle(std::string("missing field '") + key + "'");
  return j.at(key);
}
std::string text(const json& j, const char* key) {
  const json& v = field(j, key);
  if (!v.is_string()) throw bad_bundle(std::string("field '") + key + "' is not text");
  return v.get<std::string>();
}
template <class T>
T number(const json& j, const char* key) {
  const json& v = field(j, key);
  if (!v.is_number_integer()) throw bad_bundle(std::string("field '") + key + "' is not a whole number");
  return v.get<T>();
}
std::string unb64(const json& j, const char* key) {
  auto raw = signing::from_base64(text(j, key));
  if (!raw) throw bad_bundle(std::string("field '") + key + "' is not base64");
  return *raw;
}
signing::digest unhex(const json& j, const char* key) {
  auto d = signing::digest_from_hex(text(j, key));
  if (!d) throw bad_bundle(std::string("field '") + key + "' is not a 64-digit hex digest");
  return *d;
}

// Shapes only, as the wire decoder checks them; whether the agreement defines the label is the
// checker's question.
labels::label read_label(const json& j) {
  labels::label l;
  l.marking = text(j, "marking");
  if (!shape::valid_agreement_id(l.marking, limits::station_id_bytes_max)) {
    throw bad_bundle("the label's marking is malformed");
  }
  const json& caveats = field(j, "caveats");
  if (!caveats.is_array() || caveats.size() > limits::label_caveats_max) {
    throw bad_bundle("the label's caveats are not a list of at most " +
                     std::to_string(limits::label_caveats_max));
  }
  for (const json& c : caveats) {
    labels::caveat cv{text(c, "id"), text(c, "value")};
    if (!shape::valid_agreement_id(cv.id, limits::station_id_bytes_max) ||
        !shape::valid_caveat_value(cv.value)) {
      throw bad_bundle("a caveat of the label is malformed");
    }
    l.caveats.push_back(std::move(cv));
  }
  return l;
}

message read_message(const json& j) {
  message m;
  m.id = text(j, "id");
  m.channel = text(j, "channel");
  m.from = text(j, "from");
  m.seq = number<std::uint64_t>(j, "seq");
  auto p = parse_precedence(text(j, "precedence"));
  if (!p) throw bad_bundle("unknown precedence");
  m.prec = *p;
  m.created_at_ms = number<std::int64_t>(j, "created_at_ms");
  m.form = text(j, "form");
  m.body = text(j, "body");
  m.signature = unb64(j, "signature");
  if (j.contains("label")) m.label = read_label(field(j, "label"));
  return m;
}

storage::journal_entry read_entry(const json& j) {
  storage::journal_entry e;
  e.seq = number<std::int64_t>(j, "seq");
  e.at_ms = number<std::int64_t>(j, "at_ms");
  e.kind = text(j, "kind");
  e.channel = text(j, "channel");
  e.message_id = text(j, "message_id");
  e.msg_seq = number<std::uint64_t>(j, "msg_seq");
  e.detail = text(j, "detail");
  e.prev_hash = unhex(j, "prev_hash");
  e.hash = unhex(j, "hash");
  e.signature = unb64(j, "signature");
  return e;
}

std::string when(std::int64_t ms) { return forms::format_rfc3339(ms); }

class checker {
 public:
  checker(const json& b, const config::agreement_history& h)
      : b_(b), h_(h), a_(h.latest()), keys_(h.signing_keys()) {}

  verdict run() {
    try {
      check_header();
      check_message();
      check_receipt();
      check_acknowledgement();
      check_journal();
      v_.ok = true;
    } catch (const bad_bundle& e) {
      v_.ok = false;
      v_.failure = e.what();
    } catch (const json::exception& e) {
      // A field of the wrong type that a check above missed: the bundle is refused, not the
      // verifier crashed.
      v_.ok = false;
      v_.failure = std::string("malformed bundle: ") + e.what();
    }
    return v_;
  }

 private:
  const config::station_entry& station(const std::string& id) {
    const auto* s = a_.find_station(id);
    if (!s) throw bad_bundle("station '" + id + "' is not in the agreement");
    return *s;
  }
  // The key `id` signed with at `at_ms`, by the versions given. Before the oldest version given
  // took effect, an older version pinned the keys: the verifier is told to give it.
  signing::public_key key_of(const std::string& id, std::int64_t at_ms) {
    (void)station(id);
    const config::agreement& oldest = h_.versions().front();
    if (oldest.supersedes && at_ms < oldest.effective_at_ms) {
      throw bad_bundle("it was signed at " + when(at_ms) + ", before agreement version " +
                       std::to_string(oldest.version) + " took effect (" +
                       when(oldest.effective_at_ms) + "): give the version before it too, sha256:" +
                       signing::to_hex(*oldest.supersedes));
    }
    const auto* k = keys_.at(id, at_ms);
    if (!k) throw bad_bundle("the agreement pins no valid signing key for '" + id + "'");
    return *k;
  }
  std::string who(const std::string& id) { return id + " (" + station(id).name + ")"; }

  void check_header() {
    const std::string format = text(b_, "format");
    if (format != bundle_format && format != bundle_format_v1) {
      throw bad_bundle("not a Hotline evidence bundle (format '" + text(b_, "format") + "')");
    }
    const std::string made_under = text(b_, "agreement_hash");
    const bool given = std::any_of(h_.versions().begin(), h_.versions().end(),
                                   [&](const config::agreement& a) { return a.hash_hex() == made_under; });
    if (!given) {
      std::string versions;
      for (const auto& a : h_.versions()) versions += (versions.empty() ? "" : ", ") + a.hash_hex();
      throw bad_bundle("the bundle was made under agreement " + made_under +
                       ", which is not among the versions given (" + versions + ")");
    }
    exporter_ = text(b_, "exported_by");
    (void)station(exporter_);
  }

  void check_message() {
    msg_ = read_message(field(b_, "message"));
    digest_ = signing::message_digest(msg_);
    const std::string how = check_author(msg_, b_.contains("seal") ? b_.at("seal") : json(nullptr));
    v_.proven.push_back(who(msg_.from) + " sent message " + msg_.id + " on channel " + msg_.channel +
                        " (seq " + std::to_string(msg_.seq) + ", " + std::string(to_string(msg_.prec)) +
                        ", form " + msg_.form + "), written at " + when(msg_.created_at_ms) +
                        ". " + how);
    check_label();
  }

  // What proves that `m` is its sender's, in words: its own signature (protocol 4), its sender's
  // seal over a chain that includes it, or, for the exporter's own message, the exporter's
  // signed journal (checked with the journal, in check_own_sent).
  std::string check_author(const message& m, const json& seal) {
    if (!m.signature.empty()) {
      const signing::public_key key = key_of(m.from, m.created_at_ms);
      if (!signing::verify_message(key, m)) {
        throw bad_bundle("the signature of message " + m.id + " is not valid for " + m.from +
                         "'s key: the message in the bundle is not what " + m.from + " signed");
      }
      return "Its signature is valid for " + m.from + "'s key " + signing::encode_public_key(key) + ".";
    }
    if (!seal.is_null()) return check_seal(m, seal);
    if (m.from == exporter_) {
      own_sent_.push_back({m.id, signing::message_digest(m)});
      return "It is in " + m.from + "'s own signed journal as sent.";
    }
    throw bad_bundle("nothing in the bundle proves that " + m.from + " sent message " + m.id +
                     ": it carries neither a signature nor a seal of " + m.from);
  }

  std::string check_seal(const message& m, const json& j) {
    wire::seal_statement st{text(j, "channel"), text(j, "from"), number<std::uint64_t>(j, "up_to_seq"),
                            unhex(j, "chain"), number<std::int64_t>(j, "at_ms"), unb64(j, "signature")};
    if (st.from != m.from || st.channel != m.channel || st.up_to_seq < m.seq) {
      throw bad_bundle("the seal of message " + m.id + " is not " + m.from + "'s over " + m.channel +
                       " up to its seq");
    }
    const signing::public_key key = key_of(st.from, st.at_ms);
    if (!signing::verify(key, wire::canonical_seal_bytes(st), st.signature)) {
      throw bad_bundle("the seal of message " + m.id + " is not valid for " + st.from + "'s key");
    }
    const json& links = field(j, "chain_links");
    if (!links.is_array() || links.size() != st.up_to_seq - m.seq) {
      throw bad_bundle("the chain from message " + m.id + " to its seal is incomplete");
    }
    if (chain_through(unhex(j, "chain_before"), signing::message_digest(m), links) != st.chain) {
      throw bad_bundle("the seal's hash chain does not include message " + m.id + " as it is in the bundle");
    }
    return m.from + " sealed its messages on " + st.channel + " up to seq " + std::to_string(st.up_to_seq) +
           " at " + when(st.at_ms) + " with its key " + signing::encode_public_key(key) +
           ", and the seal's hash chain includes this message, byte for byte.";
  }

  static signing::digest chain_through(signing::digest c, const signing::digest& first, const json& links) {
    c = signing::chain_next(c, first);
    for (const auto& l : links) {
      auto d = l.is_string() ? signing::digest_from_hex(l.get<std::string>()) : std::nullopt;
      if (!d) throw bad_bundle("a chain link is not a hex digest");
      c = signing::chain_next(c, *d);
    }
    return c;
  }

  // The label is signed with the message; it must also be one the agreement allows its sender.
  void check_label() {
    if (auto ok = labels::check(a_.labels, msg_.from, msg_.label); !ok) {
      throw bad_bundle("the message's label is not one the agreement allows " + msg_.from + ": " +
                       ok.error().message);
    }
    if (msg_.label.empty()) return;
    std::string reader;
    if (const auto* c = a_.find_channel(msg_.channel)) {
      reader = c->stations[0] == msg_.from ? c->stations[1] : c->stations[0];
    }
    v_.proven.push_back("The sender marked it " + forms::describe_label(a_.labels, msg_.from, msg_.label) +
                        (reader.empty() ? std::string()
                                        : "; " + reader + " reads it as " +
                                              forms::describe_label(a_.labels, reader, msg_.label)) +
                        ".");
  }

  void check_receipt() {
    const json& r = field(b_, "receipt");
    if (r.is_null()) {
      if (!received_entry_expected()) v_.not_shown.push_back("The bundle holds no receipt from the receiving station.");
      return;
    }
    wire::receipt rc{text(r, "channel"), text(r, "from"), text(r, "by"), number<std::uint64_t>(r, "up_to_seq"),
                     unhex(r, "chain"), number<std::int64_t>(r, "at_ms"), unb64(r, "signature")};
    if (rc.from != msg_.from || rc.channel != msg_.channel || rc.by == msg_.from) {
      throw bad_bundle("the receipt is not about this message's channel and sender");
    }
    if (!signing::verify(key_of(rc.by, rc.at_ms), wire::canonical_receipt_bytes(rc), rc.signature)) {
      throw bad_bundle("the receipt's signature is not valid for " + rc.by + "'s key");
    }
    if (rc.up_to_seq < msg_.seq) throw bad_bundle("the receipt stops before this message's seq");
    const json& links = field(b_, "chain_links");
    if (!links.is_array() || links.size() != rc.up_to_seq - msg_.seq) {
      throw bad_bundle("the chain from the message to the receipt is incomplete");
    }
    if (chain_through(unhex(b_, "chain_before"), digest_, links) != rc.chain) {
      throw bad_bundle("the receipt's hash chain does not include this message as it is in the bundle");
    }
    v_.proven.push_back("It reached " + who(rc.by) + "'s disk by " + when(rc.at_ms) + ": " + rc.by +
                        " signed a receipt for " + rc.channel + " up to seq " +
                        std::to_string(rc.up_to_seq) + " whose hash chain includes this message, byte for byte.");
  }

  bool received_entry_expected() const { return exporter_ != msg_.from; }

  void check_acknowledgement() {
    const json& a = field(b_, "acknowledgement");
    if (a.is_null()) {
      v_.not_shown.push_back("No acknowledgement is in the bundle: nobody has acknowledged it, or not yet.");
      return;
    }
    const message ack = read_message(a);
    if (ack.from == msg_.from || ack.channel != msg_.channel) {
      throw bad_bundle("the acknowledgement does not come from the other side of this channel");
    }
    (void)check_author(ack, b_.contains("acknowledgement_seal") ? b_.at("acknowledgement_seal") : json(nullptr));
    auto body = json::parse(ack.body, nullptr, false);
    if (json_safe::text(body, "reference") != msg_.id) {
      throw bad_bundle("the acknowledgement answers another message");
    }
    std::string line = "It was acknowledged by " + json_safe::text(body, "answered_by").value_or("(unnamed)") +
                       " at " + who(ack.from) + " at " + when(ack.created_at_ms) +
                       " (message " + ack.id + ", from " + ack.from + ")";
    if (auto ans = json_safe::text(body, "answer").value_or(""); !ans.empty()) line += ", answering: \"" + ans + "\"";
    v_.proven.push_back(line + ".");
  }

  void check_journal() {
    const json& j = field(b_, "journal");
    if (!j.is_array() || j.empty()) {
      if (!own_sent_.empty()) {
        throw bad_bundle("nothing in the bundle proves that " + exporter_ + " sent message " +
                         own_sent_.front().id + ": the bundle holds no journal entries");
      }
      v_.not_shown.push_back("No journal entries are in the bundle.");
      return;
    }
    std::optional<storage::journal_entry> prev;
    bool open_segment = false;
    std::int64_t first = 0;
    for (const auto& item : j) {
      storage::journal_entry e = read_entry(item);
      if (storage::journal_entry_hash(e) != e.hash) {
        throw bad_bundle("journal entry #" + std::to_string(e.seq) + " does not match its hash: it was changed");
      }
      if (prev && e.seq <= prev->seq) throw bad_bundle("journal entries are out of order");
      if (prev && e.seq == prev->seq + 1 && e.prev_hash != prev->hash) {
        throw bad_bundle("journal entry #" + std::to_string(e.seq) + " does not follow #" + std::to_string(prev->seq));
      }
      if (prev && e.seq != prev->seq + 1 && open_segment) {
        throw bad_bundle("journal entries #" + std::to_string(first) + "..#" + std::to_string(prev->seq) + " end unsigned");
      }
      if (!open_segment) first = e.seq;
      open_segment = e.signature.empty();
      if (!open_segment && !signing::verify(key_of(exporter_, e.at_ms),
                                            storage::journal_signed_bytes(e.hash), e.signature)) {
        throw bad_bundle("journal entry #" + std::to_string(e.seq) + "'s signature is not " + exporter_ + "'s");
      }
      note_entry(e);
      prev = std::move(e);
    }
    if (open_segment) throw bad_bundle("the last journal entries in the bundle are not signed");
    for (const auto& own : own_sent_) {
      if (!own.found) {
        throw bad_bundle("nothing in the bundle proves that " + exporter_ + " sent message " + own.id +
                         ": its journal entry for sending it is missing or names other bytes");
      }
      v_.proven.push_back(exporter_ + "'s journal entry #" + std::to_string(own.entry) +
                          ", signed with its key " +
                          signing::encode_public_key(key_of(exporter_, own.at_ms)) +
                          ", records sending message " + own.id + " with exactly these bytes.");
    }
    v_.proven.push_back("The " + std::to_string(j.size()) + " entries of " + exporter_ +
                        "'s journal in the bundle are intact, linked and signed by " + exporter_ + ".");
  }

  void note_entry(const storage::journal_entry& e) {
    if (e.kind == "sent") {
      auto d = json::parse(e.detail.empty() ? "{}" : e.detail, nullptr, false);
      for (auto& own : own_sent_) {
        if (own.id == e.message_id && d.is_object() && d.value("digest", "") == hex(own.digest)) {
          own.found = true;
          own.entry = e.seq;
          own.at_ms = e.at_ms;
        }
      }
    }
    if (e.message_id != msg_.id) return;
    auto d = json::parse(e.detail.empty() ? "{}" : e.detail, nullptr, false);
    if (d.is_object() && d.contains("digest") && d["digest"] != hex(digest_)) {
      throw bad_bundle("journal entry #" + std::to_string(e.seq) + " names another version of the message");
    }
    if (e.kind == "received" && exporter_ != msg_.from) {
      v_.proven.push_back("It reached " + who(exporter_) + "'s disk at " + when(e.at_ms) +
                          " (journal entry #" + std::to_string(e.seq) + ", signed by " + exporter_ + ").");
    }
  }

  const json& b_;
  const config::agreement_history& h_;
  const config::agreement& a_;  // the latest version: stations and names are alike in all
  const signing::key_schedule keys_;
  verdict v_;
  message msg_;
  signing::digest digest_{};
  std::string exporter_;
  struct own_message {
    std::string id;
    signing::digest digest{};
    bool found = false;
    std::int64_t entry = 0;  // the journal entry that names it
    std::int64_t at_ms = 0;
  };
  std::vector<own_message> own_sent_;  // the exporter's own messages, proven by its journal
};

}  // namespace

json make_bundle(const storage::evidence_material& m, std::int64_t exported_at_ms) {
  json journal = json::array();
  for (const auto& e : m.journal) journal.push_back(entry_json(e));
  json links = json::array();
  for (const auto& d : m.chain_links) links.push_back(hex(d));
  json receipt = nullptr;
  if (m.receipt) {
    const auto& r = *m.receipt;
    receipt = {{"channel", r.channel}, {"from", r.from},         {"by", r.by},
               {"up_to_seq", r.up_to_seq}, {"chain", hex(r.chain)}, {"at_ms", r.at_ms},
               {"signature", b64(r.signature)}};
  }
  return {{"format", bundle_format},
          {"exported_by", m.station},
          {"exported_at", forms::format_rfc3339(exported_at_ms)},
          {"agreement_hash", m.agreement_hash},
          {"message", message_json(m.msg)},
          {"chain_before", hex(m.chain_before)},
          {"receipt", receipt},
          {"chain_links", links},
          {"seal", seal_json(m.sealed)},
          {"acknowledgement", m.acknowledgement ? message_json(*m.acknowledgement) : json(nullptr)},
          {"acknowledgement_seal", seal_json(m.acknowledgement_sealed)},
          {"journal", journal}};
}

verdict verify_bundle(const json& bundle, const config::agreement_history& versions) {
  return checker(bundle, versions).run();
}

verdict verify_bundle(const json& bundle, const config::agreement& agreement) {
  return verify_bundle(bundle, config::agreement_history(agreement));
}

}  // namespace hotline::evidence
