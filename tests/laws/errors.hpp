#pragma once
// What a call that should fail says.
#include <tapeless/config.hpp>

#include <string>

namespace laws {

/// The message of the tapeless::error that `f()` throws ("" when it throws none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (tapeless::error const& e) {
    return e.what();
  }
  return "";
}

}  // namespace laws
