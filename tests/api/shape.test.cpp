// tests for include/tapeless/shape.hpp: broadcasting and matrix-product rules on static shapes
#include <tapeless/shape.hpp>

#include <doctest/doctest.h>

#include <type_traits>

namespace tl = tapeless;
using tl::dyn;
using tl::shape;

static_assert(tl::broadcastable<shape<dyn, 3>, shape<1, 3>>);
static_assert(tl::broadcastable<shape<dyn, 3>, shape<dyn, 1>>);
static_assert(tl::broadcastable<shape<dyn, 3>, shape<1, 1>>);
static_assert(!tl::broadcastable<shape<dyn, 3>, shape<1, 4>>);
static_assert(!tl::broadcastable<shape<dyn, 3>, shape<3, 3>>);  // a static extent above 1 never meets dyn
static_assert(std::is_same_v<tl::broadcast_t<shape<dyn, 1>, shape<1, 3>>, shape<dyn, 3>>);
static_assert(std::is_same_v<tl::broadcast_t<shape<2, 1>, shape<1, 3>>, shape<2, 3>>);
static_assert(tl::matmul_compatible<shape<dyn, 3>, shape<3, 1>>);
static_assert(!tl::matmul_compatible<shape<dyn, 3>, shape<4, 1>>);
static_assert(!tl::matmul_compatible<shape<3, dyn>, shape<dyn, 1>>);
static_assert(shape<1, 1>::scalar && !shape<dyn, 1>::scalar && shape<dyn, 1>::dynamic);

TEST_CASE("shape: extents at run time") {
  CHECK(shape<dyn, 3>::cols == 3);
  CHECK(shape<dyn, 3>::rows == dyn);
  CHECK(tl::detail::broadcast_extent(1, 5) == 5);
  CHECK(tl::detail::extents_broadcast(dyn, 1));
  CHECK_FALSE(tl::detail::extents_broadcast(dyn, 2));
}
