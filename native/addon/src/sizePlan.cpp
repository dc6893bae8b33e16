#include "sizePlan.h"

#include <ggml.h>
#include <gguf.h>

#include <cstdlib>

namespace lowbit {

bool predictQuantizedFileSize(const std::string& input, llama_ftype ftype,
                              const llama_model_kv_override* overrides,
                              const std::vector<TensorPlan>& tensors, uint64_t& fileBytes,
                              std::string& error) {
  ggml_context* meta = nullptr;
  gguf_init_params params = {/*no_alloc =*/true, /*ctx =*/&meta};
  gguf_context* in = gguf_init_from_file(input.c_str(), params);
  if (in == nullptr) {
    error = "could not read the model's header";
    return false;
  }
  gguf_context* out = gguf_init_empty();
  gguf_set_kv(out, in);
  gguf_set_val_u32(out, "general.quantization_version", GGML_QNT_VERSION);
  gguf_set_val_u32(out, "general.file_type", (uint32_t)ftype);
  gguf_remove_key(out, "split.no");
  gguf_remove_key(out, "split.count");
  gguf_remove_key(out, "split.tensors.count");
  for (const llama_model_kv_override* o = overrides; o != nullptr && o->key[0] != 0; ++o) {
    if (o->tag == LLAMA_KV_OVERRIDE_TYPE_FLOAT) {
      gguf_set_val_f32(out, o->key, (float)o->val_f64);
    } else if (o->tag == LLAMA_KV_OVERRIDE_TYPE_INT) {
      gguf_set_val_u32(out, o->key, (uint32_t)std::abs(o->val_i64));
    } else if (o->tag == LLAMA_KV_OVERRIDE_TYPE_BOOL) {
      gguf_set_val_bool(out, o->key, o->val_bool);
    } else if (o->tag == LLAMA_KV_OVERRIDE_TYPE_STR) {
      gguf_set_val_str(out, o->key, o->val_str);
    }
  }
  uint64_t data = 0;
  bool ok = true;
  for (const TensorPlan& plan : tensors) {
    ggml_tensor* tensor = ggml_get_tensor(meta, plan.name.c_str());
    if (tensor == nullptr || plan.toType == GGML_TYPE_COUNT) {
      error = "the dry run named a tensor the file does not have: " + plan.name;
      ok = false;
      break;
    }
    gguf_add_tensor(out, tensor);
    gguf_set_tensor_type(out, plan.name.c_str(), plan.toType);
    data += GGML_PAD(plan.bytes, GGUF_DEFAULT_ALIGNMENT);
  }
  if (ok) {
    fileBytes = gguf_get_meta_size(out) + data;
  }
  gguf_free(out);
  gguf_free(in);
  ggml_free(meta);
  return ok;
}

}  // namespace lowbit
