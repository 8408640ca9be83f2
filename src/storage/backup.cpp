#include "storage/backup.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>
#include <zstd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/signing.hpp"
#include "storage/sqlite_db.hpp"
#include "storage/sqlite_store.hpp"

namespace hotline::storage {
namespace {

// How often a snapshot waits out a lock held by another connection before giving up.
constexpr int snapshot_busy_retries_max = 100;
constexpr std::chrono::milliseconds snapshot_busy_wait{50};

std::unexpected<error> io_error(const std::string& what) {
  return fail(errc::io, what + ": " + std::strerror(errno));
}

// An open file descriptor, closed on destruction.
class file {
 public:
  explicit file(int fd = -1) : fd_(fd) {}
  file(file&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  file& operator=(file&&) = delete;
  ~file() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

result<file> open_file(const std::filesystem::path& p, int flags, mode_t mode = 0600) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot open " + p.string());
  return file(fd);
}

result<void> write_all(int fd, const void* data, std::size_t n, const std::filesystem::path& p) {
  const auto* bytes = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, bytes, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return io_error("cannot write " + p.string());
    bytes += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

// Reads up to `buf.size()` bytes; 0 at the end.
result<std::size_t> read_some(int fd, std::vector<char>& buf, const std::filesystem::path& p) {
  for (;;) {
    const ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return io_error("cannot read " + p.string());
    return static_cast<std::size_t>(r);
  }
}

result<void> sync_file_and_directory(int fd, const std::filesystem::path& p) {
  if (::fsync(fd) != 0) return io_error("cannot sync " + p.string());
  const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  file d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0 || ::fsync(d.get()) != 0) return io_error("cannot sync directory " + dir.string());
  return {};
}

// A name beside `target` that nothing else uses, removed again (if it exists) on destruction.
class temp_path {
 public:
  temp_path(const std::filesystem::path& target, std::string_view what) {
    std::array<std::uint8_t, 8> tag{};
    randombytes_buf(tag.data(), tag.size());
    path_ = target;
    path_ += "." + std::string(what) + "-" + signing::to_hex(tag);
  }
  temp_path(const temp_path&) = delete;
  temp_path& operator=(const temp_path&) = delete;
  ~temp_path() {
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }
  const std::filesystem::path& get() const { return path_; }

 private:
  std::filesystem::path path_;
};

class sha256 {
 public:
  sha256() { crypto_hash_sha256_init(&state_); }
  void update(const char* data, std::size_t n) {
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(data), n);
  }
  std::string hex() {
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> out{};
    crypto_hash_sha256_final(&state_, out.data());
    return signing::to_hex(out);
  }

