// The calibration pass's graph callback: for every matrix product by a layer weight
// (blk.N.*.weight) it adds XᵀX of that product's input activations X (tokens × d) to the input's
// Gram matrix H, in double precision. Weights that read the same input in one graph (q, k and v
// read the attention norm; gate and up the FFN norm) share one H, under the first one's name.
// The products run per ubatch in gramKernel (upper triangle, our own threads); finish() mirrors
// the matrices once the pass is over.
#pragma once

#include <ggml-backend.h>
#include <ggml.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lowbit::gptq {

struct Gram {
  int64_t d = 0;
  std::vector<double> h;  // d×d, row-major
  int64_t tokens = 0;
};

class GramCollector {
 public:
  // Collects only layers in [layerFrom, layerTo), so a big model's statistics can be gathered
  // in several passes that each fit in memory.
  GramCollector(int threads, int layerFrom, int layerTo)
      : threads_(threads), layerFrom_(layerFrom), layerTo_(layerTo) {}

  // After the last chunk: the full symmetric matrices.
  void finish();

  static bool Callback(ggml_tensor* t, bool ask, void* data);

  // The Gram matrix of a weight's input (following shared inputs), or nullptr.
  const Gram* gramFor(const std::string& weight) const;
  void release(const std::string& weight);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool collect(ggml_tensor* t, bool ask);

  int threads_;
  int layerFrom_;
  int layerTo_;
  std::map<std::string, Gram> grams_;
  std::map<std::string, std::string> alias_;
  // Within one graph: which weight first read an input tensor; cleared when a graph starts over.
  std::map<const ggml_tensor*, std::string> readBy_;
  int lastLayer_ = -1;
  std::vector<float> host_;
  std::mutex mutex_;
  std::string error_;
};

// "blk.12.attn_q.weight" → 12; -1 for anything else.
int layerOf(const std::string& name);

}  // namespace lowbit::gptq
