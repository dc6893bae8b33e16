// computeImatrix(options, onProgress) → {promise, cancel}: llama-imatrix's computation
// (tools/imatrix/imatrix.cpp compute_imatrix) over a calibration text: tokenize, split into
// chunks of `chunkSize` tokens (BOS first where the vocabulary wants one), evaluate each chunk
// with logits for every token (so no layer is cut short) while the collector records the
// squared activations; then write the GGUF imatrix.
#include <llama.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "backends.h"
#include "imatrixCollector.h"
#include "imatrixFile.h"
#include "jsOptions.h"
#include "logCapture.h"
#include "nativeJob.h"

namespace lowbit {

namespace {

struct ChunkPacket {
  int chunk;
  int chunks;
  int64_t tokens;
};

void fillChunk(Napi::Env env, Napi::Object& object, const ChunkPacket& p) {
  object.Set("chunk", Napi::Number::New(env, p.chunk));
  object.Set("chunks", Napi::Number::New(env, p.chunks));
  object.Set("tokens", Napi::Number::New(env, (double)p.tokens));
}

struct ImatrixOptions {
  std::string modelPath;
  std::string textPath;
  std::string outputPath;
  std::string datasetName;
  int32_t chunkSize;
  int32_t maxChunks;
  int32_t threads;
  int32_t gpuLayers;

  ImatrixOptions(const Napi::Object& options) {
    modelPath = requireString(options, "modelPath");
    textPath = requireString(options, "textPath");
    outputPath = requireString(options, "outputPath");
    datasetName = optionalString(options, "datasetName");
    chunkSize = (int32_t)optionalInt(options, "chunkSize", 512);
    maxChunks = (int32_t)optionalInt(options, "maxChunks", -1);
    threads = (int32_t)optionalInt(options, "threads", 1);
    gpuLayers = (int32_t)optionalInt(options, "gpuLayers", 0);
    if (chunkSize < 16) {
      throw Napi::RangeError::New(options.Env(), "options.chunkSize must be at least 16");
    }
    if (datasetName.empty()) {
      datasetName = textPath;
    }
  }
};

class ImatrixJob : public NativeJob {
 public:
  ImatrixJob(Napi::Env env, ImatrixOptions options, Napi::Value onProgress)
      : NativeJob(env, "lowbit.imatrix", onProgress), o_(std::move(options)) {}

 protected:
  void Run() override {
    const auto started = std::chrono::steady_clock::now();
    std::string text;
    {
      std::ifstream in(o_.textPath, std::ios::binary);
      if (!in) {
        Fail("not_found", "Cannot read the calibration text " + o_.textPath + ".");
        return;
      }
      std::ostringstream buffer;
      buffer << in.rdbuf();
      text = buffer.str();
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
    run(model, text);
    llama_model_free(model);
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("chunks", Napi::Number::New(env, chunks_));
    result.Set("chunkSize", Napi::Number::New(env, o_.chunkSize));
    result.Set("tokens", Napi::Number::New(env, (double)tokens_));
    result.Set("entries", Napi::Number::New(env, entries_));
    result.Set("seconds", Napi::Number::New(env, seconds_));
    return result;
  }

 private:
  void run(llama_model* model, const std::string& text) {
    const llama_vocab* vocab = llama_model_get_vocab(model);
    std::vector<llama_token> tokens(text.size() + 16);
    int32_t n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), tokens.data(),
                               (int32_t)tokens.size(), true, false);
    if (n < 0) {
      tokens.resize(-n);
      n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), tokens.data(),
                         (int32_t)tokens.size(), true, false);
    }
    if (n < 0) {
      Fail("failed", "The calibration text could not be tokenized.");
      return;
    }
    tokens.resize(n);
    tokens_ = n;
    const int32_t chunkSize = o_.chunkSize;
    if (n < 2 * chunkSize) {
      Fail("text_too_short", "The calibration text is too short: it has " + std::to_string(n) +
                                 " tokens, and at least " + std::to_string(2 * chunkSize) +
                                 " (two chunks of " + std::to_string(chunkSize) + ") are needed.");
      return;
    }
    int32_t nChunks = n / chunkSize;
    if (o_.maxChunks > 0) {
      nChunks = std::min(nChunks, o_.maxChunks);
    }

