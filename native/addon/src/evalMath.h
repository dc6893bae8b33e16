// Per-token arithmetic of llama-perplexity (tools/perplexity/perplexity.cpp), kept identical so
// our numbers and its numbers agree: log-softmax over the full vocabulary, the base model's
// log-probs stored at 16 bits, and KL divergence, Δp and same-top-token against them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace lowbit {

/** uint16 values per scored token in a log-prob file: 2·ceil(n_vocab/2) + 4 (fp32 scale, min). */
inline int logProbStride(int nVocab) { return 2 * ((nVocab + 1) / 2) + 4; }

/** Sums over scored tokens (llama-perplexity's kl_divergence_result). */
struct EvalSums {
  double nll = 0, nll2 = 0;
  double nllBase = 0, nllBase2 = 0, nllNllBase = 0;
  double kld = 0, kld2 = 0;
  double pDiff = 0, pDiff2 = 0, pDiff4 = 0;
  float maxPDiff = 0;
  size_t sameTop = 0;
  size_t count = 0;

  void add(const EvalSums& other);
};

/**
 * Base pass: the negative log-likelihood of `token` under `logits`, and the row's log-probs
 * quantized into `out` (logProbStride(nVocab) values) the way llama-perplexity saves them.
 */
double quantizeLogProbs(int nVocab, const float* logits, uint16_t* out, int token);

/** Plain pass (no base): the negative log-likelihood of `token`. */
double negativeLogLikelihood(int nVocab, const float* logits, int token);

/**
 * Compare pass: adds one token's NLL (model and base), KL(base ‖ model) over the full
 * vocabulary, Δp and same-top-token to `sums`; returns {kld, Δp} for the percentiles.
 */
std::pair<double, float> compareToken(int nVocab, const float* logits, const uint16_t* base,
                                      int token, EvalSums& sums);

/**
 * Runs `work(i)` for i in [0, n) on the calling thread plus `extraThreads` helpers (each token's
 * row is independent, as in llama-perplexity's process_logits).
 */
void parallelFor(int n, int extraThreads, const std::function<void(int, int)>& work);

/** The value at `fraction` of sorted `values`, interpolated as llama-perplexity does. */
double percentile(const std::vector<float>& sorted, double fraction);

/** Mean and its standard error (0 when there are 10 values or fewer). */
std::pair<double, double> meanAndError(double sum, double sum2, size_t count);

}  // namespace lowbit
