// Reads llama_model_quantize's log lines (src/llama-quant.cpp): one line per tensor,
//   "[  i/  n] name - [ne0, ne1, ne2, ne3], type = f16, " then, in pieces,
//   "converting to q4_K .. " and "size = A MiB -> B MiB" (or, in a dry run, "… (q4_K)"),
// which is the only progress and type plan llama.cpp reports.
#pragma once

#include <ggml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lowbit {

struct TensorPlan {
  std::string name;
  int64_t ne[4] = {0, 0, 0, 0};
  ggml_type fromType = GGML_TYPE_COUNT;
  ggml_type toType = GGML_TYPE_COUNT;
  uint64_t bytes = 0;
};

struct TensorStart {
  int index;  // 1-based, as printed
  int count;
  std::string name;
};

class QuantizeLogParser {
 public:
  /** Feeds one log callback's text; returns true (and fills `start`) when a tensor begins. */
  bool feed(const char* text, TensorStart& start);

  const std::vector<TensorPlan>& tensors() const { return tensors_; }
  bool requiresImatrix() const { return requiresImatrix_; }
  int fallbackTensors() const { return fallback_; }

 private:
  void finish();

  std::vector<TensorPlan> tensors_;
  TensorPlan current_;
  bool open_ = false;
  bool requiresImatrix_ = false;
  int fallback_ = 0;
};

}  // namespace lowbit
