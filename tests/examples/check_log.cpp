// Output check for the examples beyond the lecture (examples/mlp.cpp, logistic_regression.cpp,
// softmax_regression.cpp), registered by examples/CMakeLists.txt as example.<name>.output:
//
//   example_check_log <program> <expected log> [<key> <rule>]...
//
// runs <program> and checks that
//   1. it exits with 0;
//   2. its log matches the committed one (tests/data/example.<name>.log, PyTorch 1.13's log of the
//      same training, written by tests/examples/torch_logs.py) line by line: the text exactly,
//      integers exactly, and each decimal number within two units of its last printed digit or
//      1e-4 relative, whichever is larger. tapeless prints PyTorch's logs digit for digit today
//      (g++ 12 and clang 14, OMP and CPP); the slack is there so that a last-bit difference that
//      flips a printed rounding cannot fail the test, while any change of a trajectory does;
//   3. the values printed after <key> obey <rule>, whatever the committed log says (so that a log
//      regenerated from a program that stopped learning still fails): `last<X`, `last>=X`,
//      `first>X` (first or last line holding the key), or `decreasing` (strictly, line by line).
//
// `example_check_log --self-test` checks the checker: each comparison accepts what it must accept
// and refuses what it must refuse. Only the standard library (and POSIX popen): this compiles in
// a few seconds, and the examples themselves are compiled once, as examples.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int failures = 0;
bool quiet = false;  // the self-test's deliberate refusals are counted, not printed

void fail(std::string const& what) {
  if (!quiet) std::cerr << "FAIL: " << what << '\n';
  ++failures;
}

/// A log line split into its text (numbers replaced by '#') and its numbers.
struct parsed_line {
  std::string text;
  std::vector<std::string> numbers;
};

/// Numbers are an optional sign, digits, and optionally a point and digits ("-16", "+0.0822").
parsed_line parse_line(std::string const& line) {
  auto digit = [&line](std::size_t i) { return i < line.size() && line[i] >= '0' && line[i] <= '9'; };
  parsed_line out;
  std::size_t i = 0;
  while (i < line.size()) {
    bool const sign = (line[i] == '-' || line[i] == '+') && digit(i + 1);
    if (!sign && !digit(i)) {
      out.text += line[i++];
      continue;
    }
    std::size_t end = sign ? i + 1 : i;
    while (digit(end)) ++end;
    if (end < line.size() && line[end] == '.' && digit(end + 1)) {
      ++end;
      while (digit(end)) ++end;
    }
    out.text += '#';
    out.numbers.push_back(line.substr(i, end - i));
    i = end;
  }
  return out;
}

std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(line);
  return lines;
}

/// Whether `actual` matches the committed `expected` number (rule 2 above).
bool number_matches(std::string const& actual, std::string const& expected) {
  auto const dot = expected.find('.');
  if (dot == std::string::npos) return actual == expected;
  double const unit = std::pow(10.0, -static_cast<double>(expected.size() - dot - 1));
  double const a = std::strtod(actual.c_str(), nullptr);
  double const e = std::strtod(expected.c_str(), nullptr);
  return std::abs(a - e) <= std::max(2 * unit, 1e-4 * std::abs(e)) * (1 + 1e-9);
}

/// Compares a log with the committed one; returns the number of mismatches.
int compare_logs(std::string const& actual_text, std::string const& expected_text) {
  auto const actual = lines_of(actual_text);
  auto const expected = lines_of(expected_text);
  int mismatches = 0;
  if (actual.size() != expected.size()) {
    fail("the log has " + std::to_string(actual.size()) + " lines, the committed one " +
         std::to_string(expected.size()));
    return 1;
  }
  for (std::size_t i = 0; i < actual.size(); ++i) {
    auto const a = parse_line(actual[i]);
    auto const e = parse_line(expected[i]);
    bool same = a.text == e.text && a.numbers.size() == e.numbers.size();
    for (std::size_t k = 0; same && k < a.numbers.size(); ++k) same = number_matches(a.numbers[k], e.numbers[k]);
    if (!same) {
      fail("line " + std::to_string(i + 1) + " differs\n  printed:   " + actual[i] + "\n  committed: " + expected[i]);
      ++mismatches;
    }
  }
  return mismatches;
}

/// The value after `key` in each line that holds it ("loss: 0.18389" -> 0.18389).
std::vector<double> values_after(std::string const& log, std::string const& key) {
  std::vector<double> values;
  for (auto const& line : lines_of(log)) {
    auto const at = line.find(key);
    if (at != std::string::npos) values.push_back(std::strtod(line.c_str() + at + key.size(), nullptr));
  }
  return values;
}

