/* mqtt-bench: the Hotline benchmark's job done with two bridged Mosquitto brokers.
 *
 * One process holds both clients, so sending and arrival are timed on one monotonic clock:
 *   - the publisher connects to broker A (site A) and publishes QoS 2 on hotline/a2b, with at
 *     most --window messages awaiting PUBCOMP (broker A's max_inflight_messages);
 *   - the subscriber connects to broker B (site B) with a persistent session (clean session
 *     off, fixed client id) and a QoS 2 subscription to hotline/#.
 * Broker A bridges hotline/# to broker B; the orchestrator (bench/orchestrate.py) starts the
 * brokers. Each 256-byte payload starts with a magic number and the message's sequence number.
 *
 * Modes: latency (paced at --rate), throughput (as fast as the window allows), cut (paced, and
 * at --cut-at-ms after the first send it sends SIGUSR1 to --cut-pid, the link relay), kill (the
 * same, but --cut-pid is the orchestrator, which then SIGKILLs broker B and starts it again on
 * the same config and persistence directory). Through a kill the subscriber reconnects by itself
 * (libmosquitto's loop thread, every second) and resumes its persistent session, if broker B
 * restored it from its last snapshot; --quiet-s ends the wait for the last messages once nothing
 * new has arrived for that long, so a message the broker lost does not hold the run for --drain-s.
 * Before the run, probe messages are published until one reaches B, so the bridge is up.
 * Prints one JSON object with the same keys as hotline-bench. */
#define _GNU_SOURCE
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { k_message_bytes = 256, k_header_bytes = 8 };
static const uint32_t k_magic_data = 0x484c4e44u;  /* "HLND" */
static const uint32_t k_magic_probe = 0x484c4e50u; /* "HLNP" */
static const int k_probe_timeout_s = 60;
static const int k_ack_timeout_s = 120;

struct options {
  const char* mode;
  const char* host;
  int pub_port, sub_port;
  long count, rate, window;
  int cut_pid;
  long cut_at_ms;
  long drain_s, settle_s, quiet_s;
  const char* json_out;
};

static struct options opt = {"latency", "127.0.0.1", 0, 0, 4000, 200, 20, 0, 3000, 120, 0, 0, NULL};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long outstanding;  /* QoS 2 publishes awaiting PUBCOMP */
static long received;     /* distinct data messages seen at B */
static long duplicated;   /* data deliveries of a sequence number already seen */
static bool probe_seen, sub_ready;
static long sub_connects;          /* CONNACKs accepted at B: 1 + the subscriber's reconnects */
static long sub_sessions_resumed;  /* reconnects on which B still had the subscriber's session */
static int64_t last_new_arrival;   /* when a sequence number last reached B for the first time */
static int64_t last_duplicate;     /* when the latest duplicate reached B (0: none) */
static int64_t* sent_ns;
static int64_t* arrival_ns;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t) {
  struct timespec ts = {t / 1000000000LL, t % 1000000000LL};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

/* Waits on cv until pred() holds or deadline (monotonic ns) passes; mu must be held. */
static bool wait_until(bool (*pred)(void), int64_t deadline) {
  while (!pred()) {
    if (now_ns() >= deadline) return false;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&cv, &mu, &ts);
  }
  return true;
}

static bool window_open(void) { return outstanding < opt.window; }
static bool drained(void) {
  return received == opt.count ||
         (opt.quiet_s > 0 && now_ns() - last_new_arrival >= opt.quiet_s * 1000000000LL);
}
static bool all_acked(void) { return outstanding == 0; }
static bool all_received(void) { return received == opt.count; }
static bool probe_arrived(void) { return probe_seen; }
static bool subscribed(void) { return sub_ready; }

