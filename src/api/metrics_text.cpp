#include "api/metrics_text.hpp"

#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "core/version.hpp"

namespace hotline::api {
namespace {

using labels = std::vector<std::pair<std::string_view, std::string_view>>;

// Backslash, double quote and line feed are escaped in a label value; nothing else is.
std::string escaped(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.9g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

// Writes one family's header, then its samples through `sample`.
class writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::string_view name, const labels& ls, double value) {
    out_ += name;
    if (!ls.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < ls.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += ls[i].first;
        out_ += "=\"";
        out_ += escaped(ls[i].second);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }

  // One metric of one sample without labels.
  void single(std::string_view name, std::string_view type, std::string_view help, double v) {
    family(name, type, help);
    sample(name, {}, v);
  }

  void histogram(std::string_view name, std::string_view help, const core::histogram& h) {
    family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i < h.bounds().size(); ++i) {
      const std::string le = number(h.bounds()[i]);
      sample(bucket, {{"le", le}}, static_cast<double>(h.cumulative()[i]));
    }
    sample(bucket, {{"le", "+Inf"}}, static_cast<double>(h.count()));
    sample(std::string(name) + "_sum", {}, h.sum());
    sample(std::string(name) + "_count", {}, static_cast<double>(h.count()));
  }

  // A family with one sample per key of `by`, labelled `label`.
  template <class Map>
  void by_key(std::string_view name, std::string_view type, std::string_view help,
              std::string_view label, const Map& by) {
    family(name, type, help);
    for (const auto& [key, v] : by) sample(name, {{label, key}}, static_cast<double>(v));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

void channel_families(writer& w, const station::status_snapshot& s) {
  using station::channel_view;
  const auto each = [&](std::string_view name, std::string_view type, std::string_view help,
                        auto value) {
    w.family(name, type, help);
    for (const channel_view& c : s.channels) {
      if (auto v = value(c)) w.sample(name, {{"channel", c.core.channel}}, *v);
    }
  };
  using opt = std::optional<double>;
  each("hotline_link_up", "gauge", "Whether the channel's link to the peer is up (1) or down (0).",
       [](const channel_view& c) { return opt(c.core.link_up ? 1 : 0); });
  each("hotline_link_rtt_seconds", "gauge", "Round trip on the active path, as last measured.",
       [](const channel_view& c) {
         return c.core.rtt_us < 0 ? opt() : opt(static_cast<double>(c.core.rtt_us) / 1e6);
       });
  each("hotline_last_heard_seconds", "gauge", "Time since the peer was last heard on the channel.",
       [](const channel_view& c) {
         return c.last_heard_ms_ago < 0 ? opt() : opt(seconds(c.last_heard_ms_ago));
       });
  each("hotline_queued_messages", "gauge", "Messages posted and not yet numbered for the peer.",
       [](const channel_view& c) { return opt(static_cast<double>(c.core.queued)); });
  each("hotline_window_messages", "gauge",
       "Messages sent and not yet confirmed on the peer's disk.",
       [](const channel_view& c) { return opt(static_cast<double>(c.core.unacked)); });
  each("hotline_sent_messages_total", "counter", "Messages numbered for the peer on the channel.",
       [](const channel_view& c) { return opt(static_cast<double>(c.core.out_next_seq - 1)); });
  each("hotline_received_messages_total", "counter", "Messages received on the channel.",
       [](const channel_view& c) {
         return opt(static_cast<double>(c.core.in_next_expected - 1));
       });
  each("hotline_link_test_sent_timestamp_seconds", "gauge",
       "When this station last sent a link test on the channel (UTC).",
       [](const channel_view& c) {
         return c.link_test_sent_at_ms ? opt(seconds(*c.link_test_sent_at_ms)) : opt();
       });
  each("hotline_link_test_answered_timestamp_seconds", "gauge",
       "When a person at the peer last answered one of this station's link tests (UTC).",
       [](const channel_view& c) {
         return c.link_test_answered_at_ms ? opt(seconds(*c.link_test_answered_at_ms)) : opt();
       });
  each("hotline_link_test_next_timestamp_seconds", "gauge",
       "When the next scheduled link test goes out (UTC).", [](const channel_view& c) {
         return c.next_link_test_at_ms ? opt(seconds(*c.next_link_test_at_ms)) : opt();
       });
}

void path_families(writer& w, const station::status_snapshot& s) {
  w.family("hotline_path_up", "gauge", "Whether a path to the peer is up (1) or down (0).");
  for (const auto& c : s.channels) {
    for (const auto& p : c.core.paths) {
      w.sample("hotline_path_up", {{"channel", c.core.channel}, {"path", p.path}}, p.up ? 1 : 0);
    }
  }
  w.family("hotline_path_active", "gauge", "Whether a path is the one carrying the channel.");
  for (const auto& c : s.channels) {
    for (const auto& p : c.core.paths) {
      w.sample("hotline_path_active", {{"channel", c.core.channel}, {"path", p.path}},
               p.active ? 1 : 0);
    }
  }
  w.family("hotline_path_rtt_seconds", "gauge", "Round trip on a path, as last measured.");
  for (const auto& c : s.channels) {
    for (const auto& p : c.core.paths) {
      if (p.rtt_us < 0) continue;
      w.sample("hotline_path_rtt_seconds", {{"channel", c.core.channel}, {"path", p.path}},
               static_cast<double>(p.rtt_us) / 1e6);
    }
  }
}

void awaiting_family(writer& w, const station::status_snapshot& s,
                     const station::metrics_snapshot& m) {
  w.family("hotline_awaiting_answer_messages", "gauge",
           "Messages awaiting a person's answer: received ones (direction in) this station has "
           "not acknowledged, sent ones (out) the peer has not.");
  for (const auto& c : s.channels) {
    const auto count = [&](const std::map<std::string, std::size_t>& by) {
      auto it = by.find(c.core.channel);
      return it == by.end() ? 0.0 : static_cast<double>(it->second);
    };
    w.sample("hotline_awaiting_answer_messages", {{"channel", c.core.channel}, {"direction", "in"}},
             count(m.awaiting_our_answer));
    w.sample("hotline_awaiting_answer_messages",
             {{"channel", c.core.channel}, {"direction", "out"}}, count(m.awaiting_their_answer));
  }
}

void per_channel(writer& w, const station::status_snapshot& s, std::string_view name,
                 std::string_view help, const std::map<std::string, std::uint64_t>& by) {
  w.family(name, "counter", help);
  for (const auto& c : s.channels) {
    auto it = by.find(c.core.channel);
    w.sample(name, {{"channel", c.core.channel}},
             it == by.end() ? 0.0 : static_cast<double>(it->second));
  }
}

}  // namespace

std::string render_metrics(const station::status_snapshot& status,
                           const station::metrics_snapshot& m, std::uint64_t login_failures) {
  writer w;
  w.family("hotline_build_info", "gauge", "The running build and station; always 1.");
  w.sample("hotline_build_info",
           {{"version", hotline::version}, {"station", status.station},
            {"agreement", status.agreement_hash}},
           1);
  w.single("hotline_start_time_seconds", "gauge", "When the station started (UTC).",
           seconds(status.started_at_ms));
  channel_families(w, status);
  path_families(w, status);
  awaiting_family(w, status, m);
  const auto& c = m.counters;
  // Every channel of the agreement has a sample from the start, so that rules can compare and
  // rate them before the first escalation.
  per_channel(w, status, "hotline_escalations_total",
              "Messages and link tests not answered by their deadline.", c.escalations_by_channel);
  per_channel(w, status, "hotline_missed_link_tests_total",
              "Link tests of this station that no one at the peer answered in time.",
              c.missed_link_tests_by_channel);
  w.by_key("hotline_refused_total", "counter",
           "Frames and links from the peer refused (each is journaled).", "peer",
           c.refused_by_peer);
  w.single("hotline_alarms_total", "counter",
           "Attestation mismatches: the peer's signed checkpoint contradicts this history.",
           static_cast<double>(c.alarms));
  w.single("hotline_handler_failures_total", "counter",
           "Handlers that threw and were recovered from; 0 in a healthy station.",
           static_cast<double>(c.handler_failures));
  w.histogram("hotline_commit_seconds", "Group commits, from the first statement to durable.",
              c.commit_seconds);
  w.histogram("hotline_commit_sync_seconds",
              "The durable part of each group commit: the WAL write and its fsync.",
              c.commit_sync_seconds);
  w.histogram("hotline_commit_batch_records", "Records per group commit.", c.batch_records);
  w.histogram("hotline_commit_pages",
              "Database pages each group commit wrote to the write-ahead log and fsynced "
              "(page_size bytes and a 24-byte frame header each).",
              c.commit_pages);
  w.single("hotline_commit_failures_total", "counter", "Group commits the store refused.",
           static_cast<double>(c.commit_failures));
  w.single("hotline_journal_entries", "gauge", "Entries in the station's journal.",
           static_cast<double>(m.journal_entries));
  if (m.database_bytes >= 0) {
    w.single("hotline_database_bytes", "gauge", "Size of the database file and its WAL.",
             static_cast<double>(m.database_bytes));
  }
  w.single("hotline_login_failures_total", "counter", "Refused sign-ins on the console.",
           static_cast<double>(login_failures));
  return w.take();
}

}  // namespace hotline::api
