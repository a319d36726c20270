#pragma once
// Checkpoints: `tl::save_checkpoint(path, model.parameters(), opt, sched)` and
// `tl::load_checkpoint(...)` with the same arguments, as torch.save of
// `{'model': model.state_dict(), 'optimizer': opt.state_dict(), ...}` and the
// matching `load_state_dict` calls.
//
// The file is binary, little-endian on every platform (format in
// docs/checkpoints.md):
//
//     magic "\x89TLCKPT\n" | u32 version | u32 entry count | u64 file size
//     entries: u32 key length, key | u8 type (1 f32, 2 f64, 3 u64) | u8 rank | u64 extents… | values
//     u32 CRC-32 (zlib's) of every byte before it
//
// Parameters are entries "param/<name>" of shape R×C; the state of every
// further object (an optimizer, a scheduler, a batch loader: anything with
// `visit_state`, see the optimizer contract) is "state<i>/<key>" of rank 1,
// i counting those objects from 0 in argument order.
//
// Loading reads and validates everything (magic, version, size, checksum, and
// every entry expected present with its type and shape, none unexpected)
// before it writes anything; a failure throws tapeless::error and leaves the
// parameters and objects as they were.

#include "config.hpp"
#include "param.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace tapeless {

/// The type of a checkpoint entry's values.
enum class checkpoint_type : std::uint8_t { float32 = 1, float64 = 2, uint64 = 3 };

/// One entry of a checkpoint, as `tl::checkpoint_contents` lists them.
struct checkpoint_entry {
  std::string key;
  checkpoint_type type;
  std::vector<std::uint64_t> shape;  // {R, C} for a parameter, {n} for a piece of state
};

