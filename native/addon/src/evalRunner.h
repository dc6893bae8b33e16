// The evaluation loop of llama-perplexity (perplexity() and kl_divergence()): the text split
// into chunks of n_ctx tokens, several chunks decoded side by side as sequences of one batch,
// the KV cache cleared per round, and only the second half of each chunk scored.
#pragma once

#include <llama.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "evalMath.h"
#include "logProbsFile.h"

namespace lowbit {

enum class EvalMode {
  /** Perplexity only. */
  Plain,
  /** Perplexity, and this model's log-probs written for later comparisons (the base pass). */
  SaveBase,
  /** Perplexity and KL divergence etc. against a saved base. */
  CompareToBase,
};

struct EvalPlan {
  EvalMode mode = EvalMode::Plain;
  int nCtx = 512;
  int chunks = 0;
  /** Logical batch, as llama-perplexity's -b: batch / n_ctx chunks run side by side. */
  int batch = 2048;
  /** Extra threads for the per-token arithmetic (llama-perplexity: one per core less one). */
  int extraThreads = 0;
  /** Tokens decoded one at a time after the text, for the decode speed; 0 to skip. */
  int decodeTokens = 0;
  /** Upper bound for the logits buffer of one round; large vocabularies run fewer sequences. */
  size_t logitsBudgetBytes = size_t(512) << 20;
};

struct EvalOutcome {
  int sequences = 1;
  EvalSums sums;
  /** Compare pass: per-token KLD and Δp, sorted at the end for percentiles. */
  std::vector<float> kldValues;
  std::vector<float> pDiffValues;
  int64_t promptTokens = 0;
  double promptSeconds = 0;
  int decodeTokens = 0;
  double decodeSeconds = 0;
};

struct EvalFailure {
  std::string code;
  std::string message;
};

class EvalRunner {
 public:
  EvalRunner(llama_model* model, const std::vector<int32_t>& tokens, EvalPlan plan,
             std::atomic<bool>* cancel, std::function<void(int done, int total)> onChunk)
      : model_(model), tokens_(tokens), plan_(plan), cancel_(cancel), onChunk_(std::move(onChunk)) {}

  /** Runs the pass; `writer` (SaveBase) or `reader` (CompareToBase) must be open. */
  bool run(int threads, LogProbsWriter* writer, LogProbsReader* reader, EvalOutcome& outcome,
           EvalFailure& failure);

 private:
  bool decodeRound(llama_context* ctx, llama_batch& batch, int firstChunk, int sequences,
                   std::vector<float>& gathered, EvalOutcome& outcome);
  void measureDecode(llama_context* ctx, llama_batch& batch, EvalOutcome& outcome);

  llama_model* model_;
  const std::vector<int32_t>& tokens_;
  EvalPlan plan_;
  std::atomic<bool>* cancel_;
  std::function<void(int, int)> onChunk_;
};

}  // namespace lowbit
