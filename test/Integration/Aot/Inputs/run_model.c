/* Runs a model compiled by `attune compile` through its C header only:
 *   run_model DIR   reads DIR/in<i>.bin (raw row-major data of input i),
 *                   writes DIR/out<i>.bin.
 * Compile with -DMODEL_HEADER='"m.h"' -DMODEL=m. */
#include MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

static size_t elementSize(const char *dtype) {
  if (!strcmp(dtype, "float64") || !strcmp(dtype, "int64"))
    return 8;
  if (!strcmp(dtype, "float32") || !strcmp(dtype, "int32"))
    return 4;
  if (!strcmp(dtype, "float16") || !strcmp(dtype, "bfloat16") ||
      !strcmp(dtype, "int16"))
    return 2;
  return 1;
}

static size_t bytesOf(const CAT(MODEL, _tensor_info) * t) {
  size_t n = elementSize(t->dtype);
  for (int64_t i = 0; i < t->rank; ++i)
    n *= (size_t)t->shape[i];
  return n;
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  enum { NI = CAT(MODEL, _num_inputs), NO = CAT(MODEL, _num_outputs) };
  void *ins[NI], *outs[NO];
  char path[4096];
  for (int i = 0; i < NI; ++i) {
    size_t n = bytesOf(&CAT(MODEL, _inputs)[i]);
    ins[i] = malloc(n ? n : 1);
    snprintf(path, sizeof path, "%s/in%d.bin", argv[1], i);
    FILE *f = fopen(path, "rb");
    if (!f || fread(ins[i], 1, n, f) != n) {
      fprintf(stderr, "cannot read %s\n", path);
      return 1;
    }
    fclose(f);
  }
  for (int i = 0; i < NO; ++i)
    outs[i] = malloc(bytesOf(&CAT(MODEL, _outputs)[i]) + 1);
  if (CAT(MODEL, _run)((const void *const *)ins, outs) != 0)
    return 1;
  for (int i = 0; i < NO; ++i) {
    snprintf(path, sizeof path, "%s/out%d.bin", argv[1], i);
    FILE *f = fopen(path, "wb");
    fwrite(outs[i], 1, bytesOf(&CAT(MODEL, _outputs)[i]), f);
    fclose(f);
    printf("output %d: %s %s\n", i, CAT(MODEL, _outputs)[i].name,
           CAT(MODEL, _outputs)[i].dtype);
  }
  return 0;
}
