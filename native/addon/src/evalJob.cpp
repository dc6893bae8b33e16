// evaluate(options, onProgress) → {promise, cancel}: llama-perplexity's measurement in one call.
// Three ways to run it:
//  - plain: perplexity of `modelPath` on `textPath`;
//  - base pass (`saveLogProbsPath`): the same, and the model's log-probs written in
//    llama-perplexity's format for later comparisons;
//  - compare pass (`baseLogProbsPath`): the tokens come from that file; perplexity of both
//    models, KL divergence over the full vocabulary, Δp and same-top-token.
// Each can end with a short decode-speed probe (`decodeTokens`).
#include "evalJob.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "backends.h"
#include "evalResult.h"
#include "evalRunner.h"
#include "jsOptions.h"
#include "logCapture.h"
#include "logProbsFile.h"
#include "nativeJob.h"
#include "processMemory.h"

namespace lowbit {

namespace {

struct ChunkPacket {
  int chunk;
  int chunks;
};

void fillChunk(Napi::Env env, Napi::Object& object, const ChunkPacket& p) {
  object.Set("chunk", Napi::Number::New(env, p.chunk));
  object.Set("chunks", Napi::Number::New(env, p.chunks));
}

struct EvalOptions {
  std::string modelPath;
  std::string textPath;
  std::string baseLogProbsPath;
  std::string saveLogProbsPath;
  int32_t contextSize;
  int32_t maxChunks;
  int32_t batchSize;
  int32_t threads;
  int32_t gpuLayers;
  int32_t decodeTokens;

  explicit EvalOptions(const Napi::Object& options) {
    Napi::Env env = options.Env();
    modelPath = requireString(options, "modelPath");
    textPath = optionalString(options, "textPath");
    baseLogProbsPath = optionalString(options, "baseLogProbsPath");
    saveLogProbsPath = optionalString(options, "saveLogProbsPath");
    contextSize = (int32_t)optionalInt(options, "contextSize", 512);
    maxChunks = (int32_t)optionalInt(options, "maxChunks", -1);
    batchSize = (int32_t)optionalInt(options, "batchSize", 2048);
    threads = (int32_t)optionalInt(options, "threads", 1);
    gpuLayers = (int32_t)optionalInt(options, "gpuLayers", 0);
    decodeTokens = (int32_t)optionalInt(options, "decodeTokens", 0);
    if (contextSize < 16 || contextSize % 2 != 0) {
      throw Napi::RangeError::New(env, "options.contextSize must be an even number, at least 16");
    }
    if (batchSize < 1 || threads < 1) {
      throw Napi::RangeError::New(env, "options.batchSize and options.threads must be positive");
    }
    if (!baseLogProbsPath.empty() && !saveLogProbsPath.empty()) {
      throw Napi::TypeError::New(env, "give baseLogProbsPath or saveLogProbsPath, not both");
    }
    if (baseLogProbsPath.empty() && textPath.empty()) {
      throw Napi::TypeError::New(env, "options.textPath is needed unless comparing to a base");
    }
  }
};

class EvaluateJob : public NativeJob {
 public:
  EvaluateJob(Napi::Env env, EvalOptions options, Napi::Value onProgress)
      : NativeJob(env, "lowbit.evaluate", onProgress), o_(std::move(options)) {}

 protected:
  void Run() override {
    const auto started = std::chrono::steady_clock::now();
    std::string text;
    if (!o_.textPath.empty() && !readText(text)) {
      return;
    }
    LogCapture capture([](ggml_log_level, const char*) {});
    ensureBackendsLoaded();
    llama_model_params mparams = llama_model_default_params();
    mparams.n_gpu_layers = o_.gpuLayers;
    llama_model* model = llama_model_load_from_file(o_.modelPath.c_str(), mparams);
    if (model == nullptr) {
      Fail("failed", "llama.cpp could not load " + o_.modelPath + ": " + capture.lastErrors());
      return;
    }
    facts_.loadSeconds = elapsed(started);
    run(model, text);
    llama_model_free(model);
    facts_.seconds = elapsed(started);
    facts_.peakRssBytes = peakResidentBytes();
  }

  Napi::Value Result(Napi::Env env) override { return evalResultObject(env, facts_, outcome_); }

 private:
  static double elapsed(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  }

  bool readText(std::string& text) {
    std::ifstream in(o_.textPath, std::ios::binary);
    if (!in) {
      Fail("not_found", "Cannot read the evaluation text " + o_.textPath + ".");
      return false;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
    // llama-perplexity drops one trailing newline from the file (common/arg.cpp, -f).
    if (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    return true;
  }

  bool tokenize(const llama_vocab* vocab, const std::string& text, std::vector<int32_t>& out) {
    out.resize(text.size() + 2);
    int32_t n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), out.data(),
                               (int32_t)out.size(), true, false);
    if (n < 0) {
      out.resize(-n);
      n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), out.data(),
                         (int32_t)out.size(), true, false);
    }
    if (n < 0) {
      Fail("failed", "The evaluation text could not be tokenized.");
      return false;
    }
    out.resize(n);
    return true;
  }