namespace detail::checkpoint {

inline constexpr std::array<unsigned char, 8> magic{0x89, 'T', 'L', 'C', 'K', 'P', 'T', '\n'};
inline constexpr std::uint32_t version = 1;
inline constexpr std::size_t header_size = 8 + 4 + 4 + 8;
inline constexpr std::size_t checksum_size = 4;

/// CRC-32 (IEEE 802.3, reflected, as zlib's crc32).
inline std::uint32_t crc32(unsigned char const* data, std::size_t n) {
  static constexpr auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

template <class T>
constexpr checkpoint_type type_of() {
  using U = std::remove_const_t<T>;
  static_assert(std::is_same_v<U, float> || std::is_same_v<U, double> || std::is_same_v<U, std::uint64_t>,
                "tapeless::checkpoint: state values must be float, double or std::uint64_t");
  if constexpr (std::is_same_v<U, float>) return checkpoint_type::float32;
  else if constexpr (std::is_same_v<U, double>) return checkpoint_type::float64;
  else return checkpoint_type::uint64;
}
inline std::size_t size_of(checkpoint_type t) { return t == checkpoint_type::float32 ? 4 : 8; }
inline char const* name_of(checkpoint_type t) {
  return t == checkpoint_type::float32 ? "float32" : t == checkpoint_type::float64 ? "float64" : "uint64";
}
inline std::string shape_text(std::vector<std::uint64_t> const& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

// Little-endian writing and reading, independent of the host's byte order.
inline void put(std::string& out, std::uint64_t v, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
inline std::uint64_t get(unsigned char const* in, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(in[i]) << (8 * i);
  return v;
}
template <class T>
void put_values(std::string& out, std::span<T const> values) {
  for (T x : values) {
    if constexpr (std::is_same_v<T, float>) put(out, std::bit_cast<std::uint32_t>(x), 4);
    else if constexpr (std::is_same_v<T, double>) put(out, std::bit_cast<std::uint64_t>(x), 8);
    else put(out, x, 8);
  }
}
template <class T>
void get_values(unsigned char const* in, std::span<T> values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_same_v<T, float>) values[i] = std::bit_cast<float>(static_cast<std::uint32_t>(get(in + 4 * i, 4)));
    else if constexpr (std::is_same_v<T, double>) values[i] = std::bit_cast<double>(get(in + 8 * i, 8));
    else values[i] = get(in + 8 * i, 8);
  }
}

/// A validated entry of a file being loaded: where its values start.
struct located {
  checkpoint_entry entry;
  std::size_t offset;
};

/// Reads `bytes` (the whole file) and validates its frame and entry table.
/// `what` names the source in messages.
inline std::map<std::string, located> parse(std::string_view bytes, std::string const& what) {
  auto const* data = reinterpret_cast<unsigned char const*>(bytes.data());
  std::size_t const n = bytes.size();
  auto const error = [&](std::string const& text) { fail("tapeless::load_checkpoint: " + what + " " + text); };
  if (n < magic.size() || std::memcmp(data, magic.data(), magic.size()) != 0)
    error("is not a tapeless checkpoint (its first bytes are not the checkpoint magic); pass a file written by "
          "tl::save_checkpoint");
  if (n < header_size) error("is truncated (" + std::to_string(n) + " bytes, not even a header)");
  auto const file_version = static_cast<std::uint32_t>(get(data + 8, 4));
  if (file_version != version)
    error("has format version " + std::to_string(file_version) + "; this tapeless reads version " +
          std::to_string(version));
  auto const count = static_cast<std::uint32_t>(get(data + 12, 4));
  std::uint64_t const expected = get(data + 16, 8);
  if (n < expected)
    error("is truncated (" + std::to_string(n) + " of " + std::to_string(expected) +
          " bytes); the save was interrupted or the copy is incomplete");
  if (n > expected)
    error("has " + std::to_string(n - expected) + " bytes after its end; it was appended to or is not one checkpoint");
  if (n < header_size + checksum_size) error("is malformed (shorter than a header and a checksum)");
  std::size_t const end = n - checksum_size;
  if (crc32(data, end) != static_cast<std::uint32_t>(get(data + end, 4)))
    error("is corrupted (checksum mismatch); restore it from a good copy");

  // The checksum matched, yet every length is still checked: no read past the end.
  std::map<std::string, located> entries;
  std::size_t at = header_size;
  auto need = [&](std::uint64_t bytes_needed) {
    if (bytes_needed > end - at) error("is malformed (an entry runs past the end of the file)");
  };
  for (std::uint32_t e = 0; e < count; ++e) {
    need(4);
    std::uint64_t const key_size = get(data + at, 4);
    at += 4;
    need(key_size);
    std::string key(bytes.substr(at, static_cast<std::size_t>(key_size)));
    at += static_cast<std::size_t>(key_size);
    need(2);
    unsigned const type = data[at], rank = data[at + 1];
    at += 2;
    if (type < 1 || type > 3) error("is malformed (entry '" + key + "' has an unknown value type)");
    if (rank < 1 || rank > 2) error("is malformed (entry '" + key + "' has rank " + std::to_string(rank) + ")");
    need(8 * rank);
    std::vector<std::uint64_t> shape;
    std::uint64_t elements = 1;
    for (unsigned d = 0; d < rank; ++d) {
      shape.push_back(get(data + at + 8 * d, 8));
      if (shape.back() != 0 && elements > (end - at) / shape.back()) error("is malformed (entry '" + key + "' is too large)");
      elements *= shape.back();
    }
    at += 8 * rank;
    auto const t = static_cast<checkpoint_type>(type);
    if (elements > (end - at) / size_of(t)) error("is malformed (an entry runs past the end of the file)");
    std::size_t const offset = at;
    at += static_cast<std::size_t>(elements) * size_of(t);
    if (!entries.emplace(key, located{{key, t, std::move(shape)}, offset}).second)
      error("is malformed (the key '" + key + "' appears twice)");
  }
  if (at != end) error("is malformed (bytes left after the last entry)");
  return entries;
}

template <class P>
std::string param_key() {
  return "param/" + P::name.str();
}
inline std::string state_key(std::size_t object, std::string_view key) {
  std::string s = "state" + std::to_string(object) + "/";
  s += key;
  return s;
}

/// Calls `f(key, span)` for every parameter (const spans of R×C, shape {R, C})
/// and every piece of every object's state (shape {n}).
template <class F, class... Ps, class... S>
void for_each_entry(F&& f, param_list<Ps...> const& params, S const&... objects) {
  std::apply(
      [&](auto const*... p) {
        (f(param_key<std::remove_cvref_t<decltype(*p)>>(),
           std::span<typename std::remove_cvref_t<decltype(*p)>::value_type const>(p->data(), p->size),
           std::vector<std::uint64_t>{p->rows, p->cols}),
         ...);
      },
      params.ptrs);
  std::size_t object = 0;
  auto one = [&](auto const& o) {
    o.visit_state([&](std::string_view key, auto values) {
      using T = std::remove_const_t<typename decltype(values)::element_type>;
      f(state_key(object, key), std::span<T const>(values.data(), values.size()),
        std::vector<std::uint64_t>{values.size()});
    });
    ++object;
  };
  (void)one;  // no objects
  (one(objects), ...);
}

/// The entries these parameters and objects need, by key; two with one key
/// (two parameters of one name) are an error of `api`.
template <class... Ps, class... S>
std::map<std::string, checkpoint_entry> wanted_entries(char const* api, param_list<Ps...> const& params,
                                                        S const&... objects) {
  std::map<std::string, checkpoint_entry> wanted;
  for_each_entry(
      [&](std::string const& key, auto values, std::vector<std::uint64_t> const& shape) {
        using T = typename decltype(values)::element_type;
        if (!wanted.emplace(key, checkpoint_entry{key, type_of<T>(), shape}).second)
          fail(std::string("tapeless::") + api + ": two entries share the key '" + key +
               "'; give each parameter its own name");
      },
      params, objects...);
  return wanted;
}

/// Checks that `entries` holds exactly what these parameters and objects need.
template <class... Ps, class... S>
void check_matches(std::map<std::string, located> const& entries, std::string const& what,
                   param_list<Ps...> const& params, S const&... objects) {
  auto const wanted = wanted_entries("load_checkpoint", params, objects...);
  for (auto const& [key, want] : wanted) {
    auto const it = entries.find(key);
    if (it == entries.end())
      fail("tapeless::load_checkpoint: " + what + " has no entry '" + key +
           "'; it was saved from another model or with other objects");
    auto const& e = it->second.entry;
    if (e.type != want.type)
      fail("tapeless::load_checkpoint: entry '" + key + "' of " + what + " holds " + name_of(e.type) +
           " values, here it is " + name_of(want.type));
    if (e.shape != want.shape)
      fail("tapeless::load_checkpoint: entry '" + key + "' of " + what + " has shape " + shape_text(e.shape) +
           ", here it is " + shape_text(want.shape) + "; it was saved from another model");
  }
  for (auto const& e : entries)
    if (!wanted.count(e.first))
      fail("tapeless::load_checkpoint: " + what + " holds '" + e.first +
           "', which these parameters and objects do not have; it was saved from another model or with other "
           "objects");
}

/// The checkpoint file's bytes.
template <class... Ps, class... S>
std::string serialize(param_list<Ps...> const& params, S const&... objects) {
  (void)wanted_entries("save_checkpoint", params, objects...);  // no key twice
  std::string body;
  std::uint32_t count = 0;
  for_each_entry(
      [&](std::string const& key, auto values, std::vector<std::uint64_t> const& shape) {
        using T = typename decltype(values)::element_type;
        put(body, key.size(), 4);
        body += key;
        body.push_back(static_cast<char>(type_of<T>()));
        body.push_back(static_cast<char>(shape.size()));
        for (auto d : shape) put(body, d, 8);
        put_values<std::remove_const_t<T>>(body, values);
        ++count;
      },
      params, objects...);
  std::string out(magic.begin(), magic.end());
  put(out, version, 4);
  put(out, count, 4);
  put(out, header_size + body.size() + checksum_size, 8);
  out += body;
  put(out, crc32(reinterpret_cast<unsigned char const*>(out.data()), out.size()), 4);
  return out;
}

/// The file's bytes, or tapeless::error.
inline std::string read_file(std::filesystem::path const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("tapeless::load_checkpoint: cannot open '" + path.string() + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("tapeless::load_checkpoint: cannot read '" + path.string() + "'");
  return bytes;
}

/// Stands in for an object that cannot be copied (it is loaded in place).
struct in_place {};

/// A copy of `o` to load into first, where `o` can be copied.
template <class O>
auto trial_of(O const& o) {
  if constexpr (std::is_copy_constructible_v<O> && std::is_move_assignable_v<O>) return std::optional<O>(o);
  else return in_place{};
}

/// Writes a validated file's state into `target`, object number `object`.
template <class O>
void load_state(O& target, std::size_t object, unsigned char const* data,
                std::map<std::string, located> const& entries) {
  target.visit_state([&](std::string_view key, auto values) {
    // Options read from the file may make an object expect state the current
    // options did not (an SGD saved with momentum has a momentum buffer).
    auto const name = state_key(object, key);
    auto const found = entries.find(name);
    using T = std::remove_cv_t<typename decltype(values)::element_type>;
    if (found == entries.end() || found->second.entry.type != type_of<T>() ||
        found->second.entry.shape != std::vector<std::uint64_t>{values.size()})
      fail("tapeless::load_checkpoint: the file's options for object " + std::to_string(object) +
           " need the entry '" + name + "' (" + name_of(type_of<T>()) + " × " + std::to_string(values.size()) +
           "), which the file does not hold; it was not written by this kind of object");
    get_values(data + found->second.offset, values);
  });
}

/// Applies a validated file. An object's `visit_state` may validate what it
/// read and throw, so each copyable object is loaded into a copy first; only
/// then are the parameters written and the copies moved in (nothing there throws).
template <class... Ps, class... S>
void apply(std::string_view bytes, std::map<std::string, located> const& entries, param_list<Ps...> const& params,
           S&... objects) {
  auto const* data = reinterpret_cast<unsigned char const*>(bytes.data());
  auto trials = std::tuple{trial_of(objects)...};
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto first = [&](auto& trial, std::size_t object) {
      if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(trial)>, in_place>)
        load_state(*trial, object, data, entries);
    };
    (void)first;  // no objects
    (first(std::get<I>(trials), I), ...);
    // Objects that cannot be copied load in place, before anything else is
    // written: one that rejects the file leaves the parameters untouched.
    auto in_place_first = [&](auto& target, auto& trial, std::size_t object) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(trial)>, in_place>)
        load_state(target, object, data, entries);
    };
    (void)in_place_first;
    (in_place_first(objects, std::get<I>(trials), I), ...);
    std::apply(
        [&](auto*... p) {
          (get_values(data + entries.at(param_key<std::remove_cvref_t<decltype(*p)>>()).offset,
                      std::span(p->data(), p->size)),
           ...);
        },
        params.ptrs);
    auto then = [&](auto& target, auto& trial) {
      if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(trial)>, in_place>) target = std::move(*trial);
    };
    (void)then;
    (then(objects, std::get<I>(trials)), ...);
  }(std::index_sequence_for<S...>{});
}

}  // namespace detail::checkpoint

