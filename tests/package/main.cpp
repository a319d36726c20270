#include <tapeless/tapeless.hpp>

int main() {
  tapeless::param<"b"> b;
  return b.item() == 0.0f ? 0 : 1;
}
