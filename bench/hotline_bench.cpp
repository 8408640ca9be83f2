// hotline-bench: end-to-end latency and throughput between two real Hotline stations.
//
// It sets up the demo's two stations in a fresh directory, starts them as processes, and posts
// 256-byte messages at station A over keep-alive HTTP. A message counts as arrived when station
// B announces it on its WebSocket event stream, which B does only after the message is committed
// to its disk. Latency is from just before the POST is written to that announcement; both ends
// are timed with this process's monotonic clock.
//
// Modes: `latency` posts at a fixed rate on one connection; `throughput` posts as fast as
// `--concurrency` connections allow, `--batch` messages per request (an array, as a feeder
// with a burst posts; each message is still committed before it is answered); `cut` posts at a fixed rate while the link between the
// stations runs through bench/relay.py (both directions, since each station dials the other),
// and at --cut-at-ms it signals the relay to reset the link and refuse it for the relay's cut
// time; `kill` is the cut run's setup (rate, relay on the link) with another fault: at
// --kill-at-ms station B's process gets SIGKILL, and --down-ms later it is started again with
// the same command, config and data directory, while the posts to A go on. The event stream
// reader reconnects and catches up from B's inbox by cursor. Results go to stdout and, with
// --json, to a file.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ws = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr std::size_t message_bytes = 256;

struct options {
  std::string hotline = "build/bin/hotline";
  std::string mode = "latency";
  std::filesystem::path dir;
  int rate = 200;
  int count = 4000;
  int concurrency = 32;
  int batch = 1;  // messages per POST: an array of that many when over 1 (docs/api.md, "Batches")
  std::uint16_t port_base = 0;
  std::string json_out;
  std::string label = "hotline";
  std::string relay = "bench/relay.py";
  int cut_at_ms = 3000;
  int cut_ms = 5000;
  int settle_s = 2;
  int kill_at_ms = 3000;  // kill: when station B gets SIGKILL, after the first post
  int down_ms = 2000;     // kill: how long B stays down before it is started again
  bool journal = true;  // --journal off: both stations sign, check and journal nothing
  bool pipelined = true;  // --pipelined off: each station sends a message after its commit
};

constexpr auto relay_ready_timeout = std::chrono::seconds(10);
constexpr auto arrival_timeout = std::chrono::seconds(120);
// How long the event stream reader keeps trying to reach B again (B restarting after a kill).
constexpr auto reconnect_timeout = std::chrono::seconds(60);
// How long a restarted station has to answer on its API port.
constexpr auto restart_timeout = std::chrono::seconds(20);

struct station {
  std::string id;
  std::string host = "127.0.0.1";
  std::string port;
  std::string token;
  pid_t pid = -1;
  std::vector<std::string> args;  // the command it was started with, to start it again
};

std::int64_t since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count();
}

station read_env(const std::filesystem::path& dir, const std::string& id) {
  station s;
  s.id = id;
  std::ifstream in(dir / (id + ".env"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("HOTLINE_ADDR=", 0) == 0) s.port = line.substr(line.rfind(':') + 1);
    if (line.rfind("HOTLINE_TOKEN=", 0) == 0) s.token = line.substr(14);
  }
  return s;
}

pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

class http_client {
 public:
  explicit http_client(const station& s) : s_(s), stream_(io_) {
    tcp::resolver r(io_);
    stream_.connect(r.resolve(s.host, s.port));
    stream_.socket().set_option(tcp::no_delay(true));
  }
  http::response<http::string_body> request(http::verb verb, const std::string& target,
                                            const std::string& body = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, s_.host);
    req.set(http::field::authorization, "Bearer " + s_.token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    http::write(stream_, req);
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res);
    return res;
  }

 private:
  const station& s_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// Calls `each` with every inbound message stored at B after `after`, oldest first, paging by
