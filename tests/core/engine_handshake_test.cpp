// Engine handshake: a hello states a resume point the peer may act on at once, so it waits until
// what was accepted is on disk, and nothing from an earlier boot of the peer is accepted after it
// (core/engine_handshake.cpp). The peer here is driven frame by frame.
#include "core/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/engine_pair.hpp"
#include "core/wire.hpp"

namespace hotline::core {
namespace {

// Station B's engine, unsigned (it accepts each message as it comes), with A as a peer on two
// paths; the test plays A.
class raw_peer : public ::testing::Test {
 protected:
  raw_peer() {
    auto c = test::pair_config(test::station_b, test::station_a, 2);
    c.peers = {{test::station_a, {test::path_fibre, test::path_satcom}}};
    eng = std::make_unique<engine>(c);
  }

  // A's connection on `path`, with A's hello of boot `boot` sent unless `send_hello` is false.
  conn_id open(const std::string& path, std::uint64_t boot, bool send_hello = true) {
    conn_id c = eng->on_connected(now_us, direction::inbound, test::station_a, "");
    if (send_hello) hello(c, path, boot);
    return c;
  }
  void hello(conn_id c, const std::string& path, std::uint64_t boot) {
    wire::hello h;
    h.station = test::station_a;
    h.agreement_hash.fill(0x42);
    h.boot_id = boot;
    h.path = path;
    h.resume = {{"navy", 1}};
    feed(c, h);
  }
  void data(conn_id c, std::uint64_t seq) {
    message m;
    m.id = "a-" + std::to_string(seq);
    m.channel = "navy";
    m.from = test::station_a;
    m.seq = seq;
    m.created_at_ms = 1'700'000'000'000;
    m.body = "notification " + m.id;
    feed(c, wire::data{m});
  }
  void feed(conn_id c, const wire::frame& f) {
    wire::bytes b = wire::encode(f);
    eng->on_bytes(now_us, c, b);
  }

  // Everything the engine asked for since the last call, kept.
  void take() {
    effects e = eng->take();
    for (auto& s : e.sends) {
      wire::frame_decoder d;
      d.feed(s.bytes);
      while (true) {
        auto f = d.next();
        if (!f || !*f) break;
        if (auto* h = std::get_if<wire::hello>(&**f)) hellos.emplace_back(s.conn, *h);
      }
    }
    closes.insert(closes.end(), e.closes.begin(), e.closes.end());
    persists.insert(persists.end(), e.persists.begin(), e.persists.end());
  }
  // Seqs of A's messages the engine has asked to commit.
  std::vector<std::uint64_t> accepted() const {
    std::vector<std::uint64_t> out;
    for (const auto& p : persists) {
      for (const auto& r : p.records) {
        if (const auto* in = std::get_if<records::received>(&r)) out.push_back(in->msg.seq);
      }
    }
    return out;
  }
  bool closed(conn_id c, const std::string& why) const {
    return std::any_of(closes.begin(), closes.end(), [&](const close_action& a) {
      return a.conn == c && a.reason.find(why) != std::string::npos;
    });
  }
  std::size_t hellos_on(conn_id c) const {
    return static_cast<std::size_t>(std::count_if(
        hellos.begin(), hellos.end(), [&](const auto& h) { return h.first == c; }));
  }
  void commit_all() {
    auto done = std::move(persists);
    persists.clear();
    for (const auto& p : done) eng->on_persisted(now_us, p.token, true);
    take();
  }