/// Writes a checkpoint of `params` (`tl::params(w, b)`, `model.parameters()`)
/// and of the state of `objects` (optimizers, schedulers, batch loaders) to
/// `out`.
template <class... Ps, class... S>
void save_checkpoint(std::ostream& out, param_list<Ps...> const& params, S const&... objects) {
  std::string const bytes = detail::checkpoint::serialize(params, objects...);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) detail::fail("tapeless::save_checkpoint: the stream refused the checkpoint's bytes");
}

/// Writes a checkpoint to `path`, replacing it only once the whole file is
/// written (through "<path>.tmp" and a rename), so an interrupted save leaves
/// the previous checkpoint intact.
///
///     tl::save_checkpoint("model.ckpt", model.parameters(), opt, scheduler);
template <class... Ps, class... S>
void save_checkpoint(std::filesystem::path const& path, param_list<Ps...> const& params, S const&... objects) {
  std::string const bytes = detail::checkpoint::serialize(params, objects...);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) detail::fail("tapeless::save_checkpoint: cannot write '" + tmp.string() + "'");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) detail::fail("tapeless::save_checkpoint: writing '" + tmp.string() + "' failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) detail::fail("tapeless::save_checkpoint: cannot replace '" + path.string() + "': " + ec.message());
}

/// Reads a checkpoint written with the same kinds of arguments: the same
/// parameter names and shapes (order free) and the same objects in the same
/// order. Validates everything first; on any mismatch throws tapeless::error
/// and changes nothing.
template <class... Ps, class... S>
void load_checkpoint(std::istream& in, param_list<Ps...> const& params, S&... objects) {
  std::string const bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto const entries = detail::checkpoint::parse(bytes, "the stream");
  detail::checkpoint::check_matches(entries, "the stream", params, std::as_const(objects)...);
  detail::checkpoint::apply(bytes, entries, params, objects...);
}

///     tl::load_checkpoint("model.ckpt", model.parameters(), opt, scheduler);
template <class... Ps, class... S>
void load_checkpoint(std::filesystem::path const& path, param_list<Ps...> const& params, S&... objects) {
  std::string const bytes = detail::checkpoint::read_file(path);
  std::string const what = "'" + path.string() + "'";
  auto const entries = detail::checkpoint::parse(bytes, what);
  detail::checkpoint::check_matches(entries, what, params, std::as_const(objects)...);
  detail::checkpoint::apply(bytes, entries, params, objects...);
}

/// The entries of a checkpoint file (validated like `load_checkpoint` does),
/// in key order: to see what a file holds.
inline std::vector<checkpoint_entry> checkpoint_contents(std::filesystem::path const& path) {
  std::string const bytes = detail::checkpoint::read_file(path);
  auto const entries = detail::checkpoint::parse(bytes, "'" + path.string() + "'");
  std::vector<checkpoint_entry> out;
  for (auto const& e : entries) out.push_back(e.second.entry);
  return out;
}

}  // namespace tapeless
