// llama.cpp's importance-matrix method (tools/imatrix/imatrix.cpp, IMatrixCollector): a graph
// eval callback that, for every matrix multiplication by a model weight, adds the squared
// input activations per column, and counts the rows that contributed.
#pragma once

#include <ggml-backend.h>
#include <ggml.h>

#include <mutex>
#include <string>
#include <vector>

#include "imatrixFile.h"

namespace lowbit {

class ImatrixCollector {
 public:
  /** `chunkSize`: tokens per evaluated chunk (for imatrix.chunk_count, as llama.cpp counts). */
  explicit ImatrixCollector(int32_t chunkSize) : chunkSize_(chunkSize) {}

  /** ggml_backend_sched_eval_callback; `data` is the collector. */
  static bool Callback(ggml_tensor* t, bool ask, void* data);

  const ImatrixFile& file() const { return file_; }
  ImatrixFile& file() { return file_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool collect(ggml_tensor* t, bool ask);
  void noteChunks(int64_t count);

  int32_t chunkSize_;
  ImatrixFile file_;
  std::mutex mutex_;
  std::vector<char> src1Data_;
  std::vector<char> ids_;
  std::string error_;
};

}  // namespace lowbit
