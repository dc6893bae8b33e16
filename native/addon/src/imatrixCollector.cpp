#include "imatrixCollector.h"

#include <cmath>
#include <cstring>

namespace lowbit {

namespace {

// CUDA0#blk.0.attn_k.weight#0 → blk.0.attn_k.weight
std::string filterTensorName(const char* name) {
  const char* p = std::strchr(name, '#');
  if (p == nullptr) {
    return name;
  }
  p = p + 1;
  const char* q = std::strchr(p, '#');
  return q != nullptr ? std::string(p, q - p) : std::string(p);
}

bool allFinite(const float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ImatrixCollector::Callback(ggml_tensor* t, bool ask, void* data) {
  return static_cast<ImatrixCollector*>(data)->collect(t, ask);
}

void ImatrixCollector::noteChunks(int64_t count) {
  const int32_t chunks = (int32_t)(count / chunkSize_);
  if (chunks > file_.chunkCount) {
    file_.chunkCount = chunks;
  }
}

bool ImatrixCollector::collect(ggml_tensor* t, bool ask) {
  const ggml_tensor* src0 = t->src[0];
  const ggml_tensor* src1 = t->src[1];
  const std::string wname = filterTensorName(src0->name);

  if (ask) {
    if (t->op == GGML_OP_MUL_MAT_ID) {
      return true;
    }
    if (t->op != GGML_OP_MUL_MAT) {
      return false;
    }
    // Like llama.cpp: skip small batches and the output matrix (its input is the final norm).
    if (src1->ne[1] < 16 || src1->type != GGML_TYPE_F32) {
      return false;
    }
    return wname.substr(0, 4) == "blk.";
  }

  std::lock_guard<std::mutex> lock(mutex_);
  if (!error_.empty()) {
    return false;
  }
  const bool isHost = ggml_backend_buffer_is_host(src1->buffer);
  if (!isHost) {
    src1Data_.resize(ggml_nbytes(src1));
    ggml_backend_tensor_get(src1, src1Data_.data(), 0, ggml_nbytes(src1));
  }
  const char* data = isHost ? (const char*)src1->data : src1Data_.data();
  if (src1->nb[0] != ggml_element_size(src1)) {
    error_ = "non-contiguous activations for " + wname;
    return false;
  }

  if (t->op == GGML_OP_MUL_MAT_ID) {
    const ggml_tensor* ids = t->src[2];
    const int64_t nAs = src0->ne[2];
    const int64_t nIds = ids->ne[0];
    if (ggml_nrows(src1) != src1->ne[1] * src1->ne[2]) {
      error_ = "activations with more than 3 dimensions for " + wname;
      return false;
    }
    ids_.resize(ggml_nbytes(ids));
    ggml_backend_tensor_get(ids, ids_.data(), 0, ggml_nbytes(ids));
    ImatrixStats& e = file_.entries[wname];
    if (e.values.empty()) {
      e.values.resize(src1->ne[0] * nAs, 0);
      e.counts.resize(nAs, 0);
    } else if (e.values.size() != (size_t)(src1->ne[0] * nAs) || e.counts.size() != (size_t)nAs) {
      error_ = "inconsistent sizes for " + wname;
      return false;
    }
    const int64_t ne0 = src1->ne[0];
    const int64_t nTokens = src1->ne[2];
    std::vector<uint8_t> touched(nAs, 0);
    for (int64_t idx = 0; idx < nIds; ++idx) {
      for (int64_t row = 0; row < nTokens; ++row) {
        const int32_t ex = *(const int32_t*)(ids_.data() + row * ids->nb[1] + idx * ids->nb[0]);
        if (ex < 0 || ex >= nAs) {
          error_ = "expert id out of range for " + wname;
          return false;
        }
        const int64_t i11 = idx % src1->ne[1];
        const float* x = (const float*)(data + i11 * src1->nb[1] + row * src1->nb[2]);
        float* acc = e.values.data() + ex * ne0;
        e.counts[ex]++;
        touched[ex] = 1;
        for (int64_t j = 0; j < ne0; ++j) {
          acc[j] += x[j] * x[j];
        }
      }
    }
    for (int64_t ex = 0; ex < nAs; ++ex) {
      if (touched[ex] && !allFinite(e.values.data() + ex * ne0, ne0)) {
        error_ = "non-finite activations in " + wname;
        return false;
      }
      noteChunks(e.counts[ex]);
    }
    return true;
  }

  ImatrixStats& e = file_.entries[wname];
  const int64_t nMat = src0->ne[2] * src0->ne[3];
  if (e.values.empty()) {
    e.values.resize(src1->ne[0] * nMat, 0);
    e.counts.resize(1, 0);
  } else if (e.values.size() != (size_t)(src1->ne[0] * nMat)) {
    error_ = "inconsistent sizes for " + wname;
    return false;
  }
  const int64_t ne0 = src1->ne[0];
  for (int64_t i3 = 0; i3 < src1->ne[3]; ++i3) {
    for (int64_t i2 = 0; i2 < src1->ne[2]; ++i2) {
      const int64_t matId = (i3 % src0->ne[3]) * src0->ne[2] + (i2 % src0->ne[2]);
      float* acc = e.values.data() + matId * ne0;
      for (int64_t row = 0; row < src1->ne[1]; ++row) {
        const float* x = (const float*)(data + row * src1->nb[1] + i2 * src1->nb[2] + i3 * src1->nb[3]);
        for (int64_t j = 0; j < ne0; ++j) {
          acc[j] += x[j] * x[j];
        }
      }
    }
  }
  if (!allFinite(e.values.data(), e.values.size())) {
    error_ = "non-finite activations in " + wname;
    return false;
  }
  for (int64_t& count : e.counts) {
    count += ggml_nrows(src1) / nMat;
    noteChunks(count);
  }
  return true;
}

}  // namespace lowbit
