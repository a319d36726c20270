#pragma once
// Configuration shared by every tapeless header: host/device annotations, the
// error type, and the run-time check used for dynamic extents and bad data.

#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#  define TAPELESS_HOST_DEVICE __host__ __device__
#else
#  define TAPELESS_HOST_DEVICE
#endif

#if defined(__CUDACC__)
#  define TAPELESS_INLINE __forceinline__
#elif defined(__GNUC__) || defined(__clang__)
// Row evaluation is a deep stack of tiny functions; forcing them inline lets the
// compiler see one loop body and share common subterms (the residual) itself.
#  define TAPELESS_INLINE inline __attribute__((always_inline))
#else
#  define TAPELESS_INLINE inline
#endif

/// The inline namespace of the evaluation entry points (`value_and_grad`,
/// `value` and what they call). Their definitions depend on the compiler: an
/// nvcc translation unit can run a pass on the GPU, a host one cannot. The
/// namespace keeps the two apart, so that a program with both kinds of units
/// never meets two definitions of one function (as Thrust versions its systems).
#if defined(__CUDACC__)
#  define TAPELESS_UNIT cuda_unit
#else
#  define TAPELESS_UNIT host_unit
#endif

namespace tapeless {

/// The exception every run-time check of tapeless throws: a dynamic extent that
/// does not match, data that cannot be used, a value outside its domain.
/// `what()` reads `tapeless::<api>: <what is wrong>; <what to do>`.
class error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
[[noreturn]] inline void fail(char const* message) { throw error(message); }
[[noreturn]] inline void fail(std::string const& message) { throw error(message); }
}  // namespace detail

}  // namespace tapeless

/// Run-time twin of the static checks: throws tapeless::error with `message`.
#define TAPELESS_CHECK(condition, message)     \
  do {                                         \
    if (!(condition)) ::tapeless::detail::fail(message); \
  } while (false)
