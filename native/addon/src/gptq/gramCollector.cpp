#include "gramCollector.h"

#include <ggml-alloc.h>

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

GramCollector::GramCollector(int threads, int layerFrom, int layerTo)
    : threads_(threads), layerFrom_(layerFrom), layerTo_(layerTo) {
  cpu_ = ggml_backend_init_by_type(GGML_BACKEND_DEVICE_TYPE_CPU, nullptr);
  if (cpu_ == nullptr) {
    error_ = "no CPU backend for the calibration products";
    return;
  }
  ggml_backend_dev_t dev = ggml_backend_get_device(cpu_);
  ggml_backend_reg_t reg = dev != nullptr ? ggml_backend_dev_backend_reg(dev) : nullptr;
  auto setThreads = reg != nullptr ? (ggml_backend_set_n_threads_t)ggml_backend_reg_get_proc_address(
                                         reg, "ggml_backend_set_n_threads")
                                   : nullptr;
  if (setThreads != nullptr) {
    setThreads(cpu_, threads_);
  }
}

GramCollector::~GramCollector() {
  if (cpu_ != nullptr) {
    ggml_backend_free(cpu_);
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
  return accumulate(g, x, d, n, src1->nb[1]);
}

bool GramCollector::accumulate(Gram& g, const float* x, int64_t d, int64_t n, size_t rowStride) {
  // XᵀX as ggml computes products: mul_mat(a, b) sums over ne0, so both sides are Xᵀ (n × d
  // stored with the tokens contiguous).
  ggml_init_params params = {ggml_tensor_overhead() * 8 + ggml_graph_overhead(), nullptr, true};
  ggml_context* ctx = ggml_init(params);
  ggml_tensor* xs = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, d, n);
  ggml_tensor* xt = ggml_cont(ctx, ggml_transpose(ctx, xs));
  ggml_tensor* prod = ggml_mul_mat(ctx, xt, xt);
  ggml_cgraph* graph = ggml_new_graph(ctx);
  ggml_build_forward_expand(graph, prod);
  ggml_backend_buffer_t buffer = ggml_backend_alloc_ctx_tensors(ctx, cpu_);
  bool ok = buffer != nullptr;
  if (ok) {
    for (int64_t r = 0; r < n; ++r) {
      ggml_backend_tensor_set(xs, (const char*)x + r * rowStride, r * d * sizeof(float),
                              d * sizeof(float));
    }
    ok = ggml_backend_graph_compute(cpu_, graph) == GGML_STATUS_SUCCESS;
  }
  if (ok) {
    product_.resize((size_t)(d * d));
    ggml_backend_tensor_get(prod, product_.data(), 0, product_.size() * sizeof(float));
    double* h = g.h.data();
    for (size_t i = 0; i < product_.size(); ++i) {
      if (!std::isfinite(product_[i])) {
        ok = false;
        error_ = "non-finite activations in the input of a layer";
        break;
      }
      h[i] += product_[i];
    }
    g.tokens += n;
  } else if (error_.empty()) {
    error_ = "the calibration product could not be computed (out of memory?)";
  }
  if (buffer != nullptr) {
    ggml_backend_buffer_free(buffer);
  }
  ggml_free(ctx);
  return ok;
}

}  // namespace lowbit::gptq
