// tests for include/tapeless/config.hpp: the error type and the run-time check
#include <tapeless/config.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <type_traits>

static_assert(std::is_base_of_v<std::invalid_argument, tapeless::error>);

TEST_CASE("config: TAPELESS_CHECK throws tapeless::error with the message, only when the condition fails") {
  CHECK_NOTHROW(TAPELESS_CHECK(1 + 1 == 2, "tapeless::test: never"));
  CHECK_THROWS_WITH_AS(TAPELESS_CHECK(1 + 1 == 3, "tapeless::test: arithmetic is broken; fix it"),
                       "tapeless::test: arithmetic is broken; fix it", tapeless::error);
  // catchable as the standard exception users already handle
  CHECK_THROWS_AS(TAPELESS_CHECK(false, "tapeless::test: x"), std::invalid_argument);
}
