#pragma once

#include <napi.h>

namespace lowbit {

// gptq(options, onProgress) → {promise, cancel}: calibrated (GPTQ-style) quantization of a file
// llama_model_quantize wrote, in place.
Napi::Value Gptq(const Napi::CallbackInfo& info);
// gptqGridTypes() → ggml type ids that compensation supports in this build.
Napi::Value GptqGridTypes(const Napi::CallbackInfo& info);

}  // namespace lowbit
