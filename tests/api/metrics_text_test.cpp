// The Prometheus exposition of a synthetic status and counters: the shape promtool and
// Prometheus rely on (HELP and TYPE before samples, cumulative buckets ending at +Inf, escaped
// label values, a sample for every channel from the start).
#include "api/metrics_text.hpp"

#include <gtest/gtest.h>

namespace hotline::api {
namespace {

station::status_snapshot two_channels() {
  station::status_snapshot s;
  s.station = "rok";
  s.agreement_hash = "sha256:00";
  s.started_at_ms = 1'700'000'000'000;
  station::channel_view navy;
  navy.core.channel = "navy";
  navy.core.link_up = true;
  navy.core.rtt_us = 1500;
  navy.core.out_next_seq = 8;
  navy.core.in_next_expected = 3;
  navy.core.paths = {{"primary", true, true, 1500, 0}};
  station::channel_view odd;
  odd.core.channel = "a\"b\\c\nd";  // a label value the format must escape
  s.channels = {navy, odd};
  return s;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(metrics_text, channel_figures_and_escaped_labels) {
  station::metrics_snapshot m;
  const std::string t = render_metrics(two_channels(), m, 0);
  EXPECT_TRUE(has_line(t, "hotline_link_up{channel=\"navy\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "hotline_link_rtt_seconds{channel=\"navy\"} 0.0015")) << t;
  EXPECT_TRUE(has_line(t, "hotline_sent_messages_total{channel=\"navy\"} 7")) << t;
  EXPECT_TRUE(has_line(t, "hotline_received_messages_total{channel=\"navy\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "hotline_path_up{channel=\"navy\",path=\"primary\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "hotline_link_up{channel=\"a\\\"b\\\\c\\nd\"} 0")) << t;
  // No round trip measured: no sample rather than a made-up value.
  EXPECT_EQ(t.find("hotline_link_rtt_seconds{channel=\"a"), std::string::npos);
}

TEST(metrics_text, every_channel_has_escalation_counters_from_the_start) {
  station::metrics_snapshot m;
  m.counters.escalations_by_channel["navy"] = 2;
  const std::string t = render_metrics(two_channels(), m, 5);
  EXPECT_TRUE(has_line(t, "hotline_escalations_total{channel=\"navy\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "hotline_missed_link_tests_total{channel=\"navy\"} 0")) << t;
  EXPECT_TRUE(has_line(t, "hotline_login_failures_total 5")) << t;
}

TEST(metrics_text, histograms_are_cumulative_and_end_at_inf) {
  station::metrics_snapshot m;
  m.counters.commit_seconds.observe(0.0007);
  m.counters.commit_seconds.observe(0.003);
  m.counters.commit_seconds.observe(9);
  const std::string t = render_metrics(two_channels(), m, 0);
  EXPECT_TRUE(has_line(t, "# TYPE hotline_commit_seconds histogram")) << t;
  EXPECT_TRUE(has_line(t, "hotline_commit_seconds_bucket{le=\"0.0005\"} 0")) << t;
  EXPECT_TRUE(has_line(t, "hotline_commit_seconds_bucket{le=\"0.001\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "hotline_commit_seconds_bucket{le=\"0.005\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "hotline_commit_seconds_bucket{le=\"+Inf\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "hotline_commit_seconds_count 3")) << t;
  // Every family is declared before its first sample.
  EXPECT_LT(t.find("# TYPE hotline_link_up gauge"), t.find("hotline_link_up{"));
}

}  // namespace
}  // namespace hotline::api