  std::unique_ptr<engine> eng;
  std::int64_t now_us = 1'000'000;
  std::vector<std::pair<conn_id, wire::hello>> hellos;
  std::vector<close_action> closes;
  std::vector<persist_action> persists;
};

TEST_F(raw_peer, a_hello_waits_until_what_was_accepted_is_on_disk) {
  conn_id fibre = open(test::path_fibre, 1);
  data(fibre, 1);
  take();
  ASSERT_EQ(accepted(), std::vector<std::uint64_t>{1});  // accepted, its commit under way
  conn_id satcom = open(test::path_satcom, 1, false);
  take();
  EXPECT_EQ(hellos_on(satcom), 0u) << "the hello would resume at 1, below what is being written";
  hello(satcom, test::path_satcom, 1);  // the peer's own hello waits for this station's
  take();
  EXPECT_EQ(hellos_on(satcom), 0u);
  commit_all();
  ASSERT_EQ(hellos_on(satcom), 1u);
  const wire::hello& h = hellos.back().second;
  ASSERT_EQ(h.resume.size(), 1u);
  EXPECT_EQ(h.resume[0].next_expected, 2u) << "the resume point covers the commit just done";
  EXPECT_TRUE(closes.empty()) << closes.front().reason;
  // The peer's hello, held until now, was handled: both links are up and carry traffic.
  data(satcom, 2);
  take();
  EXPECT_EQ(accepted(), std::vector<std::uint64_t>{2});
}

// A peer cannot talk its way past the wait with a second hello.
TEST_F(raw_peer, a_second_hello_while_this_stations_waits_closes_the_link) {
  conn_id fibre = open(test::path_fibre, 1);
  data(fibre, 1);
  take();  // seq 1's commit under way: a new link's hello waits for it
  conn_id satcom = open(test::path_satcom, 1);
  hello(satcom, test::path_satcom, 1);
  take();
  EXPECT_TRUE(closed(satcom, "second hello before this station's"));
  EXPECT_EQ(hellos_on(satcom), 0u);
}

TEST_F(raw_peer, links_wait_unread_while_a_new_link_awaits_the_peers_hello) {
  conn_id fibre = open(test::path_fibre, 1);
  take();
  conn_id satcom = open(test::path_satcom, 1, false);
  data(fibre, 1);  // arrives on the old link between this station's hello and the peer's
  take();
  EXPECT_TRUE(accepted().empty()) << "read while the new link's hello was awaited";
  hello(satcom, test::path_satcom, 1);  // the same boot: the held frames are read now
  take();
  EXPECT_EQ(accepted(), std::vector<std::uint64_t>{1});
  EXPECT_TRUE(closes.empty()) << closes.front().reason;
}

TEST_F(raw_peer, a_new_boot_closes_the_old_boots_links_unread) {
  conn_id fibre = open(test::path_fibre, 1);
  take();
  conn_id satcom = open(test::path_satcom, 7, false);
  take();
  ASSERT_EQ(hellos_on(satcom), 1u);
  const wire::hello& ours = hellos.back().second;
  EXPECT_EQ(ours.resume.at(0).next_expected, 1u);
  data(fibre, 1);  // the dead boot's last frame, still in this station's socket buffer
  hello(satcom, test::path_satcom, 7);  // the restarted peer, which told seq 1 to resume at 1
  take();
  EXPECT_TRUE(closed(fibre, "peer restarted"));
  EXPECT_TRUE(accepted().empty()) << "seq 1 of the old boot would contradict the hello sent";
  data(satcom, 1);  // the new boot's own seq 1
  take();
  EXPECT_EQ(accepted(), std::vector<std::uint64_t>{1});
}

TEST_F(raw_peer, a_link_that_fails_after_its_hello_restarts_the_links_held_behind_it) {
  conn_id fibre = open(test::path_fibre, 1);
  conn_id satcom = open(test::path_satcom, 0, false);
  take();
  ASSERT_EQ(hellos_on(satcom), 1u);
  data(fibre, 1);
  eng->on_disconnected(now_us, satcom, "reset");
  take();
  EXPECT_TRUE(closed(fibre, "links held behind it start again"));
  EXPECT_TRUE(accepted().empty());
}

TEST_F(raw_peer, a_link_that_fails_before_its_hello_releases_the_links_held_behind_it) {
  conn_id fibre = open(test::path_fibre, 1);
  data(fibre, 1);
  take();  // seq 1's commit under way: a new link's hello waits for it
  conn_id satcom = open(test::path_satcom, 0, false);
  data(fibre, 2);
  take();
  ASSERT_EQ(hellos_on(satcom), 0u);
  EXPECT_EQ(accepted(), std::vector<std::uint64_t>{1});
  eng->on_disconnected(now_us, satcom, "reset");
  take();
  EXPECT_TRUE(closes.empty()) << closes.front().reason;
  EXPECT_EQ(accepted(), (std::vector<std::uint64_t>{1, 2})) << "the held frame is read";
}

TEST_F(raw_peer, a_link_held_too_long_cannot_buffer_without_bound) {
  conn_id fibre = open(test::path_fibre, 1);
  open(test::path_satcom, 0, false);
  take();
  std::vector<std::uint8_t> junk(1 << 20, 0);
  for (std::size_t sent = 0; sent <= limits::frozen_link_bytes_max; sent += junk.size()) {
    eng->on_bytes(now_us, fibre, junk);
  }
  take();
  EXPECT_TRUE(closed(fibre, "on a link held while another link's hello was awaited"));
}

// A hello a dead boot sent on a slow path can arrive after its successor's. Boot ids order
// boots (engine::make_boot_id), so it is refused, not taken for a restart that would close the
// successor's links and accept what the dead boot sent after them.
TEST_F(raw_peer, a_late_hello_from_an_earlier_boot_is_refused) {
  const std::uint64_t first = engine::make_boot_id(4, 0, 0xaaaa);
  const std::uint64_t second = engine::make_boot_id(5, 0, 0x1111);
  ASSERT_LT(first, second) << "the number orders boots, whatever the random bits";
  ASSERT_LT(engine::make_boot_id(4, 0, 0xffff), engine::make_boot_id(4, 1, 0))
      << "a rebuilt engine is a newer boot of the same process";
  ASSERT_LT(engine::make_boot_id(4, 0xffff, 0xffff), engine::make_boot_id(5, 0, 0))
      << "a new process is newer than every engine the last one rebuilt";
  conn_id late = open(test::path_satcom, first, false);  // opened by the dead boot
  conn_id fibre = open(test::path_fibre, second);
  take();
  hello(late, test::path_satcom, first);
  data(late, 1);
  take();
  EXPECT_TRUE(closed(late, "hello from an earlier boot"));
  EXPECT_FALSE(closed(fibre, "peer restarted"));
  EXPECT_TRUE(accepted().empty());
  data(fibre, 1);
  take();
  EXPECT_EQ(accepted(), std::vector<std::uint64_t>{1});
}

// A station whose boots were renumbered (its store replaced by an older copy, its clock set
// back) is not shut out for good: once no link of the newer boot has been up for
// earlier_boot_refused_us, its hello is taken.
TEST_F(raw_peer, an_earlier_boot_is_taken_once_the_newer_has_been_gone_a_while) {
  conn_id fibre = open(test::path_fibre, engine::make_boot_id(9, 0, 1));
  take();
  eng->on_disconnected(now_us, fibre, "cut");
  take();
  conn_id soon = open(test::path_fibre, engine::make_boot_id(3, 0, 1));
  take();
  EXPECT_TRUE(closed(soon, "hello from an earlier boot"));
  now_us += limits::earlier_boot_refused_us;
  conn_id later = open(test::path_fibre, engine::make_boot_id(3, 0, 1));
  data(later, 1);
  take();
  EXPECT_FALSE(closed(later, "earlier boot"));
  EXPECT_EQ(accepted(), std::vector<std::uint64_t>{1});
}

}  // namespace
}  // namespace hotline::core
