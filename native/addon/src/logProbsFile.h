// The base model's log-probabilities on disk, in llama-perplexity's own format
// (`--kl-divergence-base`), so a file Lowbit caches can be handed to llama-perplexity and back:
//   "_logits_" · n_ctx (i32) · n_vocab (i32) · n_chunk (i32) · n_chunk·n_ctx tokens (i32)
//   then, per chunk, for each scored token (n_ctx − 1 − n_ctx/2 of them) logProbStride(n_vocab)
//   uint16s: an fp32 scale and minimum, then the log-probs over [max − 16, max] in 65535 steps.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace lowbit {

/** Scored tokens per chunk: the second half of the chunk, less its last token. */
inline int scoredPerChunk(int nCtx) { return nCtx - 1 - nCtx / 2; }

class LogProbsWriter {
 public:
  /** Opens `path` and writes the header and every chunk's tokens; false with `error` set. */
  bool open(const std::string& path, int nCtx, int nVocab, int nChunk,
            const std::vector<int32_t>& tokens, std::string& error);
  /** Appends one chunk's rows (scoredPerChunk(nCtx) · stride values). */
  bool writeChunk(const std::vector<uint16_t>& rows, std::string& error);
  bool close(std::string& error);

 private:
  std::ofstream out_;
  std::string path_;
};

class LogProbsReader {
 public:
  bool open(const std::string& path, std::string& error);
  /** Reads the next chunk's rows into `rows` (resized to fit). */
  bool readChunk(std::vector<uint16_t>& rows, std::string& error);

  int nCtx() const { return nCtx_; }
  int nVocab() const { return nVocab_; }
  int nChunk() const { return nChunk_; }
  /** n_chunk · n_ctx tokens, the text as the base model tokenized it. */
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  std::ifstream in_;
  std::string path_;
  int nCtx_ = 0;
  int nVocab_ = 0;
  int nChunk_ = 0;
  std::vector<int32_t> tokens_;
};

}  // namespace lowbit