/// Checks rule 3 for one key; returns whether it holds.
bool rule_holds(std::string const& log, std::string const& key, std::string const& rule) {
  auto const values = values_after(log, key);
  if (values.empty()) {
    fail("no line holds '" + key + "'");
    return false;
  }
  auto bound = [&](std::size_t prefix) { return std::strtod(rule.c_str() + prefix, nullptr); };
  bool holds = false;
  if (rule == "decreasing") {
    holds = values.size() >= 2;
    for (std::size_t i = 1; i < values.size(); ++i) holds = holds && values[i] < values[i - 1];
  } else if (rule.rfind("last<", 0) == 0) {
    holds = values.back() < bound(5);
  } else if (rule.rfind("last>=", 0) == 0) {
    holds = values.back() >= bound(6);
  } else if (rule.rfind("first>", 0) == 0) {
    holds = values.front() > bound(6);
  } else {
    fail("unknown rule '" + rule + "'");
    return false;
  }
  if (!holds) {
    std::ostringstream seen;
    for (double v : values) seen << ' ' << v;
    fail("'" + key + "' breaks the rule " + rule + "; values:" + seen.str());
  }
  return holds;
}

int self_test() {
  int wrong = 0;  // expectations of the self-test that did not hold
  auto expect = [&wrong](bool ok, char const* what) {
    if (!ok) {
      std::cerr << "FAIL: self-test: " << what << '\n';
      ++wrong;
    }
  };
  expect(number_matches("0.18389", "0.18389"), "equal numbers match");
  expect(number_matches("0.18391", "0.18389"), "two units of the last digit match");
  expect(!number_matches("0.18392", "0.18389"), "three units of the last digit do not match");
  expect(number_matches("1234.56", "1234.66"), "1e-4 relative matches");
  expect(!number_matches("-1.7914", "+1.7914"), "a sign change does not match");
  expect(!number_matches("201", "200"), "integers match exactly");
  auto const p = parse_line("Epoch  10/100 loss: 0.20395 w: (+1.3737, +1.3407)");
  expect(p.text == "Epoch  #/# loss: # w: (#, #)", "text with numbers replaced");
  expect(p.numbers == std::vector<std::string>{"10", "100", "0.20395", "+1.3737", "+1.3407"}, "numbers found");

  std::string const log = "Epoch 0 loss: 0.500\nEpoch 10 loss: 0.300\nEpoch 20 loss: 0.200\naccuracy: 91.0 %\n";
  quiet = true;
  expect(compare_logs(log, log) == 0, "a log matches itself");
  expect(compare_logs(log, "Epoch 0 loss: 0.500\nEpoch 10 loss: 0.303\nEpoch 20 loss: 0.200\naccuracy: 91.0 %\n") == 1,
         "a changed number is found");
  expect(compare_logs(log, "Epoch 0 loss: 0.500\nEpoch 10 cost: 0.300\nEpoch 20 loss: 0.200\naccuracy: 91.0 %\n") == 1,
         "a changed word is found");
  expect(compare_logs(log, "Epoch 0 loss: 0.500\n") == 1, "a missing line is found");
  expect(rule_holds(log, "loss: ", "decreasing"), "decreasing holds");
  expect(rule_holds(log, "loss: ", "last<0.25") && !rule_holds(log, "loss: ", "last<0.2"), "last< bounds");
  expect(rule_holds(log, "loss: ", "first>0.4") && !rule_holds(log, "loss: ", "first>0.5"), "first> bounds");
  expect(rule_holds(log, "accuracy: ", "last>=91") && !rule_holds(log, "accuracy: ", "last>=91.5"), "last>= bounds");
  expect(!rule_holds("loss: 0.2\nloss: 0.2\n", "loss: ", "decreasing"), "equal values are not decreasing");
  expect(!rule_holds(log, "cost: ", "last<1"), "a missing key fails");
  expect(!rule_holds(log, "loss: ", "below<1"), "an unknown rule fails");
  quiet = false;
  expect(failures == 9, "every refusal was reported as a failure");
  if (wrong == 0) std::cout << "example_check_log: self-test passed\n";
  return wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--self-test") return self_test();
  if (argc < 3 || argc % 2 == 0) {
    std::cerr << "usage: example_check_log <program> <expected log> [<key> <rule>]...\n"
                 "       example_check_log --self-test\n";
    return 2;
  }
  std::ifstream in(argv[2]);
  if (!in) {
    std::cerr << "FAIL: cannot open " << argv[2] << '\n';
    return 1;
  }
  std::stringstream expected;
  expected << in.rdbuf();

  std::string const command = std::string("\"") + argv[1] + "\"";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::cerr << "FAIL: cannot run " << argv[1] << '\n';
    return 1;
  }
  std::string log;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) log.append(buffer, n);
  int const status = pclose(pipe);
  std::cout << log;
  if (status != 0) fail(std::string(argv[1]) + " exited with status " + std::to_string(status));

  compare_logs(log, expected.str());
  for (int i = 3; i + 1 < argc; i += 2) rule_holds(log, argv[i], argv[i + 1]);
  if (failures == 0) std::cout << "example_check_log: the log matches " << argv[2] << " and every rule holds\n";
  return failures == 0 ? 0 : 1;
}
