// The two-station demo: the navy hotline of the 2021 memorandum, on loopback.
//
// It writes everything a real pair of stations needs (keys, the agreement with both
// fingerprints, each station's config, API tokens, and an env file per station for the CLI),
// makes a duty officer, an auditor, a translator and a supervisor at each station with fresh
// random passwords (printed, and kept in DIR/<station>.users, mode 0600), then starts both
// stations as separate processes and stops them cleanly on Ctrl-C. When the source tree's built
// console (web/dist, found from the executable's path) exists, each station serves it.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/user_commands.hpp"
#include "config/keys.hpp"
#include "station/entry.hpp"
#include "storage/passwords.hpp"

extern char** environ;

namespace hotline::station {
namespace {

// The demo's random passwords are longer than the minimum so they are never the weak point.
constexpr std::size_t demo_password_length = 16;

struct demo_user {
  std::string name;
  std::string role;
  std::string password;
};

struct demo_station {
  std::string id;
  std::string name;
  std::string language;
  std::string timezone;
  std::uint16_t peer_port = 0;
  std::uint16_t api_port = 0;
  std::string fingerprint;
  std::string token;
  // A duty officer, an auditor, and a translator with the supervisor who certifies their work.
  std::array<demo_user, 4> users;
  std::string signing_key = {};     // the public half, "ed25519:..."
  // Its scheme's ceiling; the demo's users and token are cleared to it, to read all it carries.
  std::string ceiling = {};
};

bool write_file(const std::filesystem::path& p, const std::string& text, mode_t mode) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  return ok && ::chmod(p.c_str(), mode) == 0;
}

// Keys are kept across runs so the demo's stations keep their identities and their stores.
result<std::string> ensure_identity(const std::filesystem::path& dir, const std::string& station) {
  if (std::filesystem::exists(dir / "tls.key")) return config::certificate_fingerprint(dir / "tls.crt");
  auto id = config::generate_tls_identity(dir, station);
  if (!id) return std::unexpected(id.error());
  return id->fingerprint;
}

result<std::string> ensure_signing_key(const std::filesystem::path& dir) {
  auto key = std::filesystem::exists(dir / "signing.key")
                 ? config::load_signing_key(dir / "signing.key")
                 : config::generate_signing_key(dir);
  if (!key) return std::unexpected(key.error());
  return signing::encode_public_key(key->public_half());
}

// Each side's markings in its own language, paired, with the ceiling above which nothing goes on
// a hotline (docs/agreement.md, "Handling labels"). ROK is s[0], Russia s[1].
std::string labels_toml(const std::array<demo_station, 2>& s) {
  std::ostringstream o;
  o << "\n# Handling labels: each side's markings, lowest first, and the pairs both accepted.\n"
       "[[labels.schemes]]\nid = \"rok\"\nstations = [\""
    << s[0].id
    << "\"]\nceiling = \"" << s[0].ceiling << "\"\ndefault = \"rok-unclassified\"\nmarkings = [\n"
       "  { id = \"rok-unclassified\", names = { ko = \"일반\", en = \"Unclassified\" } },\n"
       "  { id = \"rok-restricted\", names = { ko = \"대외비\", en = \"Restricted\" } },\n"
       "  { id = \"rok-secret\", names = { ko = \"비밀\", en = \"Secret\" } },\n]\n"
       "[labels.schemes.form_defaults]\nMISSILE-LAUNCH-NOTICE = \"rok-restricted\"\n\n"
       "[[labels.schemes]]\nid = \"ru\"\nstations = [\""
    << s[1].id
    << "\"]\nceiling = \"" << s[1].ceiling << "\"\ndefault = \"ru-unclassified\"\nmarkings = [\n"
       "  { id = \"ru-unclassified\", names = { ru = \"несекретно\", en = \"Unclassified\" } },\n"
       "  { id = \"ru-dsp\", names = { ru = \"для служебного пользования\", en = \"For official "
       "use\" } },\n"
       "  { id = \"ru-secret\", names = { ru = \"секретно\", en = \"Secret\" } },\n]\n"
       "[labels.schemes.form_defaults]\nMISSILE-LAUNCH-NOTICE = \"ru-dsp\"\n\n"
       "[[labels.equivalences]]\nmarkings = [\"rok-unclassified\", \"ru-unclassified\"]\n\n"
       "[[labels.equivalences]]\nmarkings = [\"rok-restricted\", \"ru-dsp\"]\n\n"
       "[[labels.caveats]]\nid = \"embargo\"\nkind = \"embargo\"\n"
       "names = { ko = \"공개 금지 시한\", ru = \"не для опубликования до\", en = \"Not for release "
       "before\" }\n\n"
       "[[labels.caveats]]\nid = \"releasable-to\"\nkind = \"releasable-to\"\n"
       "names = { ko = \"제공 허용\", ru = \"разрешено передавать\", en = \"Releasable to\" }\n\n"
       "[[labels.caveats]]\nid = \"no-forward\"\nkind = \"no-forward\"\n"
       "names = { ko = \"제3자 전달 금지\", ru = \"третьим сторонам не передавать\", en = \"No "
       "forwarding to third parties\" }\n\n"
       "[[labels.organisations]]\nid = \"rok-mnd\"\nnames = { ko = \"국방부\", ru = "
       "\"Министерство национальной обороны Республики Корея\", en = \"ROK Ministry of National "
       "Defense\" }\n\n"
       "[[labels.organisations]]\nid = \"ru-mod\"\nnames = { ko = \"러시아 국방부\", ru = "
       "\"Министерство обороны Российской Федерации\", en = \"Russian Ministry of Defence\" }\n";
  return o.str();
}

std::string agreement_toml(const std::array<demo_station, 2>& s, const std::string& hotline) {
  std::ostringstream o;
  o << "# Demonstration agreement: the " << hotline
    << " hotline of the 2021 ROK-Russia memorandum.\n"
       "# Written by `hotline demo`; both stations load this same file.\n\n"
       "[agreement]\nid = \"demo-"
    << hotline << "-hotline\"\ntitle = \"" << s[0].name << " and " << s[1].name
    << " (demonstration)\"\n"
       "version = 1\n\n[link]\nheartbeat_interval_ms = 250\nheartbeat_misses_max = 3\n\n"
       "# Allied handling times; a message not acknowledged in time escalates.\n"
       "[deadlines]\nflash_minutes = 10\nimmediate_minutes = 30\npriority_minutes = 180\n"
       "routine_minutes = 360\nurgent_words_max = 200\n\n"
       "# A person at the other desk answers each link test.\n"
       "[link_tests]\nevery_minutes = 60\nanswer_within_minutes = 10\n\n"
       "[forms]\ncatalog = \"hotline-forms\"\n";
  for (const auto& st : s) {
    o << "\n[[stations]]\nid = \"" << st.id << "\"\nname = \"" << st.name << "\"\nlanguage = \""
      << st.language << "\"\ntimezone = \"" << st.timezone << "\"\ntls_fingerprint = \""
      << st.fingerprint << "\"\nsigning_key = \"" << st.signing_key
      << "\"\n[stations.addresses]\nprimary = \"127.0.0.1:" << st.peer_port
      << "\"\n";
  }
  o << "\n[[channels]]\nid = \"" << hotline << "\"\ntitle = \"" << s[0].name << " - " << s[1].name
    << "\"\nstations = [\"" << s[0].id << "\", \"" << s[1].id << "\"]\npaths = [\"primary\"]\n";
  o << labels_toml(s);
  return o.str();
}

// <repo>/<relative> when this executable is <repo>/<build>/bin/hotline and that directory
// exists: the built console (web/dist) and the form catalog (catalog).
std::filesystem::path source_dir_for(const std::string& self_exe, const std::filesystem::path& relative) {
  if (self_exe.empty()) return {};
  std::error_code ec;
  const auto dist = std::filesystem::path(self_exe).parent_path() / ".." / ".." / relative;
  const auto found = std::filesystem::weakly_canonical(dist, ec);
  if (ec || !std::filesystem::is_directory(found, ec)) return {};
  return found;
}

std::string station_toml(const demo_station& st, const std::filesystem::path& console_dir,
                         const std::filesystem::path& catalog_dir) {
  std::ostringstream o;
  o << "# Station config for " << st.id << ", written by `hotline demo`.\n"
    << "station = \"" << st.id << "\"\nagreement = \"../agreement.toml\"\ndata_dir = \".\"\n\n"
    << "[tls]\ncertificate = \"tls.crt\"\nprivate_key = \"tls.key\"\n\n"
    << "[journal]\nsigning_key = \"signing.key\"\n\n"
    << "[listen]\napi = \"127.0.0.1:" << st.api_port << "\"\n\n"
    // The token is the CLI's (send, inbox, status), so it has the role that may send.
    << "[[api.tokens]]\nname = \"demo-duty\"\nrole = \"duty-officer\"\nclearance = \""
    << st.ceiling << "\"\nsha256 = \"" << config::sha256_hex(st.token) << "\"\n\n";
  if (!console_dir.empty()) o << "[console]\ndir = \"" << console_dir.string() << "\"\n\n";
  if (!catalog_dir.empty()) o << "[forms]\ncatalog = \"" << catalog_dir.string() << "\"\n\n";
  o << "[log]\nlevel = \"info\"\n";
  return o.str();
}

// Gives each demo user of `st` a fresh password in the station's database, and writes them to
// DIR/<station>.users for the tests and the person running the demo.
bool set_up_users(const demo_options& opts, demo_station& st) {
  auto db = cli::open_station_accounts(opts.dir / st.id / "station.toml");
  if (!db) {
    std::cerr << "hotline demo: " << st.id << ": " << db.error().message << "\n";
    return false;
  }
  std::ostringstream file;
  file << "# Console users of " << st.id << ", written by `hotline demo`. Keep it secret.\n"
       << "# name role language password\n";
  for (demo_user& u : st.users) {
    u.password = storage::random_password(demo_password_length);
    storage::user spec;
    spec.name = u.name;
    spec.role = u.role;
    spec.language = st.language;
    spec.clearance = st.ceiling;
    if (auto r = cli::provision_user(*db->accounts, spec, u.password, "demo"); !r) {
      std::cerr << "hotline demo: " << st.id << ": user " << u.name << ": " << r.error().message
                << "\n";
      return false;
    }
    file << u.name << " " << u.role << " " << st.language << " " << u.password << "\n";
  }
  return write_file(opts.dir / (st.id + ".users"), file.str(), 0600);
}

int setup(const demo_options& opts, std::array<demo_station, 2>& stations) {
  std::error_code ec;
  std::filesystem::create_directories(opts.dir, ec);
  for (auto& st : stations) {
    auto dir = opts.dir / st.id;
    std::filesystem::create_directories(dir, ec);
    auto fp = ensure_identity(dir, st.id);
    if (!fp) {
      std::cerr << "hotline demo: " << st.id << ": " << fp.error().message << "\n";
      return 1;
    }
    st.fingerprint = *fp;
    auto sk = ensure_signing_key(dir);
    if (!sk) {
      std::cerr << "hotline demo: " << st.id << ": " << sk.error().message << "\n";
      return 1;
    }
    st.signing_key = *sk;
    st.token = config::new_token_secret();
  }
  const auto console_dir = source_dir_for(opts.self_exe, "web/dist");
  const auto catalog_dir = source_dir_for(opts.self_exe, "catalog");
  bool ok = write_file(opts.dir / "agreement.toml", agreement_toml(stations, opts.hotline), 0644);
  for (auto& st : stations) {
    ok = ok && write_file(opts.dir / st.id / "station.toml",
                          station_toml(st, console_dir, catalog_dir), 0600);
    ok = ok && set_up_users(opts, st);
    ok = ok && write_file(opts.dir / (st.id + ".env"),
                          "HOTLINE_ADDR=http://127.0.0.1:" + std::to_string(st.api_port) +
                              "\nHOTLINE_TOKEN=" + st.token + "\n",
                          0600);
  }
  if (!ok) {
    std::cerr << "hotline demo: cannot write the demo files under " << opts.dir.string() << "\n";
    return 1;
  }
  return 0;
}

pid_t spawn_station(const std::string& exe, const std::filesystem::path& config) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::string cfg = config.string();
  std::array<char*, 5> argv{const_cast<char*>(exe.c_str()), const_cast<char*>("station"),
                            const_cast<char*>("--config"), cfg.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe.c_str(), nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

void print_usage(const demo_options& opts, const std::array<demo_station, 2>& s) {
  std::string d = opts.dir.string();
  std::cout << "\nHotline demo: the navy hotline, two stations on this machine.\n\n";
  for (const auto& st : s) {
    std::cout << "  " << st.id << "  API http://127.0.0.1:" << st.api_port << "  peer link 127.0.0.1:"
              << st.peer_port << "  env " << d << "/" << st.id << ".env\n";
  }
  std::cout << "\nConsole users (also in " << d << "/<station>.users):\n";
  for (const auto& st : s) {
    for (const auto& u : st.users) {
      std::cout << "  " << st.id << "  " << u.name << " (" << u.role << ")  password "
                << u.password << "\n";
    }
  }
  std::cout << "\nIn another terminal:\n"
            << "  set -a; . " << d << "/" << s[0].id << ".env; set +a\n"
            << "  hotline send --channel " << opts.hotline << " --precedence flash \"Exercise MERIDIAN begins 0600Z\"\n"
            << "  hotline status\n"
            << "  set -a; . " << d << "/" << s[1].id << ".env; set +a\n"
            << "  hotline inbox --channel " << opts.hotline << "\n"
            << "\nEach station can also be started alone: hotline station --config " << d << "/"
            << s[0].id << "/station.toml\n";
}

}  // namespace

int run_demo(const demo_options& opts) {
  std::array<demo_station, 2> stations{
      opts.hotline == "air"
          ? demo_station{"rokaf-mcrc", "ROKAF Master Control and Reporting Center", "ko", "Asia/Seoul",
                         static_cast<std::uint16_t>(opts.port_base + 1),
                         static_cast<std::uint16_t>(opts.port_base + 2), {}, {},
                         {{{"officer-park", "duty-officer", {}}, {"auditor-rok", "auditor", {}},
                           {"translator-lee", "translator", {}},
                           {"supervisor-choi", "supervisor", {}}}}}
          : demo_station{"rok-fleet-command", "ROK Navy Fleet Command", "ko", "Asia/Seoul",
                   static_cast<std::uint16_t>(opts.port_base + 1),
                   static_cast<std::uint16_t>(opts.port_base + 2), {}, {},
                   {{{"officer-kim", "duty-officer", {}}, {"auditor-rok", "auditor", {}},
                           {"translator-lee", "translator", {}},
                           {"supervisor-choi", "supervisor", {}}}}},
      opts.hotline == "air"
          ? demo_station{"ru-11-aadf-army", "11th Air and Air Defence Forces Army", "ru",
                         "Asia/Vladivostok", static_cast<std::uint16_t>(opts.port_base + 11),
                         static_cast<std::uint16_t>(opts.port_base + 12), {}, {},
                         {{{"officer-smirnov", "duty-officer", {}}, {"auditor-ru", "auditor", {}},
                           {"translator-petrova", "translator", {}},
                           {"supervisor-volkov", "supervisor", {}}}}}
          : demo_station{"ru-pacific-fleet", "Russian Pacific Fleet", "ru", "Asia/Vladivostok",
                   static_cast<std::uint16_t>(opts.port_base + 11),
                   static_cast<std::uint16_t>(opts.port_base + 12), {}, {},
                   {{{"officer-ivanov", "duty-officer", {}}, {"auditor-ru", "auditor", {}},
                           {"translator-petrova", "translator", {}},
                           {"supervisor-volkov", "supervisor", {}}}}}};
  stations[0].ceiling = "rok-restricted";
  stations[1].ceiling = "ru-dsp";
  if (int rc = setup(opts, stations); rc != 0) return rc;
  if (opts.setup_only) {
    std::cout << "Demo files written under " << opts.dir.string() << "\n";
    print_usage(opts, stations);
    return 0;
  }
  sigset_t waitset;
  sigemptyset(&waitset);
  sigaddset(&waitset, SIGINT);
  sigaddset(&waitset, SIGTERM);
  sigaddset(&waitset, SIGCHLD);
  sigprocmask(SIG_BLOCK, &waitset, nullptr);
  std::array<pid_t, 2> pids{};
  for (std::size_t i = 0; i < 2; ++i) {
    pids[i] = spawn_station(opts.self_exe, opts.dir / stations[i].id / "station.toml");
    if (pids[i] < 0) {
      std::cerr << "hotline demo: cannot start " << stations[i].id << "\n";
      if (i == 1) ::kill(pids[0], SIGTERM);
      return 1;
    }
  }
  print_usage(opts, stations);
  std::cout << "\nPress Ctrl-C to stop both stations.\n" << std::flush;
  int exit_code = 0;
  for (bool running = true; running;) {
    int sig = 0;
    sigwait(&waitset, &sig);
    if (sig != SIGCHLD) break;
    for (std::size_t i = 0; i < 2; ++i) {
      int status = 0;
      if (pids[i] > 0 && ::waitpid(pids[i], &status, WNOHANG) == pids[i]) {
        std::cerr << "hotline demo: " << stations[i].id << " exited; stopping the demo\n";
        pids[i] = -1;
        exit_code = 1;
        running = false;
      }
    }
  }
  for (pid_t p : pids) {
    if (p > 0) ::kill(p, SIGTERM);
  }
  // Give each station a bounded time to commit and close, then stop it hard.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (pid_t& p : pids) {
    while (p > 0) {
      if (::waitpid(p, nullptr, WNOHANG) == p) {
        p = -1;
      } else if (std::chrono::steady_clock::now() > deadline) {
        ::kill(p, SIGKILL);
        ::waitpid(p, nullptr, 0);
        p = -1;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  std::cout << "Both stations stopped.\n";
  return exit_code;
}

}  // namespace hotline::station
