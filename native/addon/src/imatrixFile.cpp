#include "imatrixFile.h"

#include <ggml.h>
#include <gguf.h>

#include <algorithm>
#include <cmath>

namespace lowbit {

namespace {
const char* const kDatasets = "imatrix.datasets";
const char* const kChunkCount = "imatrix.chunk_count";
const char* const kChunkSize = "imatrix.chunk_size";

bool removeSuffix(std::string& name, const std::string& suffix) {
  if (name.size() >= suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    name.resize(name.size() - suffix.size());
    return true;
  }
  return false;
}
}  // namespace

bool readImatrixFile(const std::string& path, ImatrixFile& out, std::string& error) {
  ggml_context* ctx = nullptr;
  gguf_init_params params = {/*no_alloc =*/false, /*ctx =*/&ctx};
  gguf_context* gguf = gguf_init_from_file(path.c_str(), params);
  if (gguf == nullptr) {
    error = "not a GGUF importance matrix (llama.cpp could not read it)";
    return false;
  }
  const int64_t datasetsKey = gguf_find_key(gguf, kDatasets);
  const int64_t chunkCountKey = gguf_find_key(gguf, kChunkCount);
  const int64_t chunkSizeKey = gguf_find_key(gguf, kChunkSize);
  if (datasetsKey != -1 && gguf_get_kv_type(gguf, datasetsKey) == GGUF_TYPE_ARRAY &&
      gguf_get_arr_type(gguf, datasetsKey) == GGUF_TYPE_STRING) {
    const size_t n = gguf_get_arr_n(gguf, datasetsKey);
    for (size_t i = 0; i < n; ++i) {
      out.datasets.emplace_back(gguf_get_arr_str(gguf, datasetsKey, i));
    }
  }
  out.hasMetadata = datasetsKey != -1 && chunkCountKey != -1 && chunkSizeKey != -1;
  out.chunkCount = chunkCountKey != -1 ? (int32_t)gguf_get_val_u32(gguf, chunkCountKey) : 0;
  out.chunkSize = chunkSizeKey != -1 ? (int32_t)gguf_get_val_u32(gguf, chunkSizeKey) : 0;

  std::map<std::string, std::pair<ggml_tensor*, ggml_tensor*>> pairs;
  for (ggml_tensor* t = ggml_get_first_tensor(ctx); t != nullptr; t = ggml_get_next_tensor(ctx, t)) {
    std::string name = t->name;
    if (removeSuffix(name, ".in_sum2")) {
      pairs[name].first = t;
    } else if (removeSuffix(name, ".counts")) {
      pairs[name].second = t;
    }
  }
  bool ok = !pairs.empty();
  if (!ok) {
    error = "the file holds no importance data";
  }
  for (const auto& [name, pair] : pairs) {
    if (!ok) {
      break;
    }
    if (pair.first == nullptr || pair.second == nullptr) {
      error = "mismatched sums and counts for " + name;
      ok = false;
      break;
    }
    if (pair.first->type != GGML_TYPE_F32 || pair.second->type != GGML_TYPE_F32) {
      error = "sums and counts for " + name + " must be F32";
      ok = false;
      break;
    }
    ImatrixStats& stats = out.entries[name];
    const int64_t nval = ggml_nelements(pair.first);
    const int64_t ncounts = ggml_nelements(pair.second);
    const float* sums = static_cast<const float*>(pair.first->data);
    const float* counts = static_cast<const float*>(pair.second->data);
    stats.values.assign(sums, sums + nval);
    stats.counts.resize(ncounts);
    for (int64_t j = 0; j < ncounts; ++j) {
      stats.counts[j] = std::lround(counts[j]);
    }
    if (ncounts == 0 || nval % ncounts != 0) {
      error = "inconsistent sizes for " + name;
      ok = false;
    }
  }
  gguf_free(gguf);
  ggml_free(ctx);
  return ok;
}

bool writeImatrixFile(const std::string& path, const ImatrixFile& file, std::string& error) {
  size_t dataSize = 0;
  for (const auto& [name, stats] : file.entries) {
    dataSize += GGML_PAD(ggml_tensor_overhead() + sizeof(float) * stats.values.size(), GGML_MEM_ALIGN);
    dataSize += GGML_PAD(ggml_tensor_overhead() + sizeof(float) * stats.counts.size(), GGML_MEM_ALIGN);
  }
  ggml_init_params params = {/*mem_size =*/dataSize, /*mem_buffer =*/nullptr, /*no_alloc =*/false};
  ggml_context* ctx = ggml_init(params);
  gguf_context* gguf = gguf_init_empty();

  std::vector<const char*> datasets;
  for (const std::string& d : file.datasets) {
    datasets.push_back(d.c_str());
  }
  gguf_set_val_str(gguf, "general.type", "imatrix");
  gguf_set_arr_str(gguf, kDatasets, datasets.data(), datasets.size());
  gguf_set_val_u32(gguf, kChunkCount, (uint32_t)file.chunkCount);
  gguf_set_val_u32(gguf, kChunkSize, (uint32_t)file.chunkSize);

  // std::map iterates in sorted order, as llama-imatrix sorts its names before writing.
  for (const auto& [name, stats] : file.entries) {
    const int64_t nval = (int64_t)stats.values.size();
    const int64_t nmat = (int64_t)stats.counts.size();
    if (nval == 0 || nmat == 0) {
      continue;
    }
    ggml_tensor* sums = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, nval / nmat, nmat);
    ggml_tensor* counts = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 1, nmat);
    ggml_format_name(sums, "%s.in_sum2", name.c_str());
    ggml_format_name(counts, "%s.counts", name.c_str());
    std::copy(stats.values.begin(), stats.values.end(), static_cast<float*>(sums->data));
    for (int64_t j = 0; j < nmat; ++j) {
      static_cast<float*>(counts->data)[j] = (float)stats.counts[j];
    }
    gguf_add_tensor(gguf, sums);
    gguf_add_tensor(gguf, counts);
  }
  const bool ok = gguf_write_to_file(gguf, path.c_str(), false);
  if (!ok) {
    error = "could not write " + path;
  }
  gguf_free(gguf);
  ggml_free(ctx);
  return ok;
}

std::map<std::string, std::vector<float>> normalizeImatrix(const ImatrixFile& file) {
  std::map<std::string, std::vector<float>> result;
  for (const auto& [name, entry] : file.entries) {
    std::vector<float>& e = result[name];
    e.resize(entry.values.size());
    const int64_t ncounts = (int64_t)entry.counts.size();
    const int64_t ne0 = (int64_t)entry.values.size() / ncounts;
    for (int64_t j = 0; j < ncounts; ++j) {
      const float count = (float)entry.counts[j];
      for (int64_t i = 0; i < ne0; ++i) {
        e[j * ne0 + i] = count > 0.0f ? entry.values[j * ne0 + i] / count : 1;
      }
    }
  }
  return result;
}

}  // namespace lowbit
