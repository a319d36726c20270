// expect: expected ';'
// Sanity pair for the compile-fail machinery: the "ok" twin compiles, the "fail" twin has a plain
// syntax error on the line next to it and must be rejected with the message above.
int main() {
  int x = 0;
#ifdef TAPELESS_EXPECT_FAIL
  x = 1
#else
  x = 1;
#endif
  return x - 1;
}
