#include "evalMath.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

namespace lowbit {

void EvalSums::add(const EvalSums& o) {
  nll += o.nll;
  nll2 += o.nll2;
  nllBase += o.nllBase;
  nllBase2 += o.nllBase2;
  nllNllBase += o.nllNllBase;
  kld += o.kld;
  kld2 += o.kld2;
  pDiff += o.pDiff;
  pDiff2 += o.pDiff2;
  pDiff4 += o.pDiff4;
  maxPDiff = std::max(maxPDiff, o.maxPDiff);
  sameTop += o.sameTop;
  count += o.count;
}

namespace {

// llama-perplexity's rounding: the float's mantissa after adding 1.5·2^23.
inline int nearestInt(float value) {
  float shifted = value + 12582912.f;
  int bits;
  std::memcpy(&bits, &shifted, sizeof(int));
  return (bits & 0x007fffff) - 0x00400000;
}

}  // namespace

double quantizeLogProbs(int nVocab, const float* logits, uint16_t* out, int token) {
  float maxLogit = logits[0];
  float minLogit = logits[0];
  for (int i = 1; i < nVocab; ++i) {
    maxLogit = std::max(maxLogit, logits[i]);
    minLogit = std::min(minLogit, logits[i]);
  }
  // Log-probs more than 16 nats below the top are stored as the floor (and skipped by KLD).
  minLogit = std::max(minLogit, maxLogit - 16);
  double sumExp = 0.0;
  for (int i = 0; i < nVocab; ++i) {
    sumExp += expf(logits[i] - maxLogit);
  }
  const float logSumExp = log(sumExp);
  const float minLogProb = minLogit - maxLogit - logSumExp;
  const float scale = (maxLogit - minLogit) / 65535.f;
  float* header = reinterpret_cast<float*>(out);
  header[0] = scale;
  header[1] = minLogProb;
  uint16_t* values = out + 4;
  if (scale != 0) {
    const float inverse = 1 / scale;
    for (int i = 0; i < nVocab; ++i) {
      values[i] = logits[i] > minLogit ? nearestInt(inverse * (logits[i] - minLogit)) : 0;
    }
  } else {
    std::memset(values, 0, nVocab * sizeof(uint16_t));
  }
  // The padding value (odd vocabularies) is written too, as llama-perplexity's buffer holds it.
  if (logProbStride(nVocab) - 4 > nVocab) {
    values[nVocab] = 0;
  }
  return maxLogit + logSumExp - logits[token];
}

double negativeLogLikelihood(int nVocab, const float* logits, int token) {
  float maxLogit = logits[0];
  for (int i = 1; i < nVocab; ++i) {
    maxLogit = std::max(maxLogit, logits[i]);
  }
  double sumExp = 0.0;
  for (int i = 0; i < nVocab; ++i) {
    sumExp += expf(logits[i] - maxLogit);
  }
  return -(logits[token] - maxLogit - log(sumExp));
}

std::pair<double, float> compareToken(int nVocab, const float* logits, const uint16_t* base,
                                      int token, EvalSums& sums) {
  float maxLogit = logits[0];
  int top = 0;
  for (int i = 1; i < nVocab; ++i) {
    if (logits[i] > maxLogit) {
      maxLogit = logits[i];
      top = i;
    }
  }
  double sumExp = 0.0;
  for (int i = 0; i < nVocab; ++i) {
    sumExp += expf(logits[i] - maxLogit);
  }
  const float logSumExp = log(sumExp);
  const float* header = reinterpret_cast<const float*>(base);
  const float scale = header[0];
  const float minLogProb = header[1];
  const uint16_t* values = base + 4;

  const float nll = maxLogit + logSumExp - logits[token];
  sums.nll += nll;
  sums.nll2 += nll * nll;
  const float nllBase = -(scale * values[token] + minLogProb);
  sums.nllBase += nllBase;
  sums.nllBase2 += nllBase * nllBase;
  sums.nllNllBase += nll * nllBase;

  const float logNorm = maxLogit + logSumExp;
  double kld = 0;
  int topBase = -1;
  float topBaseLogProb = 0;
  for (int i = 0; i < nVocab; ++i) {
    const float logProbBase = scale * values[i] + minLogProb;
    if (i == 0 || logProbBase > topBaseLogProb) {
      topBaseLogProb = logProbBase;
      topBase = i;
    }
    if (logProbBase > -16.f) {
      kld += expf(logProbBase) * (logProbBase - logits[i] + logNorm);
    }
  }
  sums.kld += kld;
  sums.kld2 += kld * kld;
  ++sums.count;
  if (top == topBase) {
    ++sums.sameTop;
  }
  const float pDiff = expf(-nll) - expf(-nllBase);
  sums.pDiff += pDiff;
  const double pDiff2 = pDiff * pDiff;
  sums.pDiff2 += pDiff2;
  sums.pDiff4 += pDiff2 * pDiff2;
  sums.maxPDiff = std::max(sums.maxPDiff, std::fabs(pDiff));
  return {kld, pDiff};
}

void parallelFor(int n, int extraThreads, const std::function<void(int, int)>& work) {
  std::atomic<int> next{0};
  auto loop = [&](int worker) {
    for (int i = next++; i < n; i = next++) {
      work(worker, i);
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(extraThreads);
  for (int t = 0; t < extraThreads; ++t) {
    helpers.emplace_back(loop, t + 1);
  }
  loop(0);
  for (std::thread& helper : helpers) {
    helper.join();
  }
}

double percentile(const std::vector<float>& sorted, double fraction) {
  if (sorted.empty()) {
    return 0;
  }
  if (fraction <= 0) {
    return sorted.front();
  }
  if (fraction >= 1) {
    return sorted.back();
  }
  double at = fraction * (sorted.size() - 1);
  const size_t index = size_t(at);
  at -= index;
  return (1 - at) * sorted[index] + at * sorted[std::min(index + 1, sorted.size() - 1)];
}

std::pair<double, double> meanAndError(double sum, double sum2, size_t count) {
  if (count < 1) {
    return {0., 0.};
  }
  const double mean = sum / count;
  double variance = sum2 / count - mean * mean;
  const double error = variance > 0 && count > 10 ? std::sqrt(variance / (count - 1)) : 0.;
  return {mean, error};
}

}  // namespace lowbit
