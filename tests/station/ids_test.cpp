// Message ids: time-ordered UUIDv7 for ordinary posts, and UUIDv8 named by an Idempotency-Key.
#include <gtest/gtest.h>

#include <regex>

#include "station/ids.hpp"

namespace hotline::station {
namespace {

const std::regex uuid_shape("^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

char version_of(const std::string& id) {
  std::smatch m;
  return std::regex_match(id, m, uuid_shape) ? m[1].str()[0] : '?';
}

TEST(ids, uuid_v7_carries_its_time_first_and_is_well_formed) {
  const std::array<std::uint8_t, 10> r{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const std::string id = uuid_v7(0x0123456789ab, r);
  EXPECT_EQ(id.substr(0, 13), "01234567-89ab");
  EXPECT_EQ(version_of(id), '7');
  EXPECT_LT(uuid_v7(1'000, r), uuid_v7(1'001, {}));
  EXPECT_EQ(version_of(new_message_id()), '7');
}

TEST(ids, a_keyed_id_is_the_same_for_the_same_key_and_principal_only) {
  const std::string id = keyed_message_id("rok-fleet-command", "token:feeder", "track-0001");
  EXPECT_EQ(version_of(id), '8');
  EXPECT_EQ(id, keyed_message_id("rok-fleet-command", "token:feeder", "track-0001"));
  EXPECT_NE(id, keyed_message_id("rok-fleet-command", "token:feeder", "track-0002"));
  EXPECT_NE(id, keyed_message_id("rok-fleet-command", "user:feeder", "track-0001"));
  EXPECT_NE(id, keyed_message_id("ru-pacific-fleet", "token:feeder", "track-0001"));
  // The parts are separated, so they cannot be shifted from one into the next.
  EXPECT_NE(keyed_message_id("a", "bc", "d"), keyed_message_id("ab", "c", "d"));
}

}  // namespace
}  // namespace hotline::station