  void run(llama_model* model, const std::string& text) {
    const llama_vocab* vocab = llama_model_get_vocab(model);
    const int nVocab = llama_vocab_n_tokens(vocab);
    if (llama_vocab_get_add_eos(vocab)) {
      Fail("unsupported", "This model's vocabulary appends an end-of-text token to every text, "
                          "which llama-perplexity's method does not allow.");
      return;
    }
    EvalPlan plan;
    plan.nCtx = o_.contextSize;
    plan.batch = o_.batchSize;
    plan.decodeTokens = std::max(0, o_.decodeTokens);
    plan.extraThreads = std::max(0, (int)std::thread::hardware_concurrency() - 1);
    LogProbsReader reader;
    LogProbsWriter writer;
    std::vector<int32_t> tokens;
    std::string error;

    if (!o_.baseLogProbsPath.empty()) {
      plan.mode = EvalMode::CompareToBase;
      if (!reader.open(o_.baseLogProbsPath, error)) {
        Fail("bad_logprobs", error);
        return;
      }
      if (reader.nVocab() != nVocab) {
        Fail("vocab_mismatch", "The two models have different vocabularies (" +
                                   std::to_string(reader.nVocab()) + " and " +
                                   std::to_string(nVocab) +
                                   " tokens); KL divergence needs the same tokenizer.");
        return;
      }
      if (reader.nCtx() != o_.contextSize) {
        Fail("bad_logprobs", "The base log-probabilities were computed with a context of " +
                                 std::to_string(reader.nCtx()) + " tokens, not " +
                                 std::to_string(o_.contextSize) + ".");
        return;
      }
      tokens = reader.tokens();
      if (!text.empty() && !sameTokenization(vocab, text, tokens)) {
        return;
      }
      plan.chunks = reader.nChunk();
      facts_.textTokens = (int64_t)tokens.size();
    } else {
      if (!tokenize(vocab, text, tokens)) {
        return;
      }
      facts_.textTokens = (int64_t)tokens.size();
      if ((int64_t)tokens.size() < 2 * (int64_t)o_.contextSize) {
        Fail("text_too_short", "The evaluation text is too short: it has " +
                                   std::to_string(tokens.size()) + " tokens, and at least " +
                                   std::to_string(2 * o_.contextSize) + " (two chunks of " +
                                   std::to_string(o_.contextSize) + ") are needed.");
        return;
      }
      plan.chunks = (int)(tokens.size() / o_.contextSize);
    }
    if (o_.maxChunks > 0) {
      plan.chunks = std::min(plan.chunks, o_.maxChunks);
    }
    if (!o_.saveLogProbsPath.empty()) {
      plan.mode = EvalMode::SaveBase;
      if (!writer.open(o_.saveLogProbsPath, plan.nCtx, nVocab, plan.chunks, tokens, error)) {
        Fail("io_error", error);
        return;
      }
    }
    facts_.mode = plan.mode;
    facts_.contextSize = plan.nCtx;
    facts_.vocabSize = nVocab;
    facts_.chunks = plan.chunks;

    EvalRunner runner(model, tokens, plan, CancelFlag(), [this](int done, int total) {
      Progress(ChunkPacket{done, total}, fillChunk);
    });
    EvalFailure failure;
    if (!runner.run(o_.threads, &writer, &reader, outcome_, failure)) {
      Fail(failure.code, failure.message);
      return;
    }
    if (plan.mode == EvalMode::SaveBase && !writer.close(error)) {
      Fail("io_error", error);
    }
  }

  /** A text given with a base must tokenize the way the base file says (same tokenizer). */
  bool sameTokenization(const llama_vocab* vocab, const std::string& text,
                        const std::vector<int32_t>& fromBase) {
    std::vector<int32_t> mine;
    if (!tokenize(vocab, text, mine)) {
      return false;
    }
    const size_t n = std::min(mine.size(), fromBase.size());
    if (mine.size() < fromBase.size() || !std::equal(fromBase.begin(), fromBase.begin() + n,
                                                     mine.begin())) {
      Fail("vocab_mismatch",
           "This model splits the text into different tokens than the base model did; KL "
           "divergence needs the same tokenizer.");
      return false;
    }
    return true;
  }

  EvalOptions o_;
  EvalFacts facts_{EvalMode::Plain, 0, 0, 0, 0, 0, 0, 0};
  EvalOutcome outcome_;
};

}  // namespace

Napi::Value Evaluate(const Napi::CallbackInfo& info) {
  EvalOptions options(requireObject(info, 0));
  auto* job = new EvaluateJob(info.Env(), std::move(options),
                              info.Length() > 1 ? info[1] : info.Env().Undefined());
  return job->Start(info.Env());
}

}  // namespace lowbit
