// Importance matrices in llama.cpp's GGUF imatrix format (tools/imatrix/imatrix.cpp
// save_imatrix, common/imatrix-loader.cpp): per weight matrix, `<name>.in_sum2` (sum of squared
// activations, F32 [n_embd, n_mat]) and `<name>.counts` (F32 [1, n_mat]), plus imatrix.* keys.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lowbit {

struct ImatrixStats {
  std::vector<float> values;
  std::vector<int64_t> counts;
};

struct ImatrixFile {
  std::map<std::string, ImatrixStats> entries;
  std::vector<std::string> datasets;
  int32_t chunkCount = 0;
  int32_t chunkSize = 0;
  bool hasMetadata = false;
};

/** Reads a GGUF imatrix; on failure returns false with a reason in `error`. */
bool readImatrixFile(const std::string& path, ImatrixFile& out, std::string& error);

/** Writes `file` as llama-imatrix does (sorted entries, general.type = "imatrix"). */
bool writeImatrixFile(const std::string& path, const ImatrixFile& file, std::string& error);

/**
 * What llama-quantize passes to llama_model_quantize: sums divided by their counts per matrix
 * (1 where a matrix saw no tokens), exactly as tools/quantize/quantize.cpp load_imatrix.
 */
std::map<std::string, std::vector<float>> normalizeImatrix(const ImatrixFile& file);

}  // namespace lowbit
