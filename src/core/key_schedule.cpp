#include "core/key_schedule.hpp"

#include <algorithm>

namespace hotline::signing {
namespace {

// The era in effect at `at_ms`: the last one that started at or before it.
template <class Key>
const key_era<Key>* era_at(const std::vector<key_era<Key>>& eras, std::int64_t at_ms) {
  auto it = std::upper_bound(eras.begin(), eras.end(), at_ms,
                             [](std::int64_t t, const key_era<Key>& e) { return t < e.from_ms; });
  return it == eras.begin() ? nullptr : &*std::prev(it);
}

template <class Key>
void add_era(std::vector<key_era<Key>>& eras, std::int64_t from_ms, Key key) {
  if (!eras.empty() && eras.back().from_ms == from_ms) {
    eras.back().key = std::move(key);
  } else if (eras.empty() || eras.back().from_ms < from_ms) {
    eras.push_back({from_ms, std::move(key)});
  }
}

}  // namespace

void key_schedule::pin(const std::string& station, const public_key& key) {
  add(station, era_start_ms_min, key);
}

void key_schedule::add(const std::string& station, std::int64_t from_ms, const public_key& key) {
  add_era(eras_[station], from_ms, key);
}

const public_key* key_schedule::at(std::string_view station, std::int64_t at_ms) const {
  auto it = eras_.find(station);
  if (it == eras_.end()) return nullptr;
  const auto* e = era_at(it->second, at_ms);
  return e ? &e->key : nullptr;
}

std::vector<key_era<public_key>> key_schedule::eras(std::string_view station) const {
  auto it = eras_.find(station);
  return it == eras_.end() ? std::vector<key_era<public_key>>{} : it->second;
}

signer::signer(secret_key key) {
  if (!key.empty()) eras_.push_back({era_start_ms_min, std::move(key)});
}

void signer::add(std::int64_t from_ms, secret_key key) {
  if (!key.empty()) add_era(eras_, from_ms, std::move(key));
}

const secret_key& signer::at(std::int64_t at_ms) const {
  static const secret_key none{};
  const auto* e = era_at(eras_, at_ms);
  return e ? e->key : none;
}

}  // namespace hotline::signing
