// Placeholder: the whole library must compile under nvcc. Replace with real device checks.
#include <tapeless/tapeless.hpp>

int main() {}
