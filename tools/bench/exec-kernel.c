/*
 * The compute kernel behind the "native C vs the same C in wasm" rows of exec.bench.mts, built at
 * bench time with `gcc -O2` and with `clang -O2 --target=wasm32-wasi`.
 *
 *   exec-kernel matmul N REPS   dense N x N f64 matrix product, REPS times
 *   exec-kernel crc32 KIB REPS  table-driven CRC-32 of a KIB KiB buffer, REPS times
 *
 * Prints "<result> <kernel ms>": the result proves both builds computed the same thing, the time
 * (CLOCK_MONOTONIC around set-up and kernel) leaves out process start-up and instantiation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint32_t seed = 12345;
static uint32_t next_random(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

static double matmul(int n, int reps) {
  double *a = malloc(sizeof(double) * n * n);
  double *b = malloc(sizeof(double) * n * n);
  double *c = malloc(sizeof(double) * n * n);
  for (int i = 0; i < n * n; i++) {
    a[i] = (double)(next_random() % 1000) / 1000.0;
    b[i] = (double)(next_random() % 1000) / 1000.0;
  }
  double sum = 0;
  for (int r = 0; r < reps; r++) {
    memset(c, 0, sizeof(double) * n * n);
    for (int i = 0; i < n; i++)
      for (int k = 0; k < n; k++) {
        double aik = a[i * n + k];
        for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
      }
    sum += c[(r * 7919) % (n * n)];
    a[r % (n * n)] = c[n * n - 1 - r % (n * n)] / n;
  }
  free(a);
  free(b);
  free(c);
  return sum;
}

static uint32_t crc32(int kib, int reps) {
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  size_t len = (size_t)kib * 1024;
  uint8_t *buf = malloc(len);
  for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)next_random();
  uint32_t crc = 0;
  for (int r = 0; r < reps; r++) {
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    crc = ~crc;
    buf[r % len] ^= (uint8_t)crc;
  }
  free(buf);
  return crc;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s matmul|crc32 SIZE REPS\n", argv[0]);
    return 2;
  }
  int size = atoi(argv[2]);
  int reps = atoi(argv[3]);
  double t0 = now_ms();
  if (strcmp(argv[1], "matmul") == 0) {
    double sum = matmul(size, reps);
    printf("%.9e %.3f\n", sum, now_ms() - t0);
  } else if (strcmp(argv[1], "crc32") == 0) {
    uint32_t crc = crc32(size, reps);
    printf("%08x %.3f\n", crc, now_ms() - t0);
  } else {
    fprintf(stderr, "unknown kernel %s\n", argv[1]);
    return 2;
  }
  return 0;
}