// cursor through GET /api/v1/messages.
void list_inbox(const station& b, std::int64_t after, const std::function<void(const json&)>& each) {
  http_client c(b);
  for (;;) {
    auto res = c.request(http::verb::get, "/api/v1/messages?box=in&channel=navy&limit=1000&after=" +
                                              std::to_string(after));
    auto page = json::parse(res.body(), nullptr, false);
    if (!page.is_object() || !page["messages"].is_array()) throw std::runtime_error("bad inbox page");
    if (page["messages"].empty()) return;
    for (const auto& m : page["messages"]) each(m);
    after = page.value("next_after", after);
  }
}

// The bench index of a message whose text is "bench <index> ...", if it is one.
std::optional<std::size_t> bench_index(const json& m) {
  std::size_t idx = 0;
  if (m.value("box", "") != "in") return std::nullopt;
  if (std::sscanf(m.value("text", "").c_str(), "bench %zu", &idx) != 1) return std::nullopt;
  return idx;
}

// Reads B's event stream and stamps each inbound bench message's arrival. B drops an event
// stream that falls 4096 events behind (which a reader sharing two busy cores can); the recorder
// then reconnects and catches up from B's inbox, marking what it caught up as untimed, so those
// messages count as delivered but stay out of the latency figures.
class arrival_recorder {
 public:
  arrival_recorder(const station& b, clock_type::time_point t0, std::size_t expected)
      : b_(b), t0_(t0), arrivals_(expected, -1), timed_(expected, false) {
    connect();
    thread_ = std::thread([this] { run(); });
  }
  ~arrival_recorder() {
    stop_ = true;
    {
      // shutdown, not close: closing the descriptor does not wake a read blocked in another
      // thread, which then waited for B's idle timeout (about 30 s) before the run could end.
      std::lock_guard lock(mu_);
      beast::error_code ec;
      ws_->next_layer().shutdown(tcp::socket::shutdown_both, ec);
    }
    if (thread_.joinable()) thread_.join();
  }
  bool wait_all(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_ == arrivals_.size(); });
  }
  // First arrival per index (-1: none), and whether it was timed from the event stream.
  std::pair<std::vector<std::int64_t>, std::vector<bool>> arrivals() {
    std::lock_guard lock(mu_);
    return {arrivals_, timed_};
  }
  std::size_t reconnects() const { return reconnects_; }
  // Messages counted from B's inbox after a reconnect rather than from an event.
  std::size_t caught_up() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (std::size_t i = 0; i < arrivals_.size(); ++i) n += arrivals_[i] >= 0 && !timed_[i];
    return n;
  }

 private:
  void connect() {
    // Only this thread reads the stream; the destructor shuts it down under mu_ to end a read.
    ws::stream<tcp::socket>* stream = nullptr;
    {
      std::lock_guard lock(mu_);
      ws_ = std::make_unique<ws::stream<tcp::socket>>(io_);
      stream = ws_.get();
    }
    tcp::resolver r(io_);
    auto ep = asio::connect(stream->next_layer(), r.resolve(b_.host, b_.port));
    stream->set_option(ws::stream_base::decorator([this](ws::request_type& req) {
      req.set(http::field::authorization, "Bearer " + b_.token);
    }));
    stream->handshake(b_.host + ":" + std::to_string(ep.port()), "/api/v1/events");
  }

  // After the stream ends (B dropped a slow reader, or B's process was killed and is starting
  // again), it reconnects, trying for up to reconnect_timeout, then catches up from B's inbox
  // with the last cursor it saw: a message B stored while no stream was open is still counted.
  void run() {
    while (!stop_) {
      read_events();
      if (stop_) return;
      ++reconnects_;
      const auto deadline = clock_type::now() + reconnect_timeout;
      for (;;) {
        try {
          connect();  // B subscribes the new stream before answering, so nothing falls between.
          std::int64_t after;
          {
            std::lock_guard lock(mu_);
            after = last_cursor_;
          }
          list_inbox(b_, after, [this](const json& m) { record(m, since(t0_), false); });
          break;
        } catch (const std::exception& e) {
          if (stop_) return;
          if (clock_type::now() >= deadline) {
            std::cerr << "event stream lost: " << e.what() << "\n";
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    }
  }

  void read_events() {
    beast::flat_buffer buf;
    while (!stop_) {
      beast::error_code ec;
      ws_->read(buf, ec);
      if (ec) return;
      std::int64_t t = since(t0_);
      auto ev = json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
      buf.consume(buf.size());
      if (ev.is_object() && ev.value("type", "") == "message") record(ev["message"], t, true);
    }
  }

  // Invariant: a stored message (one cursor at B) is counted once, however many events or
  // inbox pages mention it; the same bench index under two cursors is a duplicate.
  void record(const json& m, std::int64_t t, bool timed) {
    auto idx = bench_index(m);
    if (!idx || *idx >= arrivals_.size()) return;
    std::int64_t cursor = m.value("cursor", std::int64_t{-1});
    std::lock_guard lock(mu_);
    if (!cursors_.insert(cursor).second) return;
    last_cursor_ = std::max(last_cursor_, cursor);
    if (arrivals_[*idx] >= 0) return;
    arrivals_[*idx] = t;
    timed_[*idx] = timed;
    if (++received_ == arrivals_.size()) cv_.notify_all();
  }

  station b_;
  clock_type::time_point t0_;
  std::vector<std::int64_t> arrivals_;
  std::vector<bool> timed_;
  std::set<std::int64_t> cursors_;
  std::int64_t last_cursor_ = 0;
  std::size_t received_ = 0;
  std::atomic<std::size_t> reconnects_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  asio::io_context io_;
  std::unique_ptr<ws::stream<tcp::socket>> ws_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// Lost and duplicated as stored at B: every bench index in B's inbox, counted once per copy.
std::pair<std::size_t, std::size_t> stored_at_b(const station& b, std::size_t count) {
  std::vector<std::size_t> copies(count, 0);
  list_inbox(b, 0, [&](const json& m) {
    if (auto idx = bench_index(m); idx && *idx < count) ++copies[*idx];
  });
  std::size_t lost = 0, duplicated = 0;
  for (auto c : copies) {
    if (c == 0) ++lost;
    if (c > 1) duplicated += c - 1;
  }
  return {lost, duplicated};
}

std::string bench_body(std::size_t i) {
  std::string text = "bench " + std::to_string(i) + " ";
  text.resize(message_bytes, 'x');
  return json{{"channel", "navy"}, {"precedence", "routine"}, {"text", text}}.dump();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

long peak_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// User plus system CPU time of a live process so far, in microseconds; -1 if unreadable.
long long cpu_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 1));
  std::string f;
  long long utime = -1, stime = -1;
  // After the command: state is field 3 of stat(5); utime and stime are 14 and 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
  }
  if (utime < 0 || stime < 0) return -1;
  return (utime + stime) * 1'000'000 / sysconf(_SC_CLK_TCK);
}

