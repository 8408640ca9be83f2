// Rng and trace: the simulator's only source of randomness, and the fingerprint of a run.
//
// Everything random in a simulated run draws from one `rng` seeded by the run's seed, so a seed
// replays the same run. `trace` folds every step of a run into a 64-bit FNV-1a hash: two runs of
// one seed must end with the same hash. Plain values; not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace hotline::sim {

class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}

  // splitmix64: tiny, fast, and every seed gives a full-quality stream.
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); 0 when n is 0.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  // Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  std::uint64_t state_;
};

class trace {
 public:
  void mix(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void mix(std::string_view s) {
    for (char c : s) byte(static_cast<std::uint8_t>(c));
    mix(s.size());
  }
  void mix(std::span<const std::uint8_t> b) {
    for (auto c : b) byte(c);
    mix(b.size());
  }
  std::uint64_t hash() const { return hash_; }

 private:
  void byte(std::uint8_t b) { hash_ = (hash_ ^ b) * 0x100000001B3ULL; }
  std::uint64_t hash_ = 0xCBF29CE484222325ULL;
};

}  // namespace hotline::sim