static void on_publish(struct mosquitto* m, void* ud, int mid) {
  (void)m, (void)ud, (void)mid;
  pthread_mutex_lock(&mu);
  outstanding--;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

/* Also runs on each automatic reconnect: the subscription is made again (harmless when the
 * broker kept the session, needed when it did not). */
static void on_sub_connect(struct mosquitto* m, void* ud, int rc, int flags) {
  (void)ud;
  if (rc != 0) return;
  pthread_mutex_lock(&mu);
  if (sub_connects++ > 0 && (flags & 1)) sub_sessions_resumed++;
  pthread_mutex_unlock(&mu);
  mosquitto_subscribe(m, NULL, "hotline/#", 2);
}

static void on_subscribe(struct mosquitto* m, void* ud, int mid, int n, const int* granted) {
  (void)m, (void)ud, (void)mid, (void)n, (void)granted;
  pthread_mutex_lock(&mu);
  sub_ready = true;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void on_message(struct mosquitto* m, void* ud, const struct mosquitto_message* msg) {
  (void)m, (void)ud;
  int64_t t = now_ns();
  if (msg->payloadlen < k_header_bytes) return;
  uint32_t magic, seq;
  memcpy(&magic, msg->payload, 4);
  memcpy(&seq, (const char*)msg->payload + 4, 4);
  pthread_mutex_lock(&mu);
  if (magic == k_magic_probe) {
    probe_seen = true;
  } else if (magic == k_magic_data && seq < (uint32_t)opt.count) {
    if (arrival_ns[seq] >= 0) {
      duplicated++;
      last_duplicate = t;
    } else {
      arrival_ns[seq] = t;
      last_new_arrival = t;
      received++;
    }
  }
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

/* Publishes one QoS 2 message once the window has room; returns false on a client error. */
static bool publish(struct mosquitto* pub, uint32_t magic, uint32_t seq, const char* topic) {
  unsigned char payload[k_message_bytes];
  memset(payload, 'x', sizeof payload);
  memcpy(payload, &magic, 4);
  memcpy(payload + 4, &seq, 4);
  pthread_mutex_lock(&mu);
  if (!wait_until(window_open, now_ns() + k_ack_timeout_s * 1000000000LL)) {
    pthread_mutex_unlock(&mu);
    return false;
  }
  /* Counted before the call: the PUBCOMP callback may run before mosquitto_publish returns. */
  outstanding++;
  pthread_mutex_unlock(&mu);
  if (magic == k_magic_data) sent_ns[seq] = now_ns();
  int rc = mosquitto_publish(pub, NULL, topic, k_message_bytes, payload, 2, false);
  if (rc == MOSQ_ERR_SUCCESS) return true;
  fprintf(stderr, "mqtt-bench: publish: %s\n", mosquitto_strerror(rc));
  pthread_mutex_lock(&mu);
  outstanding--;
  pthread_mutex_unlock(&mu);
  return false;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double percentile(const double* sorted, long n, double p) {
  if (n == 0) return 0;
  long i = (long)(p * (double)(n - 1) + 0.5);
  return sorted[i < n ? i : n - 1];
}

static void report(long failures, bool complete) {
  double* lat = malloc(sizeof(double) * (size_t)opt.count);
  long n = 0;
  int64_t first_send = INT64_MAX, last_arrival = 0;
  pthread_mutex_lock(&mu);
  for (long i = 0; i < opt.count; i++) {
    if (arrival_ns[i] < 0 || sent_ns[i] < 0) continue;
    lat[n++] = (double)(arrival_ns[i] - sent_ns[i]) / 1e6;
    if (sent_ns[i] < first_send) first_send = sent_ns[i];
    if (arrival_ns[i] > last_arrival) last_arrival = arrival_ns[i];
  }
  long dup = duplicated;
  long reconnects = sub_connects > 0 ? sub_connects - 1 : 0, resumed = sub_sessions_resumed;
  /* How late the latest duplicate came, after the first send: against the settle time. */
  double last_dup_ms =
      last_duplicate > 0 && sent_ns[0] >= 0 ? (double)(last_duplicate - sent_ns[0]) / 1e6 : -1;
  pthread_mutex_unlock(&mu);
  qsort(lat, (size_t)n, sizeof(double), cmp_double);
  double secs = n > 0 ? (double)(last_arrival - first_send) / 1e9 : 0;
  char kill[160] = "";
  if (!strcmp(opt.mode, "kill")) {
    snprintf(kill, sizeof kill, ", \"kill_lost\": %ld, \"kill_duplicated\": %ld", opt.count - n,
             dup);
  }
  char buf[1024];
  snprintf(buf, sizeof buf,
           "{\"system\": \"mosquitto\", \"mode\": \"%s\", \"messages\": %ld, \"message_bytes\": %d, "
           "\"latency_p50_ms\": %.4f, \"latency_p99_ms\": %.4f, \"latency_max_ms\": %.4f, "
           "\"throughput_msgs_per_s\": %.1f, \"lost\": %ld, \"duplicated\": %ld, "
           "\"post_failures\": %ld, \"complete\": %s, \"window\": %ld, \"rate_msgs_per_s\": %ld, "
           "\"sub_reconnects\": %ld, \"sub_sessions_resumed\": %ld, \"last_duplicate_ms\": %.1f%s}",
           opt.mode, opt.count, k_message_bytes, percentile(lat, n, 0.50), percentile(lat, n, 0.99),
           percentile(lat, n, 1.0), secs > 0 ? (double)n / secs : 0, opt.count - n, dup, failures,
           complete ? "true" : "false", opt.window, strcmp(opt.mode, "throughput") ? opt.rate : 0,
           reconnects, resumed, last_dup_ms, kill);
  puts(buf);
  if (opt.json_out) {
    FILE* f = fopen(opt.json_out, "w");
    if (f) {
      fprintf(f, "%s\n", buf);
      fclose(f);
    }
  }
  free(lat);
}

static bool parse_args(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--mode")) opt.mode = v;
    else if (!strcmp(k, "--pub-port")) opt.pub_port = atoi(v);
    else if (!strcmp(k, "--sub-port")) opt.sub_port = atoi(v);
    else if (!strcmp(k, "--count")) opt.count = atol(v);
    else if (!strcmp(k, "--rate")) opt.rate = atol(v);
    else if (!strcmp(k, "--window")) opt.window = atol(v);
    else if (!strcmp(k, "--cut-pid")) opt.cut_pid = atoi(v);
    else if (!strcmp(k, "--cut-at-ms")) opt.cut_at_ms = atol(v);
    else if (!strcmp(k, "--drain-s")) opt.drain_s = atol(v);
    else if (!strcmp(k, "--settle-s")) opt.settle_s = atol(v);
    else if (!strcmp(k, "--quiet-s")) opt.quiet_s = atol(v);
    else if (!strcmp(k, "--json")) opt.json_out = v;
    else {
      fprintf(stderr, "mqtt-bench: unknown option %s\n", k);
      return false;
    }
  }
  return opt.pub_port > 0 && opt.sub_port > 0 && opt.count > 0 && opt.rate > 0 && opt.window > 0;
}

/* Publishes probes until one reaches B, so the measured run starts with the bridge up. */
static bool await_path(struct mosquitto* pub) {
  int64_t deadline = now_ns() + k_probe_timeout_s * 1000000000LL;
  pthread_mutex_lock(&mu);
  bool ok = wait_until(subscribed, deadline);
  pthread_mutex_unlock(&mu);
  while (ok) {
    if (!publish(pub, k_magic_probe, 0, "hotline/probe")) return false;
    pthread_mutex_lock(&mu);
    bool seen = wait_until(probe_arrived, now_ns() + 250000000LL);
    pthread_mutex_unlock(&mu);
    if (seen) break;
    if (now_ns() >= deadline) ok = false;
  }
  pthread_mutex_lock(&mu);
  ok = ok && wait_until(all_acked, deadline);
  pthread_mutex_unlock(&mu);
  return ok;
}

int main(int argc, char** argv) {
  if (!parse_args(argc, argv)) {
    fprintf(stderr,
            "usage: mqtt-bench --pub-port P --sub-port P [--mode latency|throughput|cut] "
            "[--count N] [--rate R] [--window W] [--cut-pid PID --cut-at-ms MS] [--settle-s S] "
            "[--drain-s S] [--quiet-s S] [--json FILE]\n");
    return 2;
  }
  bool paced = strcmp(opt.mode, "throughput") != 0;
  sent_ns = malloc(sizeof(int64_t) * (size_t)opt.count);
  arrival_ns = malloc(sizeof(int64_t) * (size_t)opt.count);
  for (long i = 0; i < opt.count; i++) sent_ns[i] = arrival_ns[i] = -1;

  mosquitto_lib_init();
  struct mosquitto* sub = mosquitto_new("hotline-bench-sub", false, NULL);
  struct mosquitto* pub = NULL;
  if (sub) {
    mosquitto_connect_with_flags_callback_set(sub, on_sub_connect);
    mosquitto_subscribe_callback_set(sub, on_subscribe);
    mosquitto_message_callback_set(sub, on_message);
    mosquitto_int_option(sub, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_reconnect_delay_set(sub, 1, 1, false);
    if (mosquitto_connect_async(sub, opt.host, opt.sub_port, 10) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(sub) != MOSQ_ERR_SUCCESS) {
      fprintf(stderr, "mqtt-bench: cannot connect to B\n");
      return 1;
    }
    pub = mosquitto_new("hotline-bench-pub", true, NULL);
  }
  if (!pub) return 1;
  mosquitto_publish_callback_set(pub, on_publish);
  mosquitto_max_inflight_messages_set(pub, (unsigned)opt.window);
  mosquitto_int_option(pub, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_reconnect_delay_set(pub, 1, 1, false);
  if (mosquitto_connect_async(pub, opt.host, opt.pub_port, 30) != MOSQ_ERR_SUCCESS ||
      mosquitto_loop_start(pub) != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "mqtt-bench: cannot connect to A\n");
    return 1;
  }
  if (!await_path(pub)) {
    fprintf(stderr, "mqtt-bench: no probe reached B within %d s\n", k_probe_timeout_s);
    return 1;
  }

  long failures = 0;
  bool cut_sent = opt.cut_pid <= 0;
  int64_t t0 = now_ns();
  for (long i = 0; i < opt.count; i++) {
    if (paced) sleep_until_ns(t0 + i * 1000000000LL / opt.rate);
    if (!cut_sent && now_ns() - t0 >= opt.cut_at_ms * 1000000LL) {
      cut_sent = true;
      if (kill(opt.cut_pid, SIGUSR1) != 0) perror("mqtt-bench: signal --cut-pid");
    }
    if (!publish(pub, k_magic_data, (uint32_t)i, "hotline/a2b")) failures++;
  }
  pthread_mutex_lock(&mu);
  bool acked = wait_until(all_acked, now_ns() + k_ack_timeout_s * 1000000000LL);
  /* The quiet period starts once A has acknowledged every publish, and again at each arrival. */
  last_new_arrival = now_ns();
  wait_until(drained, now_ns() + opt.drain_s * 1000000000LL);
  bool complete = all_received();
  pthread_mutex_unlock(&mu);
  if (!acked) fprintf(stderr, "mqtt-bench: %ld publishes never acknowledged\n", outstanding);
  /* Late duplicates (redeliveries after a reconnect) arrive after the last first delivery. */
  if (opt.settle_s > 0) sleep((unsigned)opt.settle_s);
  report(failures, complete && acked);

  mosquitto_disconnect(pub);
  mosquitto_disconnect(sub);
  mosquitto_loop_stop(pub, false);
  mosquitto_loop_stop(sub, false);
  mosquitto_destroy(pub);
  mosquitto_destroy(sub);
  mosquitto_lib_cleanup();
  return complete && acked && failures == 0 ? 0 : 1;
}