 private:
  crypto_hash_sha256_state state_{};
};

result<sqlite::connection> open_db(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::connection db{raw};
  if (rc != SQLITE_OK) return std::unexpected(sqlite::make_error(raw, rc, "open " + path));
  sqlite3_busy_timeout(raw, sqlite_busy_timeout_ms);
  return db;
}

result<void> copy_pages(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (b == nullptr) return std::unexpected(sqlite::make_error(to, sqlite3_errcode(to), what));
  int rc = SQLITE_OK;
  // One step copies every page under one read transaction: the snapshot is consistent.
  for (int tries = 0; tries < snapshot_busy_retries_max; ++tries) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(snapshot_busy_wait);
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return std::unexpected(sqlite::make_error(to, rc, what));
  return {};
}

// Copies the database at `src` into a new file `dst` as one snapshot, leaving `dst` a single
// self-contained file (rollback journal mode, no -wal).
result<void> snapshot(const std::string& src, const std::string& dst) {
  auto from = open_db(src, SQLITE_OPEN_READONLY);
  if (!from) return std::unexpected(from.error());
  auto to = open_db(dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!to) return std::unexpected(to.error());
  if (auto r = copy_pages(from->get(), to->get(), "backup of " + src); !r) return r;
  return sqlite::exec(to->get(), "PRAGMA journal_mode=DELETE");
}

struct zstd_cctx_free {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct zstd_dctx_free {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Compresses the file `in` into the new file `out`; returns the input's SHA-256 and sizes.
result<backup_summary> compress(const std::filesystem::path& in, const std::filesystem::path& out) {
  auto src = open_file(in, O_RDONLY);
  if (!src) return std::unexpected(src.error());
  auto dst = open_file(out, O_WRONLY | O_CREAT | O_EXCL);
  if (!dst) return std::unexpected(dst.error());
  std::unique_ptr<ZSTD_CCtx, zstd_cctx_free> cctx(ZSTD_createCCtx());
  if (!cctx) return fail(errc::io, "cannot start zstd");
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, backup_zstd_level);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  std::vector<char> inbuf(backup_chunk_bytes), outbuf(ZSTD_CStreamOutSize());
  backup_summary s;
  sha256 hash;
  for (bool last = false; !last;) {
    auto n = read_some(src->get(), inbuf, in);
    if (!n) return std::unexpected(n.error());
    last = *n == 0;
    hash.update(inbuf.data(), *n);
    s.database_bytes += *n;
    ZSTD_inBuffer input{inbuf.data(), *n, 0};
    const ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    for (bool done = false; !done;) {
      ZSTD_outBuffer output{outbuf.data(), outbuf.size(), 0};
      const std::size_t left = ZSTD_compressStream2(cctx.get(), &output, &input, mode);
      if (ZSTD_isError(left)) return fail(errc::io, std::string("zstd: ") + ZSTD_getErrorName(left));
      if (auto w = write_all(dst->get(), outbuf.data(), output.pos, out); !w) {
        return std::unexpected(w.error());
      }
      s.compressed_bytes += output.pos;
      done = last ? left == 0 : input.pos == input.size;
    }
  }
  if (auto synced = sync_file_and_directory(dst->get(), out); !synced) {
    return std::unexpected(synced.error());
  }
  s.database_sha256 = hash.hex();
  return s;
}

// Decompresses the backup `in` into the new file `out` (or, with an empty `out`, nowhere);
// returns the SHA-256 and size of what came out. A truncated or damaged frame is errc::corrupt.
result<backup_summary> decompress(const std::filesystem::path& in, const std::filesystem::path& out) {
  auto src = open_file(in, O_RDONLY);
  if (!src) return std::unexpected(src.error());
  std::optional<file> dst;
  if (!out.empty()) {
    auto opened = open_file(out, O_WRONLY | O_CREAT | O_EXCL);
    if (!opened) return std::unexpected(opened.error());
    dst.emplace(std::move(*opened));
  }
  std::unique_ptr<ZSTD_DCtx, zstd_dctx_free> dctx(ZSTD_createDCtx());
  if (!dctx) return fail(errc::io, "cannot start zstd");
  std::vector<char> inbuf(ZSTD_DStreamInSize()), outbuf(ZSTD_DStreamOutSize());
  backup_summary s;
  sha256 hash;
  std::size_t frame_left = 1;  // nonzero: a frame is not yet complete
  for (;;) {
    auto n = read_some(src->get(), inbuf, in);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    s.compressed_bytes += *n;
    ZSTD_inBuffer input{inbuf.data(), *n, 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{outbuf.data(), outbuf.size(), 0};
      frame_left = ZSTD_decompressStream(dctx.get(), &output, &input);
      if (ZSTD_isError(frame_left)) {
        return fail(errc::corrupt,
                    in.string() + " is not an intact backup: " + ZSTD_getErrorName(frame_left));
      }
      hash.update(outbuf.data(), output.pos);
      s.database_bytes += output.pos;
      if (dst) {
        if (auto w = write_all(dst->get(), outbuf.data(), output.pos, out); !w) {
          return std::unexpected(w.error());
        }
      }
    }
  }
  if (frame_left != 0) return fail(errc::corrupt, in.string() + " is truncated");
  if (dst) {
    if (auto synced = sync_file_and_directory(dst->get(), out); !synced) {
      return std::unexpected(synced.error());
    }
  }
  s.database_sha256 = hash.hex();
  return s;
}

}  // namespace

result<void> copy_store(store& from, store& to) {
  auto* f = dynamic_cast<sqlite_store*>(&from);
  auto* t = dynamic_cast<sqlite_store*>(&to);
  if (f == nullptr || t == nullptr) return fail(errc::invalid_argument, "copy_store needs SQLite stores");
  return copy_pages(f->handle(), t->handle(), "copy of a store");
}

result<void> check_database_integrity(const std::string& path) {
  auto db = open_db(path, SQLITE_OPEN_READONLY);
  if (!db) return std::unexpected(db.error());
  auto st = sqlite::statement::prepare(db->get(), "PRAGMA integrity_check");
  if (!st) return std::unexpected(st.error());
  sqlite::query q{*st};
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  const std::string verdict = *row ? q.column_text(0) : std::string("no answer");
  if (verdict != "ok") return fail(errc::corrupt, path + " fails its integrity check: " + verdict);
  return {};
}

result<backup_summary> write_backup(const std::string& db_path, const std::filesystem::path& out,
                                    const snapshot_check& check) {
  if (!std::filesystem::exists(db_path)) {
    return fail(errc::not_found, "no database at " + db_path);
  }
  temp_path copy(out, "snapshot");
  if (auto r = snapshot(db_path, copy.get().string()); !r) return std::unexpected(r.error());
  if (auto r = check(copy.get().string()); !r) return std::unexpected(r.error());
  temp_path packed(out, "tmp");
  auto written = compress(copy.get(), packed.get());
  if (!written) return written;
  // Read back what reached the disk: the backup must give back exactly the snapshot.
  auto reread = decompress(packed.get(), {});
  if (!reread) return std::unexpected(reread.error());
  if (reread->database_sha256 != written->database_sha256 ||
      reread->database_bytes != written->database_bytes) {
    return fail(errc::corrupt, "the backup read back differs from the snapshot; nothing written");
  }
  if (::rename(packed.get().c_str(), out.c_str()) != 0) {
    return io_error("cannot rename the backup to " + out.string());
  }
  auto dir = open_file(out.has_parent_path() ? out.parent_path() : ".", O_RDONLY | O_DIRECTORY);
  if (!dir || ::fsync(dir->get()) != 0) return io_error("cannot sync the directory of " + out.string());
  return written;
}

result<backup_summary> restore_backup(const std::filesystem::path& from, const std::string& db_path,
                                      const snapshot_check& check) {
  for (const char* suffix : {"", "-wal"}) {
    if (std::filesystem::exists(db_path + suffix)) {
      return fail(errc::conflict, db_path + suffix +
                                      " exists; a restore never replaces a database: stop the "
                                      "station and move its database files aside first");
    }
  }
  const std::filesystem::path target(db_path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return fail(errc::io, "cannot create " + target.parent_path().string() + ": " + ec.message());
  temp_path unpacked(target, "restore");
  auto restored = decompress(from, unpacked.get());
  if (!restored) return restored;
  if (auto r = check(unpacked.get().string()); !r) return std::unexpected(r.error());
  // link(2) fails rather than replace a database that appeared meanwhile.
  if (::link(unpacked.get().c_str(), db_path.c_str()) != 0) {
    return io_error("cannot create " + db_path);
  }
  auto dir = open_file(target.has_parent_path() ? target.parent_path() : ".", O_RDONLY | O_DIRECTORY);
  if (!dir || ::fsync(dir->get()) != 0) return io_error("cannot sync the directory of " + db_path);
  return restored;
}

}  // namespace hotline::storage
