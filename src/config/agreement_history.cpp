#include "config/agreement_history.hpp"

#include <algorithm>
#include <limits>

#include "core/signing.hpp"

namespace hotline::config {
namespace {

constexpr std::int64_t ms_per_minute = 60'000;
constexpr std::int64_t end_of_time_ms = std::numeric_limits<std::int64_t>::max();

std::unexpected<error> differs(const std::string& field, const std::string& what) {
  return fail(errc::invalid_argument,
              field + " differs from the version it supersedes: a later version may change " +
                  what + " only keys and the title; anything else needs a new agreement",
              field);
}

std::map<std::string, std::string> address_texts(const station_entry& s) {
  std::map<std::string, std::string> out;
  for (const auto& [path, ep] : s.addresses) out[path] = ep.to_string();
  return out;
}

result<void> same_stations(const agreement& prev, const agreement& next) {
  if (prev.stations.size() != next.stations.size()) return differs("stations", "");
  for (std::size_t i = 0; i < prev.stations.size(); ++i) {
    const auto& a = prev.stations[i];
    const auto& b = next.stations[i];
    const std::string field = "stations[" + std::to_string(i) + "]";
    if (a.id != b.id) return differs(field + ".id", "");
    if (a.name != b.name || a.language != b.language || a.timezone != b.timezone) {
      return differs(field, "");
    }
    if (address_texts(a) != address_texts(b)) return differs(field + ".addresses", "");
  }
  return {};
}

result<void> same_channels(const agreement& prev, const agreement& next) {
  if (prev.channels.size() != next.channels.size()) return differs("channels", "");
  for (std::size_t i = 0; i < prev.channels.size(); ++i) {
    const auto& a = prev.channels[i];
    const auto& b = next.channels[i];
    if (a.id != b.id || a.title != b.title || a.stations != b.stations || a.paths != b.paths) {
      return differs("channels[" + std::to_string(i) + "]", "");
    }
  }
  return {};
}

result<void> same_policies(const agreement& prev, const agreement& next) {
  if (prev.id != next.id) return differs("agreement.id", "");
  if (prev.heartbeat_interval_ms != next.heartbeat_interval_ms ||
      prev.heartbeat_misses_max != next.heartbeat_misses_max) {
    return differs("link", "");
  }
  if (prev.deadlines.minutes != next.deadlines.minutes ||
      prev.deadlines.urgent_words_max != next.deadlines.urgent_words_max) {
    return differs("deadlines", "");
  }
  const auto& lt = prev.link_tests;
  const auto& nt = next.link_tests;
  if (lt.times != nt.times || lt.timezone != nt.timezone || lt.every_minutes != nt.every_minutes ||
      lt.answer_within_minutes != nt.answer_within_minutes) {
    return differs("link_tests", "");
  }
  if (prev.forms.catalog != next.forms.catalog || prev.forms.version != next.forms.version ||
      prev.forms.sha256 != next.forms.sha256) {
    return differs("forms", "");
  }
  if (prev.labels != next.labels) return differs("labels", "");
  return {};
}

}  // namespace

result<void> check_successor(const agreement& prev, const agreement& next) {
  if (!next.supersedes || *next.supersedes != prev.hash) {
    return fail(errc::invalid_argument,
                "agreement.supersedes must be the hash of the version it follows, " + prev.hash_hex(),
                "agreement.supersedes");
  }
  if (next.version <= prev.version) {
    return fail(errc::invalid_argument,
                "agreement.version must be more than " + std::to_string(prev.version) +
                    ", the version it supersedes",
                "agreement.version");
  }
  if (prev.supersedes && next.effective_at_ms <= prev.effective_at_ms) {
    return fail(errc::invalid_argument,
                "agreement.effective_at must be after the superseded version's",
                "agreement.effective_at");
  }
  if (auto r = same_policies(prev, next); !r) return r;
  if (auto r = same_stations(prev, next); !r) return r;
  return same_channels(prev, next);
}

agreement_history::agreement_history(agreement only) { versions_.push_back(std::move(only)); }

result<agreement_history> agreement_history::build(std::vector<agreement> versions) {
  if (versions.empty()) return fail(errc::invalid_argument, "no agreement version given");
  std::sort(versions.begin(), versions.end(),
            [](const agreement& a, const agreement& b) { return a.version < b.version; });
  versions.erase(std::unique(versions.begin(), versions.end(),
                             [](const agreement& a, const agreement& b) { return a.hash == b.hash; }),
                 versions.end());
  agreement_history h;
  h.versions_.push_back(std::move(versions.front()));
  for (std::size_t i = 1; i < versions.size(); ++i) {
    if (auto r = check_successor(h.versions_.back(), versions[i]); !r) {
      error e = r.error();
      e.message = "version " + std::to_string(versions[i].version) + " (" +
                  versions[i].hash_hex() + ") does not follow version " +
                  std::to_string(h.versions_.back().version) + ": " + e.message;
      return std::unexpected(std::move(e));
    }
    h.versions_.push_back(std::move(versions[i]));
  }
  return h;
}

result<agreement_history> agreement_history::load(const std::vector<std::filesystem::path>& files) {
  std::vector<agreement> versions;
  for (const auto& f : files) {
    auto a = load_agreement(f);
    if (!a) return std::unexpected(a.error());
    versions.push_back(std::move(*a));
  }
  return build(std::move(versions));
}

agreement_history agreement_history::with_ancestors(const std::vector<std::string>& texts) const {
  std::map<wire::hash256, agreement> known;
  for (const auto& text : texts) {
    if (auto a = parse_agreement(text)) known.emplace(a->hash, std::move(*a));
  }
  agreement_history out = *this;
  while (out.versions_.front().supersedes) {
    auto it = known.find(*out.versions_.front().supersedes);
    if (it == known.end() || !check_successor(it->second, out.versions_.front())) break;
    out.versions_.insert(out.versions_.begin(), std::move(it->second));
    known.erase(it);
  }
  return out;
}

std::int64_t agreement_history::starts_ms(std::size_t i) const {
  return i == 0 ? signing::era_start_ms_min : versions_[i].effective_at_ms;
}

const agreement& agreement_history::in_effect_at(std::int64_t ms) const {
  std::size_t i = versions_.size() - 1;
  while (i > 0 && ms < starts_ms(i)) --i;
  return versions_[i];
}

const agreement* agreement_history::find(const wire::hash256& hash) const {
  for (const auto& a : versions_) {
    if (a.hash == hash) return &a;
  }
  return nullptr;
}

// Version i is accepted from its start less its own overlap until the next version's start
// plus that version's overlap.
bool agreement_history::accepted_at(std::size_t i, std::int64_t ms) const {
  const std::int64_t from =
      i == 0 ? signing::era_start_ms_min : starts_ms(i) - versions_[i].overlap_minutes * ms_per_minute;
  const std::int64_t until = i + 1 == versions_.size()
                                 ? end_of_time_ms
                                 : starts_ms(i + 1) + versions_[i + 1].overlap_minutes * ms_per_minute;
  return ms >= from && ms < until;
}

std::vector<wire::hash256> agreement_history::also_accepted_at(std::int64_t ms) const {
  const wire::hash256& current = in_effect_at(ms).hash;
  std::vector<wire::hash256> out;
  for (std::size_t i = 0; i < versions_.size(); ++i) {
    if (versions_[i].hash != current && accepted_at(i, ms)) out.push_back(versions_[i].hash);
  }
  return out;
}

std::map<std::string, std::string> agreement_history::pins_at(std::int64_t ms) const {
  std::map<std::string, std::string> out;
  const agreement& current = in_effect_at(ms);
  for (std::size_t i = 0; i < versions_.size(); ++i) {
    if (versions_[i].hash != current.hash && !accepted_at(i, ms)) continue;
    for (const auto& s : versions_[i].stations) out[s.tls_fingerprint] = s.id;
  }
  return out;
}

signing::key_schedule agreement_history::signing_keys() const {
  signing::key_schedule out;
  for (std::size_t i = 0; i < versions_.size(); ++i) {
    for (const auto& s : versions_[i].stations) {
      if (auto k = signing::parse_public_key(s.signing_key)) out.add(s.id, starts_ms(i), *k);
    }
  }
  return out;
}

}  // namespace hotline::config
