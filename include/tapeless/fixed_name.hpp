#pragma once
// A compile-time name for parameters (`tl::param<"w", 3, 1>`).
//
// Why not the textbook `template <std::size_t N> struct fixed_string`: nvcc 13
// (EDG) cannot deduce class-template NTTPs in partial specialisations and
// function templates, and a class NTTP with an array member must not reach a
// kernel's template arguments. A *non-template* structural type whose
// characters are packed into four 64-bit integers passes both (TOOLCHAIN.md).

#include <cstddef>
#include <cstdint>
#include <string>

namespace tapeless {

/// A name of at most 32 characters, usable as a template argument.
struct fixed_name {
  std::uint64_t w0 = 0, w1 = 0, w2 = 0, w3 = 0;

  constexpr fixed_name() = default;
  // Member-wise constructor: nvcc re-emits NTTP values as brace-init.
  constexpr fixed_name(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d)
      : w0(a), w1(b), w2(c), w3(d) {}

  template <std::size_t N>
  constexpr fixed_name(char const (&text)[N]) {  // NOLINT: implicit, as in param<"w">
    static_assert(N - 1 <= 32, "tapeless::param: a parameter name has at most 32 characters");
    for (std::size_t i = 0; i + 1 < N; ++i) set(i, text[i]);
  }

  [[nodiscard]] constexpr char at(std::size_t i) const {
    std::uint64_t const word = i < 8 ? w0 : i < 16 ? w1 : i < 24 ? w2 : w3;
    return static_cast<char>((word >> (8 * (i % 8))) & 0xffu);
  }
  [[nodiscard]] constexpr std::size_t size() const {
    std::size_t n = 0;
    while (n < 32 && at(n) != '\0') ++n;
    return n;
  }
  [[nodiscard]] std::string str() const {
    std::string s;
    for (std::size_t i = 0; i < size(); ++i) s.push_back(at(i));
    return s;
  }

  friend constexpr bool operator==(fixed_name const&, fixed_name const&) = default;

  /// Concatenation, for derived names (`"fc" + ".weight"`); at most 32 characters.
  friend constexpr fixed_name operator+(fixed_name a, fixed_name const& b) {
    std::size_t const n = a.size();
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (n + i >= 32) throw "tapeless::fixed_name: a name has at most 32 characters";
      a.set(n + i, b.at(i));
    }
    return a;
  }

 private:
  constexpr void set(std::size_t i, char c) {
    auto const bits = static_cast<std::uint64_t>(static_cast<unsigned char>(c)) << (8 * (i % 8));
    if (i < 8) w0 |= bits;
    else if (i < 16) w1 |= bits;
    else if (i < 24) w2 |= bits;
    else w3 |= bits;
  }
};

}  // namespace tapeless
