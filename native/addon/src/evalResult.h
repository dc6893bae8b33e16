// The statistics llama-perplexity prints at the end of a run, as a JS object.
#pragma once

#include <napi.h>

#include "evalRunner.h"

namespace lowbit {

struct EvalFacts {
  EvalMode mode;
  int64_t textTokens;
  int contextSize;
  int vocabSize;
  int chunks;
  double loadSeconds;
  double seconds;
  uint64_t peakRssBytes;
};

/** Sorts the outcome's per-token values and builds the result object. */
Napi::Object evalResultObject(Napi::Env env, const EvalFacts& facts, EvalOutcome& outcome);

}  // namespace lowbit
