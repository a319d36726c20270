// expect: tapeless::nn::sequential: two layers have parameters of the same name
#include <tapeless/tapeless.hpp>
namespace tl = tapeless;
// A module of the user's own: it has fixed names and no renamed<Name>() member.
template <tl::fixed_name Name>
struct block {
  tl::nn::linear<2, 2, Name> fc{1};
  auto operator()(auto const& x) const { return tl::tanh(fc(x)); }
  auto parameters() { return fc.parameters(); }
};
int main() {
#ifdef TAPELESS_EXPECT_FAIL
  tl::nn::sequential model{block<"fc">{}, block<"fc">{}};  // both "fc.weight"
#else
  tl::nn::sequential model{block<"fc1">{}, block<"fc2">{}};
#endif
  return static_cast<int>(model.size()) - 2;
}