    ImatrixCollector collector(chunkSize);
    llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx = chunkSize;
    cparams.n_batch = chunkSize;
    cparams.n_ubatch = chunkSize;
    cparams.n_seq_max = 1;
    cparams.n_threads = o_.threads;
    cparams.n_threads_batch = o_.threads;
    cparams.cb_eval = &ImatrixCollector::Callback;
    cparams.cb_eval_user_data = &collector;
    cparams.abort_callback = [](void* flag) { return static_cast<std::atomic<bool>*>(flag)->load(); };
    cparams.abort_callback_data = CancelFlag();
    cparams.no_perf = true;
    llama_context* ctx = llama_init_from_model(model, cparams);
    if (ctx == nullptr) {
      Fail("failed", "llama.cpp could not create a context of " + std::to_string(chunkSize) +
                         " tokens for the calibration.");
      return;
    }
    const bool addBos = llama_vocab_get_add_bos(vocab);
    llama_batch batch = llama_batch_init(chunkSize, 0, 1);
    for (int32_t i = 0; i < nChunks && !Cancelled(); ++i) {
      llama_memory_clear(llama_get_memory(ctx), true);
      batch.n_tokens = 0;
      for (int32_t k = 0; k < chunkSize; ++k) {
        const int32_t at = i * chunkSize + k;
        batch.token[k] = (k == 0 && addBos) ? llama_vocab_bos(vocab) : tokens[at];
        batch.pos[k] = k;
        batch.n_seq_id[k] = 1;
        batch.seq_id[k][0] = 0;
        batch.logits[k] = true;
        batch.n_tokens++;
      }
      const int32_t status = llama_decode(ctx, batch);
      if (Cancelled()) {
        break;
      }
      if (status != 0 || collector.failed()) {
        Fail("failed", collector.failed() ? collector.error()
                                          : "llama.cpp failed to evaluate chunk " +
                                                std::to_string(i + 1) + ".");
        break;
      }
      chunks_ = i + 1;
      Progress(ChunkPacket{i + 1, nChunks, (int64_t)(i + 1) * chunkSize}, fillChunk);
    }
    llama_batch_free(batch);
    llama_free(ctx);
    if (Cancelled()) {
      Fail("cancelled", "Cancelled.");
      return;
    }
    if (chunks_ < nChunks) {
      return;  // failed above
    }
    ImatrixFile& file = collector.file();
    file.datasets = {o_.datasetName};
    file.chunkSize = chunkSize;
    entries_ = (int)file.entries.size();
    std::string error;
    if (!writeImatrixFile(o_.outputPath, file, error)) {
      Fail("io_error", error);
    }
  }

  ImatrixOptions o_;
  int32_t chunks_ = 0;
  int64_t tokens_ = 0;
  int entries_ = 0;
  double seconds_ = 0;
};

}  // namespace

Napi::Value ComputeImatrix(const Napi::CallbackInfo& info) {
  ImatrixOptions options(requireObject(info, 0));
  auto* job = new ImatrixJob(info.Env(), std::move(options),
                             info.Length() > 1 ? info[1] : info.Env().Undefined());
  return job->Start(info.Env());
}

Napi::Value ReadImatrix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "readImatrix(path) needs a path");
  }
  ImatrixFile file;
  std::string error;
  if (!readImatrixFile(info[0].As<Napi::String>().Utf8Value(), file, error)) {
    Napi::Error e = Napi::Error::New(env, error);
    e.Set("code", Napi::String::New(env, "bad_imatrix"));
    throw e;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("entries", Napi::Number::New(env, (double)file.entries.size()));
  result.Set("chunkCount", Napi::Number::New(env, file.chunkCount));
  result.Set("chunkSize", Napi::Number::New(env, file.chunkSize));
  result.Set("hasMetadata", Napi::Boolean::New(env, file.hasMetadata));
  Napi::Array datasets = Napi::Array::New(env, file.datasets.size());
  for (uint32_t i = 0; i < file.datasets.size(); ++i) {
    datasets.Set(i, Napi::String::New(env, file.datasets[i]));
  }
  result.Set("datasets", datasets);
  return result;
}

}  // namespace lowbit
