#include "evalResult.h"

#include <algorithm>
#include <cmath>

namespace lowbit {

namespace {

void set(Napi::Object& object, const char* key, double value) {
  object.Set(key, Napi::Number::New(object.Env(), std::isfinite(value) ? value : 0.0));
}

/** Percentiles as llama-perplexity prints them (KLD and Δp blocks). */
Napi::Object distribution(Napi::Env env, const std::vector<float>& sorted, double mean,
                          double error) {
  Napi::Object object = Napi::Object::New(env);
  set(object, "mean", mean);
  set(object, "error", error);
  set(object, "max", sorted.empty() ? 0 : sorted.back());
  set(object, "p999", percentile(sorted, 0.999));
  set(object, "p99", percentile(sorted, 0.99));
  set(object, "p95", percentile(sorted, 0.95));
  set(object, "p90", percentile(sorted, 0.90));
  set(object, "p75", percentile(sorted, 0.75));
  set(object, "median", percentile(sorted, 0.5));
  set(object, "p25", percentile(sorted, 0.25));
  set(object, "p10", percentile(sorted, 0.10));
  set(object, "p5", percentile(sorted, 0.05));
  set(object, "p1", percentile(sorted, 0.01));
  set(object, "p01", percentile(sorted, 0.001));
  set(object, "min", sorted.empty() ? 0 : sorted.front());
  return object;
}

double covariance(double sumA, double sumB, double sumAB, size_t count) {
  if (count < 10) {
    return 0.0;
  }
  return (sumAB / count - (sumA / count) * (sumB / count)) / (count - 1);
}

Napi::Object comparison(Napi::Env env, EvalOutcome& outcome) {
  const EvalSums& s = outcome.sums;
  const auto logPpl = meanAndError(s.nll, s.nll2, s.count);
  const auto logPplBase = meanAndError(s.nllBase, s.nllBase2, s.count);
  const double ppl = std::exp(logPpl.first);
  const double pplError = ppl * logPpl.second;
  const double pplBase = std::exp(logPplBase.first);
  const double pplBaseError = pplBase * logPplBase.second;
  const double cov = covariance(s.nll, s.nllBase, s.nllNllBase, s.count);
  const double lnRatio = logPpl.first - logPplBase.first;
  const double lnRatioError = std::sqrt(std::max(
      0.0, logPpl.second * logPpl.second + logPplBase.second * logPplBase.second - 2.0 * cov));
  const double pplCov = ppl * pplBase * cov;
  const double correlation = logPpl.second * logPplBase.second > 0
                                 ? cov / (logPpl.second * logPplBase.second)
                                 : 1.0;

  Napi::Object object = Napi::Object::New(env);
  set(object, "pplBase", pplBase);
  set(object, "pplBaseError", pplBaseError);
  set(object, "pplCorrelation", correlation);
  set(object, "lnPplRatio", lnRatio);
  set(object, "lnPplRatioError", lnRatioError);
  set(object, "pplRatio", std::exp(lnRatio));
  set(object, "pplRatioError", std::exp(lnRatio) * lnRatioError);
  set(object, "deltaPpl", ppl - pplBase);
  set(object, "deltaPplError", std::sqrt(std::max(
                                   0.0, pplError * pplError + pplBaseError * pplBaseError -
                                            2.0 * pplCov)));

  std::sort(outcome.kldValues.begin(), outcome.kldValues.end());
  std::sort(outcome.pDiffValues.begin(), outcome.pDiffValues.end());
  const auto kld = meanAndError(s.kld, s.kld2, s.count);
  object.Set("kld", distribution(env, outcome.kldValues, kld.first, kld.second));
  const auto pDiff = meanAndError(s.pDiff, s.pDiff2, s.count);
  Napi::Object deltaP = distribution(env, outcome.pDiffValues, pDiff.first, pDiff.second);
  const auto mse = meanAndError(s.pDiff2, s.pDiff4, s.count);
  const double rms = std::sqrt(mse.first);
  set(deltaP, "rms", rms);
  set(deltaP, "rmsError", rms > 0 ? 0.5 / rms * mse.second : 0.0);
  object.Set("deltaP", deltaP);
  const double sameTop = s.count > 0 ? double(s.sameTop) / s.count : 0.0;
  set(object, "sameTop", sameTop);
  set(object, "sameTopError",
      s.count > 1 ? std::sqrt(sameTop * (1 - sameTop) / (s.count - 1)) : 0.0);
  return object;
}

}  // namespace

Napi::Object evalResultObject(Napi::Env env, const EvalFacts& facts, EvalOutcome& outcome) {
  Napi::Object result = Napi::Object::New(env);
  set(result, "textTokens", double(facts.textTokens));
  set(result, "contextSize", facts.contextSize);
  set(result, "vocabSize", facts.vocabSize);
  set(result, "chunks", facts.chunks);
  set(result, "sequences", outcome.sequences);
  set(result, "scoredTokens", double(outcome.sums.count));
  const auto logPpl = meanAndError(outcome.sums.nll, outcome.sums.nll2, outcome.sums.count);
  // llama-perplexity's plain run reports its ± with count − 1 and no 10-token floor.
  double error = logPpl.second;
  if (facts.mode != EvalMode::CompareToBase && outcome.sums.count > 1) {
    const double mean = outcome.sums.nll / outcome.sums.count;
    const double variance = outcome.sums.nll2 / outcome.sums.count - mean * mean;
    error = variance > 0 ? std::sqrt(variance / (outcome.sums.count - 1)) : 0.0;
  }
  set(result, "ppl", std::exp(logPpl.first));
  set(result, "pplError", std::exp(logPpl.first) * error);
  set(result, "promptTokens", double(outcome.promptTokens));
  set(result, "promptSeconds", outcome.promptSeconds);
  set(result, "decodeTokens", outcome.decodeTokens);
  set(result, "decodeSeconds", outcome.decodeSeconds);
  set(result, "loadSeconds", facts.loadSeconds);
  set(result, "seconds", facts.seconds);
  set(result, "peakRssBytes", double(facts.peakRssBytes));
  if (facts.mode == EvalMode::CompareToBase) {
    result.Set("comparison", comparison(env, outcome));
  } else {
    result.Set("comparison", env.Null());
  }
  return result;
}

}  // namespace lowbit
