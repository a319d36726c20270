// tests for include/tapeless/checkpoint.hpp: round trips that continue training
// bit for bit, and every way a file can be wrong (truncated, corrupted,
// foreign, another version, another model) refused with nothing changed.
#include "laws/gradcheck.hpp"
#include "laws/reference.hpp"

#include <tapeless/checkpoint.hpp>
#include <tapeless/data.hpp>
#include <tapeless/optim/lr_scheduler.hpp>
#include <tapeless/tapeless.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace tl = tapeless;
namespace fs = std::filesystem;
namespace sch = tapeless::optim::lr_scheduler;
using tl::dyn;

namespace {
/// A fresh directory for one test's files, removed afterwards.
struct scratch_dir {
  fs::path path;
  explicit scratch_dir(std::string const& name)
      : path(fs::temp_directory_path() / ("tapeless-io-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(std::string const& file) const { return path / file; }
};

std::string read_bytes(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(fs::path const& p, std::string const& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Re-seals bytes edited by a test with a valid checksum (what a careful forger does).
std::string resealed(std::string bytes) {
  std::size_t const end = bytes.size() - 4;
  std::uint32_t const crc = tl::detail::checkpoint::crc32(reinterpret_cast<unsigned char const*>(bytes.data()), end);
  for (std::size_t i = 0; i < 4; ++i) bytes[end + i] = static_cast<char>((crc >> (8 * i)) & 0xFFu);
  return bytes;
}

/// Everything these objects hold, as bytes: equal snapshots mean untouched state.
template <class... Ps, class... S>
std::string snapshot(tl::param_list<Ps...> const& ps, S const&... objects) {
  std::ostringstream out;
  tl::save_checkpoint(out, ps, objects...);
  return out.str();
}

struct problem {
  tl::tensor<float, dyn, 2> X;
  tl::tensor<float, dyn, 1> y;
};
problem sgd_problem() {
  auto const data = laws::read_csv("sgd_data.csv");
  problem p{tl::tensor<float, dyn, 2>(data.size()), tl::tensor<float, dyn, 1>(data.size())};
  for (std::size_t i = 0; i < data.size(); ++i) {
    p.X(i, 0) = std::stof(data[i][0]);
    p.X(i, 1) = std::stof(data[i][1]);
    p.y(i, 0) = std::stof(data[i][2]);
  }
  return p;
}

using W = tl::param<"w", 2, 1>;
using B = tl::param<"b">;

/// Epochs of mini-batch SGD with a cosine schedule per step and a plateau
/// schedule per epoch; the parameters' and rates' bits after every step.
template <class Opt, class Loader, class Cosine, class Plateau>
std::vector<std::string> train_epochs(int epochs, Opt& opt, Loader& loader, W& w, B& b, Cosine& cosine,
                                      Plateau& plateau) {
  std::vector<std::string> trace;
  for (int e = 0; e < epochs; ++e) {
    float last = 0;
    for (auto const& batch : loader) {
      auto const result = tl::value_and_grad(tl::mse_loss(batch.X * w + b, batch.y), w, b);
      opt.step(result.grads);
      cosine.step();
      last = result.value;
      trace.push_back(snapshot(tl::params(w, b)) + std::to_string(opt.lr()));
    }
    plateau.step(last);
  }
  return trace;
}
}  // namespace

TEST_CASE("checkpoint: CRC-32 is zlib's") {
  std::string const text = "123456789";
  CHECK(tl::detail::checkpoint::crc32(reinterpret_cast<unsigned char const*>(text.data()), text.size()) ==
        0xCBF43926u);
}

TEST_CASE("checkpoint: save and train on, or load into fresh objects and train on: identical bits") {
  scratch_dir dir("roundtrip");
  auto const p = sgd_problem();
  W w{{0.3f}, {-0.2f}};
  B b{0.1f};
  tl::optim::sgd opt{tl::params(w, b), {.lr = 0.1, .momentum = 0.9, .nesterov = true}};
  auto loader = tl::batches(p.X, p.y, {.batch_size = 3, .shuffle = true, .seed = 5});
  sch::cosine_annealing_lr cosine{opt, {.T_max = 4, .eta_min = 0.01}};
  sch::reduce_lr_on_plateau plateau{opt, {.factor = 0.5, .patience = 0, .threshold = 0.5}};
  train_epochs(4, opt, loader, w, b, cosine, plateau);
  CHECK(opt.lr() < 0.1);
  tl::save_checkpoint(dir / "run.ckpt", tl::params(w, b), opt, loader, cosine, plateau);
  auto const continued = train_epochs(4, opt, loader, w, b, cosine, plateau);
  CHECK(!fs::exists(dir / "run.ckpt.tmp"));

  W w2{{9.0f}, {9.0f}};  // other values, same names and shapes
  B b2{9.0f};
  tl::optim::sgd opt2{tl::params(w2, b2), {.lr = 0.1, .momentum = 0.9, .nesterov = true}};
  auto loader2 = tl::batches(p.X, p.y, {.batch_size = 3, .shuffle = true, .seed = 5});
  sch::cosine_annealing_lr cosine2{opt2, {.T_max = 4, .eta_min = 0.01}};
  sch::reduce_lr_on_plateau plateau2{opt2, {.factor = 0.5, .patience = 0, .threshold = 0.5}};
  tl::load_checkpoint(dir / "run.ckpt", tl::params(w2, b2), opt2, loader2, cosine2, plateau2);
  CHECK(opt2.steps() == 12);  // 4 epochs of 3 batches
  CHECK(loader2.epoch() == 4);
  CHECK(cosine2.last_epoch() == 12);
  CHECK(plateau2.last_epoch() == 4);
  auto const resumed = train_epochs(4, opt2, loader2, w2, b2, cosine2, plateau2);
  REQUIRE(resumed.size() == continued.size());
  for (std::size_t i = 0; i < resumed.size(); ++i) CHECK(resumed[i] == continued[i]);  // bit for bit
  CHECK(std::memcmp(w2.data(), w.data(), sizeof(float) * 2) == 0);
  CHECK(snapshot(tl::params(w2, b2), opt2, loader2, cosine2, plateau2) ==
        snapshot(tl::params(w, b), opt, loader, cosine, plateau));

  // What the file holds, as docs/checkpoints.md lists it.
  std::vector<std::string> keys;
  for (auto const& e : tl::checkpoint_contents(dir / "run.ckpt")) keys.push_back(e.key);
  CHECK(keys == std::vector<std::string>{"param/b",
                                         "param/w",
                                         "state0/group0/b/momentum_buffer",
                                         "state0/group0/dampening",
                                         "state0/group0/lr",
                                         "state0/group0/momentum",
                                         "state0/group0/w/momentum_buffer",
                                         "state0/group0/weight_decay",
                                         "state0/steps",
                                         "state1/epoch",
                                         "state2/base_lrs",
                                         "state2/last_epoch",
                                         "state2/last_lr",
                                         "state3/best",
                                         "state3/cooldown_counter",
                                         "state3/last_epoch",
                                         "state3/num_bad_epochs"});
  auto const contents = tl::checkpoint_contents(dir / "run.ckpt");
  CHECK(contents[1].type == tl::checkpoint_type::float32);
  CHECK(contents[1].shape == std::vector<std::uint64_t>{2, 1});
  CHECK(contents[8].type == tl::checkpoint_type::uint64);
  CHECK(contents[4].type == tl::checkpoint_type::float64);

  // Saving again replaces the file.
  tl::save_checkpoint(dir / "run.ckpt", tl::params(w, b));
  CHECK(tl::checkpoint_contents(dir / "run.ckpt").size() == 2);
}

TEST_CASE("checkpoint: the bytes are the documented format") {
  tl::param<"b", 1, 1, double> b{0.5};
  std::ostringstream out;
  tl::save_checkpoint(out, tl::params(b));
  std::string const bytes = out.str();
  std::string expected("\x89TLCKPT\n", 8);
  expected += std::string("\x01\0\0\0", 4);             // version 1
  expected += std::string("\x01\0\0\0", 4);             // one entry
  expected += std::string("\x41\0\0\0\0\0\0\0", 8);    // 65 bytes in all
  expected += std::string("\x07\0\0\0", 4) + "param/b";  // key
  expected += std::string("\x02\x02", 2);                // float64, rank 2
  expected += std::string("\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0", 16);  // 1x1
  expected += std::string("\0\0\0\0\0\0\xE0\x3F", 8);    // 0.5
  REQUIRE(bytes.size() == 65);
  CHECK(bytes.substr(0, 61) == expected);  // then the CRC-32 of those 61 bytes, little-endian
  std::uint32_t const crc = tl::detail::checkpoint::crc32(reinterpret_cast<unsigned char const*>(bytes.data()), 61);
  CHECK(static_cast<unsigned char>(bytes[61]) == (crc & 0xFFu));
  CHECK(static_cast<unsigned char>(bytes[64]) == (crc >> 24));
}

TEST_CASE("checkpoint: a bad file is refused with a clear error, and nothing changes") {
  scratch_dir dir("bad");
  auto const p = sgd_problem();
  W w{{0.3f}, {-0.2f}};
  B b{0.1f};
  tl::optim::sgd opt{tl::params(w, b), {.lr = 0.1, .momentum = 0.9}};
  opt.step(tl::value_and_grad(tl::mse_loss(p.X * w + b, p.y), w, b).grads);
  auto const file = dir / "good.ckpt";
  tl::save_checkpoint(file, tl::params(w, b), opt);
  std::string const good = read_bytes(file);

  // The objects to load into hold other values, so a partial write would show.
  W w2{{7.0f}, {8.0f}};
  B b2{9.0f};
  tl::optim::sgd opt2{tl::params(w2, b2), {.lr = 0.5, .momentum = 0.1}};
  std::string const before = snapshot(tl::params(w2, b2), opt2);
  auto refused = [&](std::string const& bytes, std::string const& message) {
    auto const bad = dir / "bad.ckpt";
    write_bytes(bad, bytes);
    CHECK_THROWS_WITH_AS(tl::load_checkpoint(bad, tl::params(w2, b2), opt2), message.c_str(), tl::error);
    CHECK(snapshot(tl::params(w2, b2), opt2) == before);
  };
  std::string const name = "tapeless::load_checkpoint: '" + (dir / "bad.ckpt").string() + "' ";

  refused(good.substr(0, good.size() - 10), name + "is truncated (" + std::to_string(good.size() - 10) + " of " +
                                                std::to_string(good.size()) +
                                                " bytes); the save was interrupted or the copy is incomplete");
  refused(good.substr(0, 12), name + "is truncated (12 bytes, not even a header)");
  refused(good + "x", name + "has 1 bytes after its end; it was appended to or is not one checkpoint");
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x10);
  refused(flipped, name + "is corrupted (checksum mismatch); restore it from a good copy");
  std::string crc_flipped = good;
  crc_flipped.back() = static_cast<char>(crc_flipped.back() ^ 1);
  refused(crc_flipped, name + "is corrupted (checksum mismatch); restore it from a good copy");
  std::string const not_ours = name +
                               "is not a tapeless checkpoint (its first bytes are not the checkpoint magic); pass a "
                               "file written by tl::save_checkpoint";
  refused("w,b\n0.3,0.1\n", not_ours);
  refused("", not_ours);
  refused("\x89TLC", not_ours);
  std::string newer = good;
  newer[8] = 2;
  refused(resealed(newer), name + "has format version 2; this tapeless reads version 1");
  std::string more_entries = good;
  more_entries[12] = static_cast<char>(more_entries[12] + 1);
  refused(resealed(more_entries), name + "is malformed (an entry runs past the end of the file)");
  std::string fewer_entries = good;
  fewer_entries[12] = static_cast<char>(fewer_entries[12] - 1);
  refused(resealed(fewer_entries), name + "is malformed (bytes left after the last entry)");
  std::string bad_type = good;
  bad_type[24 + 4 + 7] = 9;  // the first entry ("param/w")'s type byte
  refused(resealed(bad_type), name + "is malformed (entry 'param/w' has an unknown value type)");
  std::string huge = good;
  huge[24 + 4 + 7 + 2 + 7] = '\x7f';  // the first extent becomes ~2^63
  refused(resealed(huge), name + "is malformed (entry 'param/w' is too large)");

  // A well-formed file whose optimizer state the optimizer rejects (lr = -1):
  // validated on a copy, so nothing changes either.
  auto const lr_at = good.find("state0/group0/lr") + 16 + 2 + 8;
  REQUIRE(lr_at < good.size());
  std::string negative_lr = good;
  double const minus_one = -1.0;
  std::uint64_t bits = 0;
  std::memcpy(&bits, &minus_one, 8);
  for (std::size_t i = 0; i < 8; ++i) negative_lr[lr_at + i] = static_cast<char>((bits >> (8 * i)) & 0xFFu);
  auto const bad = dir / "bad.ckpt";
  write_bytes(bad, resealed(negative_lr));
  CHECK_THROWS_AS(tl::load_checkpoint(bad, tl::params(w2, b2), opt2), tl::error);
  CHECK(snapshot(tl::params(w2, b2), opt2) == before);

  CHECK_THROWS_WITH_AS(tl::load_checkpoint(dir / "missing.ckpt", tl::params(w2, b2), opt2),
                       ("tapeless::load_checkpoint: cannot open '" + (dir / "missing.ckpt").string() + "'").c_str(),
                       tl::error);
  CHECK_THROWS_WITH_AS(tl::save_checkpoint(dir / "no" / "such" / "dir.ckpt", tl::params(w, b)),
                       ("tapeless::save_checkpoint: cannot write '" + (dir / "no" / "such" / "dir.ckpt.tmp").string() +
                        "'")
                           .c_str(),
                       tl::error);
  // The good file still loads.
  tl::load_checkpoint(file, tl::params(w2, b2), opt2);
  CHECK(snapshot(tl::params(w2, b2), opt2) == snapshot(tl::params(w, b), opt));
}

TEST_CASE("checkpoint: a file of another model or with other objects is refused, and nothing changes") {
  std::ostringstream saved;
  W w{{0.3f}, {-0.2f}};
  B b{0.1f};
  tl::optim::sgd opt{tl::params(w, b), {.lr = 0.1, .momentum = 0.9}};
  tl::save_checkpoint(saved, tl::params(w, b), opt);
  std::string const good = saved.str();

  auto load = [&](auto ps, auto&... objects) {
    std::string const before = snapshot(ps, objects...);
    std::istringstream in(good);
    try {
      tl::load_checkpoint(in, ps, objects...);
    } catch (tl::error const& e) {
      CHECK(snapshot(ps, objects...) == before);
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  std::string const stream = "tapeless::load_checkpoint: ";

  tl::param<"w", 3, 1> w3;  // another shape
  tl::optim::sgd opt3{tl::params(w3, b), {.lr = 0.1, .momentum = 0.9}};
  CHECK(load(tl::params(w3, b), opt3) ==
        stream + "entry 'param/w' of the stream has shape 2x1, here it is 3x1; it was saved from another model");
  tl::param<"v", 2, 1> v;  // another name
  tl::optim::sgd opt_v{tl::params(v, b), {.lr = 0.1, .momentum = 0.9}};
  CHECK(load(tl::params(v, b), opt_v) ==
        stream + "the stream has no entry 'param/v'; it was saved from another model or with other objects");
  tl::param<"w", 2, 1, double> wd;  // another value type
  tl::optim::sgd opt_d{tl::params(wd, b), {.lr = 0.1, .momentum = 0.9}};
  CHECK(load(tl::params(wd, b), opt_d) == stream + "entry 'param/w' of the stream holds float32 values, here it is float64");
  CHECK(load(tl::params(w), opt) ==  // fewer parameters than saved
        stream + "the stream holds 'param/b', which these parameters and objects do not have; it was saved from "
                 "another model or with other objects");
  tl::param<"c"> c;
  tl::optim::sgd opt_c{tl::params(w, b, c), {.lr = 0.1, .momentum = 0.9}};
  CHECK(load(tl::params(w, b, c), opt_c) ==
        stream + "the stream has no entry 'param/c'; it was saved from another model or with other objects");
  tl::optim::sgd plain{tl::params(w, b), {.lr = 0.1}};  // no momentum buffers
  CHECK(load(tl::params(w, b), plain) ==
        stream + "the stream holds 'state0/group0/b/momentum_buffer', which these parameters and objects do not "
                 "have; it was saved from another model or with other objects");
  CHECK(load(tl::params(w, b)).find("which these parameters and objects do not have") != std::string::npos);
  auto const p = sgd_problem();
  auto loader = tl::batches(p.X, p.y);
  CHECK(load(tl::params(w, b), opt, loader) ==
        stream + "the stream has no entry 'state1/epoch'; it was saved from another model or with other objects");
  CHECK(load(tl::params(w, b), opt) == "loaded");
  CHECK(load(tl::params(b, w), opt) == "loaded");  // parameters are found by name

  std::ostringstream twice;
  CHECK_THROWS_WITH_AS(tl::save_checkpoint(twice, tl::params(w, w)),
                       "tapeless::save_checkpoint: two entries share the key 'param/w'; give each parameter its own "
                       "name",
                       tl::error);
}

namespace {
/// State whose keys depend on a value it loads: "flag", then "extra" when the flag is set.
struct flagged {
  double flag = 0;
  float extra = 0;
  template <class V>
  void visit_state(V&& v) {
    v("flag", std::span<double>(&flag, 1));
    if (flag != 0) v("extra", std::span<float>(&extra, 1));
  }
  template <class V>
  void visit_state(V&& v) const {
    v("flag", std::span<double const>(&flag, 1));
    if (flag != 0) v("extra", std::span<float const>(&extra, 1));
  }
};
/// Saves only its flag, however it is set (a file another kind of object wrote).
struct flag_only {
  double flag = 1;
  template <class V>
  void visit_state(V&& v) const {
    v("flag", std::span<double const>(&flag, 1));
  }
};
/// A state that cannot be copied and refuses negative values when loaded.
struct picky {
  double value = 1;
  picky() = default;
  picky(picky const&) = delete;
  picky& operator=(picky const&) = delete;
  template <class V>
  void visit_state(V&& v) {
    double loaded = value;
    v("value", std::span<double>(&loaded, 1));
    if (loaded < 0) tl::detail::fail("picky: a negative value");
    value = loaded;
  }
  template <class V>
  void visit_state(V&& v) const {
    v("value", std::span<double const>(&value, 1));
  }
};
}  // namespace

TEST_CASE("checkpoint: state that the file's own values ask for but the file lacks is a tapeless::error") {
  W w{{0.3f}, {-0.2f}};
  std::ostringstream saved;
  tl::save_checkpoint(saved, tl::params(w), flag_only{});
  flagged target;  // flag 0: the file matches what it expects now, until its flag of 1 is read
  std::istringstream in(saved.str());
  CHECK_THROWS_WITH_AS(tl::load_checkpoint(in, tl::params(w), target),
                       doctest::Contains("need the entry 'state0/extra'"), tl::error);
  CHECK(target.flag == 0);
}

TEST_CASE("checkpoint: an object loaded in place that refuses the file leaves the parameters untouched") {
  W w{{0.3f}, {-0.2f}};
  picky object;
  object.value = -2;
  std::ostringstream saved;
  tl::save_checkpoint(saved, tl::params(w), object);
  w(0, 0) = 5;
  object.value = 3;
  std::istringstream in(saved.str());
  CHECK_THROWS_WITH_AS(tl::load_checkpoint(in, tl::params(w), object), "picky: a negative value", tl::error);
  CHECK(w(0, 0) == 5);
  CHECK(object.value == 3);
}