bool wait_link_up(const station& a, std::chrono::seconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline) {
    try {
      http_client c(a);
      auto res = c.request(http::verb::get, "/api/v1/status");
      auto j = json::parse(res.body(), nullptr, false);
      if (j.is_object() && !j["channels"].empty() && j["channels"][0].value("link_up", false)) {
        return true;
      }
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Posts messages [first, last) on one connection, `batch` at a time (consecutive indices of this
// connection's stride), spacing the requests `interval` apart (0: no wait).
void post_range(const station& a, std::size_t first, std::size_t last, std::size_t stride,
                std::size_t batch, clock_type::time_point t0, std::chrono::nanoseconds interval,
                std::vector<std::int64_t>& sent, std::atomic<std::size_t>& failures) {
  http_client c(a);
  auto start = clock_type::now();
  std::size_t n = 0;
  for (std::size_t i = first; i < last; ++n) {
    if (interval.count() > 0) std::this_thread::sleep_until(start + interval * n);
    std::vector<std::size_t> ids;
    std::string body;
    for (; i < last && ids.size() < batch; i += stride) {
      body += (body.empty() ? "" : ",") + bench_body(i);
      ids.push_back(i);
    }
    if (batch > 1) body = "[" + body + "]";
    const std::int64_t at = since(t0);
    for (std::size_t id : ids) sent[id] = at;
    auto res = c.request(http::verb::post, "/api/v1/messages", body);
    if (batch == 1) {
      if (res.result() != http::status::created) ++failures;
      continue;
    }
    const json answer = json::parse(res.body(), nullptr, false);
    if (res.result() != http::status::ok || !answer.is_object()) {
      failures += ids.size();
      continue;
    }
    failures += answer.value("failed", ids.size());
  }
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Puts bench/relay.py on the peer link in both directions. The agreement's address for each
// station (where the other one dials) becomes a relay port, and each station binds its real
// port through `listen.peer` in its own config. Returns the relay's PID.
pid_t insert_relay(const options& o, const station& a, const station& b) {
  auto agreement_path = o.dir / "agreement.toml";
  std::istringstream in(read_file(agreement_path));
  std::map<std::string, std::string> real;  // station id -> "host:port" it must bind
  std::string line, current, rewritten;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    if (line.rfind("id = \"", 0) == 0) current = line.substr(6, line.size() - 7);
    if (line.rfind("primary = \"", 0) == 0) real[current] = line.substr(11, line.size() - 12);
    lines.push_back(line);
  }
  if (!real.contains(a.id) || !real.contains(b.id)) throw std::runtime_error("no peer addresses");
  auto ready = o.dir / "relay.json";
  pid_t pid = spawn({"python3", o.relay, "--to", real[a.id], "--to", real[b.id], "--ready",
                     ready.string(), "--cut-ms", std::to_string(o.cut_ms)},
                    o.dir / "relay.log");
  if (pid < 0) throw std::runtime_error("cannot start the relay");
  auto deadline = clock_type::now() + relay_ready_timeout;
  while (!std::filesystem::exists(ready) && clock_type::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto ports = json::parse(read_file(ready), nullptr, false);
  if (!ports.is_object() || ports["ports"].size() != 2) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    throw std::runtime_error("relay did not start");
  }
  std::map<std::string, std::string> relayed{
      {a.id, "127.0.0.1:" + std::to_string(ports["ports"][0].get<int>())},
      {b.id, "127.0.0.1:" + std::to_string(ports["ports"][1].get<int>())}};
  for (const auto& l : lines) {
    if (l.rfind("id = \"", 0) == 0) current = l.substr(6, l.size() - 7);
    rewritten += l.rfind("primary = \"", 0) == 0 ? "primary = \"" + relayed[current] + "\"" : l;
    rewritten += "\n";
  }
  std::ofstream(agreement_path) << rewritten;
  for (const station* s : {&a, &b}) {
    auto path = o.dir / s->id / "station.toml";
    std::string cfg = read_file(path);
    auto at = cfg.find("[listen]\n");
    if (at == std::string::npos) throw std::runtime_error("no [listen] in " + path.string());
    cfg.insert(at + 9, "peer = [\"" + real[s->id] + "\"]\n");
    std::ofstream(path) << cfg;
  }
  return pid;
}

void stop(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

// Whether the station accepts TCP connections on its API port now.
bool accepts(const station& s) {
  try {
    asio::io_context io;
    tcp::socket sock(io);
    tcp::resolver r(io);
    asio::connect(sock, r.resolve(s.host, s.port));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// The kill scenario's fault. At `at` it reads station B's peak RSS and CPU time, sends B's
// process SIGKILL and reaps it; `down` later it starts B again with the same command (same
// config, so the same ports and data directory) and waits up to restart_timeout for B's API
// port. It writes b.pid (-1 while B is down), so b.pid is read only after join(). The
// destructor wakes and joins it; a run that ends early leaves B down rather than restart it.
class station_killer {
 public:
  station_killer(station& b, std::filesystem::path log, clock_type::time_point t0,
                 std::chrono::milliseconds at, std::chrono::milliseconds down)
      : b_(b), log_(std::move(log)), t0_(t0), at_(at), down_(down) {
    thread_ = std::thread([this] { run(); });
  }
  ~station_killer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    join();
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // After join(): what happened, in ms since the first post, and B's figures before the kill.
  bool ok() const { return ok_; }
  json report() const {
    return {{"killed_at_ms", killed_at_ms_},
            {"restarted_at_ms", restarted_at_ms_},
            {"b_api_up_at_ms", up_at_ms_},
            {"down_ms", down_.count()}};
  }
  long peak_rss_kb_before() const { return peak_rss_kb_; }
  long long cpu_us_before() const { return cpu_us_; }

 private:
  // Sleeps until t; false if stopped first.
  bool sleep_until(clock_type::time_point t) {
    std::unique_lock lock(mu_);
    return !cv_.wait_until(lock, t, [this] { return stop_; });
  }
  double ms_now() const { return static_cast<double>(since(t0_)) / 1e6; }

  void run() {
    if (!sleep_until(t0_ + at_)) return;
    peak_rss_kb_ = peak_rss_kb(b_.pid);
    cpu_us_ = cpu_us(b_.pid);
    if (b_.pid <= 0 || ::kill(b_.pid, SIGKILL) != 0) {
      std::cerr << "kill: cannot signal station B\n";
      return;
    }
    ::waitpid(b_.pid, nullptr, 0);
    b_.pid = -1;  // reaped: its number may be reused, so it must not be signalled again
    killed_at_ms_ = ms_now();
    std::cerr << "kill: station B SIGKILLed at " << killed_at_ms_ << " ms\n";
    if (!sleep_until(clock_type::now() + down_)) return;
    b_.pid = spawn(b_.args, log_);
    if (b_.pid < 0) {
      std::cerr << "kill: cannot start station B again\n";
      return;
    }
    restarted_at_ms_ = ms_now();
    const auto deadline = clock_type::now() + restart_timeout;
    while (!accepts(b_)) {
      int status = 0;
      if (::waitpid(b_.pid, &status, WNOHANG) == b_.pid) {
        b_.pid = -1;
        std::cerr << "kill: restarted station B exited (status " << status << ")\n";
        return;
      }
      if (clock_type::now() >= deadline ||
          !sleep_until(clock_type::now() + std::chrono::milliseconds(50))) {
        std::cerr << "kill: restarted station B is not answering\n";
        return;
      }
    }
    up_at_ms_ = ms_now();
    std::cerr << "kill: station B started again at " << restarted_at_ms_ << " ms, API up at "
              << up_at_ms_ << " ms\n";
    ok_ = true;
  }

  station& b_;
  std::filesystem::path log_;
  clock_type::time_point t0_;
  std::chrono::milliseconds at_, down_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool ok_ = false;
  double killed_at_ms_ = -1, restarted_at_ms_ = -1, up_at_ms_ = -1;
  long peak_rss_kb_ = -1;
  long long cpu_us_ = -1;
  std::thread thread_;
};

int run(const options& o) {
  std::filesystem::remove_all(o.dir);
  std::filesystem::create_directories(o.dir);
  std::string setup = o.hotline + " demo --dir " + o.dir.string() + " --port-base " +
                      std::to_string(o.port_base) + " --setup-only > /dev/null";
  if (std::system(setup.c_str()) != 0) {
    std::cerr << "setup failed\n";
    return 1;
  }
  if (!o.journal) {
    // Measuring the journal's cost only: a station configured so proves nothing.
    for (const char* id : {"rok-fleet-command", "ru-pacific-fleet"}) {
      const auto path = o.dir / id / "station.toml";
      std::string cfg = read_file(path);
      const auto at = cfg.find("[journal]\n");
      if (at == std::string::npos) throw std::runtime_error("no [journal] in " + path.string());
      cfg.insert(at + 10, "enabled = false\n");
      std::ofstream(path) << cfg;
    }
  }
  if (!o.pipelined) {
    // Measuring what pipelined durability buys: the sender waits for its own commit.
    for (const char* id : {"rok-fleet-command", "ru-pacific-fleet"}) {
      const auto path = o.dir / id / "station.toml";
      std::ofstream(path, std::ios::app) << "\n[link]\npipelined = false\n";
    }
  }
  station a = read_env(o.dir, "rok-fleet-command");
  station b = read_env(o.dir, "ru-pacific-fleet");
  pid_t relay = -1;
  // The kill run keeps the cut run's relay on the link (not signalled), so only the fault differs.
  const bool kill_mode = o.mode == "kill";
  if (o.mode == "cut" || kill_mode) {
    try {
      relay = insert_relay(o, a, b);
    } catch (const std::exception& e) {
      std::cerr << "bench failed: " << e.what() << "\n";
      return 1;
    }
  }
  for (station* s : {&a, &b}) {
    s->args = {o.hotline, "station", "--config", (o.dir / s->id / "station.toml").string()};
    s->pid = spawn(s->args, o.dir / (s->id + ".log"));
  }
  int rc = 1;
  try {
    if (!wait_link_up(a, std::chrono::seconds(30))) throw std::runtime_error("link never came up");
    auto count = static_cast<std::size_t>(o.count);
    auto t0 = clock_type::now();
    arrival_recorder rec(b, t0, count);
    std::vector<std::int64_t> sent(count, -1);
    std::atomic<std::size_t> failures{0};
    std::vector<std::thread> workers;
    // Latency uses one connection. A cut run must keep up the full rate, and one connection
    // posts one message at a time, so it spreads the rate over --concurrency connections.
    bool paced = o.mode != "throughput";
    std::size_t conns = o.mode == "latency" ? 1 : static_cast<std::size_t>(o.concurrency);
    auto interval = paced ? std::chrono::nanoseconds(1'000'000'000 / o.rate)
                          : std::chrono::nanoseconds(0);
    std::thread cutter;
    if (relay > 0 && !kill_mode) {
      cutter = std::thread([&o, relay, t0] {
        std::this_thread::sleep_until(t0 + std::chrono::milliseconds(o.cut_at_ms));
        ::kill(relay, SIGUSR1);
      });
    }
    std::optional<station_killer> killer;
    if (kill_mode) {
      killer.emplace(b, o.dir / (b.id + ".log"), t0, std::chrono::milliseconds(o.kill_at_ms),
                     std::chrono::milliseconds(o.down_ms));
    }
    for (std::size_t k = 0; k < conns; ++k) {
      workers.emplace_back([&, k] {
        post_range(a, k, count, conns, static_cast<std::size_t>(std::max(o.batch, 1)), t0,
                   interval * static_cast<long>(conns), sent, failures);
      });
    }
    for (auto& t : workers) t.join();
    if (cutter.joinable()) cutter.join();
    // B is killed even if the posts ended first; b.pid is read only after this.
    if (killer) killer->join();
    bool complete = rec.wait_all(arrival_timeout);
    // Late duplicates (redeliveries after a reconnect) arrive after the last first delivery.
    if (o.mode == "cut" || kill_mode) std::this_thread::sleep_for(std::chrono::seconds(o.settle_s));
    auto [arrivals, timed] = rec.arrivals();
    std::vector<double> lat_ms;
    std::int64_t first_send = INT64_MAX, last_arrival = 0;
    std::size_t delivered = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (arrivals[i] < 0) continue;
      ++delivered;
      if (timed[i]) lat_ms.push_back(static_cast<double>(arrivals[i] - sent[i]) / 1e6);
      first_send = std::min(first_send, sent[i]);
      last_arrival = std::max(last_arrival, arrivals[i]);
    }
    // Lost and duplicated are counted from what B stored, not from the event stream.
    auto [lost, duplicated] = stored_at_b(b, count);
    double secs = static_cast<double>(last_arrival - first_send) / 1e9;
    // Both stations' CPU time over their whole run, per message delivered (B's both lives in a
    // kill run).
    const long long cpu_a = cpu_us(a.pid);
    long long cpu_b = cpu_us(b.pid);
    if (killer && cpu_b >= 0) {
      cpu_b = killer->cpu_us_before() < 0 ? -1 : cpu_b + killer->cpu_us_before();
    }
    const long rss_a = peak_rss_kb(a.pid);
    const long rss_b = std::max(peak_rss_kb(b.pid), killer ? killer->peak_rss_kb_before() : -1L);
    const json cpu_per_msg = cpu_a < 0 || cpu_b < 0 || delivered == 0
                                 ? json(nullptr)
                                 : json(static_cast<double>(cpu_a + cpu_b) /
                                        static_cast<double>(delivered));
    json out{{"system", o.label},
             {"mode", o.mode},
             {"messages", count},
             {"message_bytes", message_bytes},
             {"batch", o.batch},
             {"latency_p50_ms", percentile(lat_ms, 0.50)},
             {"latency_p99_ms", percentile(lat_ms, 0.99)},
             {"latency_max_ms", percentile(lat_ms, 1.0)},
             {"latency_samples", lat_ms.size()},
             {"event_stream_reconnects", rec.reconnects()},
             {"throughput_msgs_per_s", secs > 0 ? static_cast<double>(delivered) / secs : 0},
             {"lost", lost},
             {"duplicated", duplicated},
             {"post_failures", failures.load()},
             {"cpu_us_per_msg", cpu_per_msg},
             {"peak_rss_mb_a", static_cast<double>(rss_a) / 1024.0},
             {"peak_rss_mb_b", static_cast<double>(rss_b) / 1024.0},
             {"peak_rss_mb", static_cast<double>(std::max(rss_a, rss_b)) / 1024.0},
             {"complete", complete}};
    if (killer) {
      // Counted, like lost and duplicated, from what B stored; caught_up_from_inbox says how
      // many of the messages the reader saw it found by listing B's inbox after a reconnect.
      out["kill_lost"] = lost;
      out["kill_duplicated"] = duplicated;
      out["kill"] = killer->report();
      out["caught_up_from_inbox"] = rec.caught_up();
      out["kill_ok"] = killer->ok();
      complete = complete && killer->ok();
      out["complete"] = complete;
    }
    if (paced) out["rate_msgs_per_s"] = o.rate;
    out["connections"] = conns;
    std::cout << out.dump() << std::endl;
    if (!o.json_out.empty()) std::ofstream(o.json_out) << out.dump(2) << "\n";
    rc = complete && failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench failed: " << e.what() << "\n";
  }
  for (station* s : {&a, &b}) stop(s->pid);
  stop(relay);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  o.dir = std::filesystem::temp_directory_path() / ("hotline-bench-" + std::to_string(::getpid()));
  bool own_dir = true;  // A --dir given by the caller is left in place, logs and all.
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--hotline") o.hotline = v;
    else if (k == "--mode") o.mode = v;
    else if (k == "--dir") o.dir = v, own_dir = false;
    else if (k == "--rate") o.rate = std::stoi(v);
    else if (k == "--count") o.count = std::stoi(v);
    else if (k == "--concurrency") o.concurrency = std::stoi(v);
    else if (k == "--batch") o.batch = std::stoi(v);
    else if (k == "--port-base") o.port_base = static_cast<std::uint16_t>(std::stoi(v));
    else if (k == "--json") o.json_out = v;
    else if (k == "--label") o.label = v;
    else if (k == "--relay") o.relay = v;
    else if (k == "--cut-at-ms") o.cut_at_ms = std::stoi(v);
    else if (k == "--cut-ms") o.cut_ms = std::stoi(v);
    else if (k == "--settle-s") o.settle_s = std::stoi(v);
    else if (k == "--kill-at-ms") o.kill_at_ms = std::stoi(v);
    else if (k == "--down-ms") o.down_ms = std::stoi(v);
    else if (k == "--journal") o.journal = v != "off";
    else if (k == "--pipelined") o.pipelined = v != "off";
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (o.port_base == 0) o.port_base = static_cast<std::uint16_t>(20000 + (::getpid() % 20000));
  int rc = run(o);
  if (own_dir) std::filesystem::remove_all(o.dir);
  return rc;
}
