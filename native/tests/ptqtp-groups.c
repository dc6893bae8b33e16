// Group-size sweep for PTQTP (bench/ptqtp-groups.ts): fits every linear weight of an F16 model
// with groups of G weights (the shipped types use 128) and writes the reconstruction back as
// F16, so that llama-perplexity can measure what G costs in quality. Prints the relative
// weight-space error. Usage: ptqtp-groups IN.gguf OUT.gguf G
#include "ptqtp.h"

#include "gguf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s IN.gguf OUT.gguf GROUP\n", argv[0]);
    return 2;
  }
  const int group = atoi(argv[3]);
  if (group <= 0 || group > 1024) {
    fprintf(stderr, "group size must be 1..1024\n");
    return 2;
  }
  struct ggml_context* meta = NULL;
  struct gguf_init_params params = {false, &meta};
  struct gguf_context* in = gguf_init_from_file(argv[1], params);
  if (in == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  struct gguf_context* out = gguf_init_empty();
  gguf_set_kv(out, in);
  const ptqtp_params p = ptqtp_default_params();
  double err = 0, norm = 0;
  long long fitted = 0, iterations = 0, groups = 0;
  float* row = NULL;
  int8_t t1[1024], t2[1024];
  for (int64_t i = 0; i < gguf_get_n_tensors(in); ++i) {
    const char* name = gguf_get_tensor_name(in, i);
    struct ggml_tensor* t = ggml_get_tensor(meta, name);
    const bool linear = strncmp(name, "blk.", 4) == 0 && ggml_n_dims(t) == 2 &&
                        t->type == GGML_TYPE_F16 && t->ne[0] % group == 0;
    if (linear) {
      row = realloc(row, sizeof(float) * t->ne[0]);
      ggml_fp16_t* data = (ggml_fp16_t*)t->data;
      for (int64_t r = 0; r < t->ne[1]; ++r) {
        ggml_fp16_t* src = data + r * t->ne[0];
        ggml_fp16_to_fp32_row(src, row, t->ne[0]);
        for (int64_t g = 0; g < t->ne[0]; g += group) {
          float alpha[2];
          iterations += ptqtp_fit_group(row + g, NULL, group, &p, alpha, t1, t2);
          ++groups;
          for (int j = 0; j < group; ++j) {
            const float q = alpha[0] * t1[j] + alpha[1] * t2[j];
            err += (double)(row[g + j] - q) * (row[g + j] - q);
            norm += (double)row[g + j] * row[g + j];
            row[g + j] = q;
          }
        }
        ggml_fp32_to_fp16_row(row, src, t->ne[0]);
      }
      fitted += ggml_nelements(t);
    }
    gguf_add_tensor(out, t);
  }
  if (!gguf_write_to_file(out, argv[2], false)) {
    fprintf(stderr, "cannot write %s\n", argv[2]);
    return 1;
  }
  printf("group %d: %lld weights fitted, relative error %.5f, %.1f iterations per group\n", group,
         fitted, norm > 0 ? err / norm : 0.0, groups > 0 ? (double)iterations / groups : 0.0);
  free(row);
  gguf_free(out);
  gguf_free(in);
  ggml_free(meta);
  return 0;
}
