// The exact size of the file llama_model_quantize would write, from a dry run's type plan:
// the same gguf calls it makes for the output header (src/llama-quant.cpp), plus each tensor's
// data padded to GGUF_DEFAULT_ALIGNMENT.
#pragma once

#include <llama.h>

#include <string>
#include <vector>

#include "quantizeLog.h"

namespace lowbit {

bool predictQuantizedFileSize(const std::string& input, llama_ftype ftype,
                              const llama_model_kv_override* overrides,
                              const std::vector<TensorPlan>& tensors, uint64_t& fileBytes,
                              std::string& error);

}  // namespace lowbit
