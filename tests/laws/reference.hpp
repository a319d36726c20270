#pragma once
// Reading the PyTorch reference data committed under tests/data.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef TAPELESS_TEST_DATA_DIR
#  error "TAPELESS_TEST_DATA_DIR must name tests/data"
#endif

namespace laws {

/// Path of a file in tests/data.
inline std::string data_path(std::string const& name) { return std::string(TAPELESS_TEST_DATA_DIR) + "/" + name; }

/// The text of a file in tests/data.
inline std::string read_text(std::string const& name) {
  std::ifstream in(data_path(name));
  if (!in) throw std::runtime_error("cannot open " + data_path(name));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Rows of a CSV file in tests/data, header skipped, as strings.
inline std::vector<std::vector<std::string>> read_csv(std::string const& name) {
  std::istringstream in(read_text(name));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::istringstream cs(line);
    std::string cell;
    while (std::getline(cs, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

/// `text` with every run of whitespace collapsed to one space, trimmed.
inline std::string collapse_whitespace(std::string const& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace laws
