/*
 * A WASI command calculator in C: `calculator 2 + 2` (or "2 + 2" as one argument) prints 4.
 * Integers (64-bit) and + - * / %; a malformed expression or a division by zero prints a message
 * on stderr and exits with status 1. Built with clang --target=wasm32-wasi when clang is present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *message) {
  fprintf(stderr, "calculator: %s\n", message);
  return 1;
}

int main(int argc, char **argv) {
  char text[1024] = "";
  for (int i = 1; i < argc; i++) {
    if (strlen(text) + strlen(argv[i]) + 2 > sizeof text) return fail("expression too long");
    if (i > 1) strcat(text, " ");
    strcat(text, argv[i]);
  }
  long long a, b;
  char op, rest;
  int n = sscanf(text, " %lld %c %lld %c", &a, &op, &b, &rest);
  if (n < 3) return fail("usage: calculator A OP B, e.g. calculator 2 + 2");
  if (n == 4) return fail("unexpected text after the expression");
  switch (op) {
  case '+': printf("%lld\n", a + b); return 0;
  case '-': printf("%lld\n", a - b); return 0;
  case '*': printf("%lld\n", a * b); return 0;
  case '/':
  case '%':
    if (b == 0) return fail("division by zero");
    printf("%lld\n", op == '/' ? a / b : a % b);
    return 0;
  default: return fail("unknown operator; use + - * / %");
  }
}
