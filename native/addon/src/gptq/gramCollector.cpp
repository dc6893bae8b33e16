#include "gramCollector.h"

#include "gramKernel.h"

#include <cmath>
#include <cstring>

namespace lowbit::gptq {

namespace {

// CPU0#blk.0.attn_k.weight#0 → blk.0.attn_k.weight (names of copies between backends).
std::string weightName(const char* name) {
  const char* p = std::strchr(name, '#');
  if (p == nullptr) {
    return name;
  }
  p = p + 1;
  const char* q = std::strchr(p, '#');
  return q != nullptr ? std::string(p, q - p) : std::string(p);
}

}  // namespace

int layerOf(const std::string& name) {
  if (name.compare(0, 4, "blk.") != 0) {
    return -1;
  }
  char* end = nullptr;
  const long n = std::strtol(name.c_str() + 4, &end, 10);
  return end != nullptr && *end == '.' ? (int)n : -1;
}

void GramCollector::finish() {
  for (auto& [name, g] : grams_) {
    mirrorUpper(g.h.data(), g.d);
  }
}

bool GramCollector::Callback(ggml_tensor* t, bool ask, void* data) {
  return static_cast<GramCollector*>(data)->collect(t, ask);
}

const Gram* GramCollector::gramFor(const std::string& weight) const {
  auto a = alias_.find(weight);
  auto g = grams_.find(a != alias_.end() ? a->second : weight);
  return g != grams_.end() ? &g->second : nullptr;
}

void GramCollector::release(const std::string& weight) {
  grams_.erase(weight);
}

bool GramCollector::collect(ggml_tensor* t, bool ask) {
  if (ask) {
    if (t->op != GGML_OP_MUL_MAT || t->src[1]->type != GGML_TYPE_F32) {
      return false;
    }
    const int layer = layerOf(weightName(t->src[0]->name));
    return layer >= layerFrom_ && layer < layerTo_;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error_.empty()) {
    return false;
  }
  const ggml_tensor* src0 = t->src[0];
  const ggml_tensor* src1 = t->src[1];
  const std::string name = weightName(src0->name);
  const int layer = layerOf(name);
  if (layer < lastLayer_) {
    readBy_.clear();  // a new graph (the next ubatch) starts at the first layer again
  }
  lastLayer_ = layer;
  if (src0->ne[2] != 1 || src0->ne[3] != 1 || src1->ne[2] != 1 || src1->ne[3] != 1) {
    return true;  // batched or per-expert products: not a plain linear layer, left as is
  }
  if (alias_.count(name) != 0) {
    return true;
  }
  auto reader = readBy_.find(src1);
  if (reader != readBy_.end() && reader->second != name && layerOf(reader->second) == layer) {
    alias_[name] = reader->second;
    return true;
  }
  readBy_[src1] = name;
  if (src1->nb[0] != sizeof(float)) {
    error_ = "non-contiguous activations for " + name;
    return false;
  }
  const int64_t d = src1->ne[0];
  const int64_t n = src1->ne[1];
  const float* x;
  if (ggml_backend_buffer_is_host(src1->buffer)) {
    x = (const float*)src1->data;
  } else {
    host_.resize(ggml_nbytes(src1) / sizeof(float) + 1);
    ggml_backend_tensor_get(src1, host_.data(), 0, ggml_nbytes(src1));
    x = host_.data();
  }
  Gram& g = grams_[name];
  if (g.d == 0) {
    g.d = d;
    g.h.assign((size_t)(d * d), 0.0);
  } else if (g.d != d) {
    error_ = "inconsistent input sizes for " + name;
    return false;
  }
  if (!addGram(x, n, d, src1->nb[1], g.h.data(), threads_)) {
    error_ = "non-finite activations in the input of " + name;
    return false;
  }
  g.tokens += n;
  return true;
}

}  // namespace lowbit::gptq
