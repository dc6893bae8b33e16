// Lowbit's native addon: quantization, importance matrices and evaluation through the libllama/libggml
// that node-llama-cpp loads. Loaded only in the model worker process, never in the app's.
#include <llama.h>
#include <napi.h>

#include "backends.h"
#include "evalJob.h"
#include "ggmlTypeNames.h"
#include "gptqJob.h"
#include "imatrixJob.h"
#include "quantizeJob.h"

namespace lowbit {

Napi::Value SystemInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("llamaSystemInfo", Napi::String::New(env, llama_print_system_info()));
  result.Set("libraryDir", Napi::String::New(env, llamaLibraryDir()));
  result.Set("qntVersion", Napi::Number::New(env, GGML_QNT_VERSION));
  Napi::Array types = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = 0; i < GGML_TYPE_COUNT; ++i) {
    const ggml_type type = (ggml_type)i;
    const char* name = ggml_type_name(type);
    if (name == nullptr || ggml_blck_size(type) == 0) {
      continue;
    }
    Napi::Object row = Napi::Object::New(env);
    row.Set("id", Napi::Number::New(env, i));
    row.Set("name", Napi::String::New(env, name));
    row.Set("blockSize", Napi::Number::New(env, (double)ggml_blck_size(type)));
    row.Set("typeSize", Napi::Number::New(env, (double)ggml_type_size(type)));
    types.Set(n++, row);
  }
  result.Set("ggmlTypes", types);
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // At load, not in the first job: a worker pays for it while it starts, as llama-quantize does
  // before its timer.
  ensureLlamaInit();
  exports.Set("quantize", Napi::Function::New(env, Quantize, "quantize"));
  exports.Set("computeImatrix", Napi::Function::New(env, ComputeImatrix, "computeImatrix"));
  exports.Set("evaluate", Napi::Function::New(env, Evaluate, "evaluate"));
  exports.Set("gptq", Napi::Function::New(env, Gptq, "gptq"));
  exports.Set("gptqGridTypes", Napi::Function::New(env, GptqGridTypes, "gptqGridTypes"));
  exports.Set("readImatrix", Napi::Function::New(env, ReadImatrix, "readImatrix"));
  exports.Set("systemInfo", Napi::Function::New(env, SystemInfo, "systemInfo"));
  return exports;
}

}  // namespace lowbit

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return lowbit::Init(env, exports);
}

NODE_API_MODULE(lowbit_addon, InitModule)
