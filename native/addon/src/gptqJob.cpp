// gptq(options, onProgress): error-compensated quantization of a file llama_model_quantize has
// just written (its tensor types — the K_M/K_S mixes — and metadata stay). The source model runs
// over the calibration text while gptq::GramCollector sums XᵀX for every layer input; then every
// layer weight whose type has a grid is quantized again from the SOURCE weights with the
// compensation driver and its bytes overwritten in place (same type, same size). Tensors without
// a grid, or whose input was never seen, keep llama-quantize's bytes.
//
// Memory: the Gram matrices of all layers can exceed RAM on big models (d² doubles per input:
// 512 MiB for an 8192-wide FFN input). The layers are split into passes whose matrices fit
// `maxGramBytes`; each pass runs the calibration text again and compensates its layers.
#include "gptqJob.h"

#include <gguf.h>
#include <llama.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "backends.h"
#include "gptq/compensate.h"
#include "gptq/gptqGrid.h"
#include "gptq/gramCollector.h"
#include "gptq/inverseFactor.h"
#include "jsOptions.h"
#include "logCapture.h"
#include "nativeJob.h"
#include "processMemory.h"

#if !defined(_WIN32)
#include <unistd.h>
#endif

namespace lowbit {

namespace {

using namespace lowbit::gptq;

struct GptqProgress {
  std::string phase;  // "calibrating" | "compensating"
  int done;
  int total;
  int pass;
  int passes;
  std::string name;
};

void fillProgress(Napi::Env env, Napi::Object& o, const GptqProgress& p) {
  o.Set("phase", Napi::String::New(env, p.phase));
  o.Set("done", Napi::Number::New(env, p.done));
  o.Set("total", Napi::Number::New(env, p.total));
  o.Set("pass", Napi::Number::New(env, p.pass));
  o.Set("passes", Napi::Number::New(env, p.passes));
  o.Set("name", Napi::String::New(env, p.name));
}

struct Candidate {
  std::string name;
  int layer;
  ggml_type type;        // in the target
  ggml_type sourceType;  // in the source
  int64_t cols, rows;
  size_t targetOffset, sourceOffset;
  const Grid* grid;
};

struct TensorReport {
  std::string name;
  ggml_type type;
  int64_t rows, cols;
  double rtnError = -1, gptqError = -1;
};

struct GptqOptions {
  std::string modelPath, targetPath, textPath;
  int32_t chunkSize, maxChunks, threads;
  double damping;
  bool propagate, measure;
  double maxGramBytes;

  explicit GptqOptions(const Napi::Object& o) {
    modelPath = requireString(o, "modelPath");
    targetPath = requireString(o, "targetPath");
    textPath = requireString(o, "textPath");
    chunkSize = (int32_t)optionalInt(o, "chunkSize", 512);
    maxChunks = (int32_t)optionalInt(o, "maxChunks", 64);
    threads = (int32_t)optionalInt(o, "threads", 1);
    Napi::Value damp = o.Get("damping");
    damping = damp.IsNumber() ? damp.As<Napi::Number>().DoubleValue() : 0.01;
    propagate = optionalBool(o, "compensate", true);
    measure = optionalBool(o, "measure", false);
    Napi::Value cap = o.Get("maxGramBytes");
    maxGramBytes = cap.IsNumber() ? cap.As<Napi::Number>().DoubleValue() : 0;
    if (chunkSize < 16) {
      throw Napi::RangeError::New(o.Env(), "options.chunkSize must be at least 16");
    }
    if (!(damping >= 0 && damping <= 1)) {
      throw Napi::RangeError::New(o.Env(), "options.damping must be between 0 and 1");
    }
    if (threads < 1) {
      threads = 1;
    }
  }
};

double physicalMemory() {
#if !defined(_WIN32)
  return (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
#else
  return 8.0 * (1ull << 30);
#endif
}

class GptqJob : public NativeJob {
 public:
  GptqJob(Napi::Env env, GptqOptions o, Napi::Value onProgress)
      : NativeJob(env, "lowbit.gptq", onProgress), o_(std::move(o)) {}

 protected:
  void Run() override {
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
    if (!findCandidates()) {
      return;
    }
    LogCapture capture([](ggml_log_level, const char*) {});
    ensureBackendsLoaded();
    llama_model_params mparams = llama_model_default_params();
    mparams.n_gpu_layers = 0;
    llama_model* model = llama_model_load_from_file(o_.modelPath.c_str(), mparams);
    if (model == nullptr) {
      Fail("failed", "llama.cpp could not load " + o_.modelPath + ": " + capture.lastErrors());
      return;
    }
    run(model, text);
    llama_model_free(model);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("chunks", Napi::Number::New(env, chunks_));
    r.Set("chunkSize", Napi::Number::New(env, o_.chunkSize));
    r.Set("tokens", Napi::Number::New(env, (double)chunks_ * o_.chunkSize));
    r.Set("passes", Napi::Number::New(env, passes_));
    r.Set("damping", Napi::Number::New(env, o_.damping));
    r.Set("compensated", Napi::Number::New(env, (double)reports_.size()));
    r.Set("skipped", Napi::Number::New(env, skipped_));
    r.Set("calibrationSeconds", Napi::Number::New(env, calibrationSeconds_));
    r.Set("compensationSeconds", Napi::Number::New(env, compensationSeconds_));
    Napi::Array tensors = Napi::Array::New(env, reports_.size());
    for (uint32_t i = 0; i < reports_.size(); ++i) {
      const TensorReport& t = reports_[i];
      Napi::Object row = Napi::Object::New(env);
      row.Set("name", Napi::String::New(env, t.name));
      row.Set("type", Napi::Number::New(env, (int)t.type));
      row.Set("rows", Napi::Number::New(env, (double)t.rows));
      row.Set("cols", Napi::Number::New(env, (double)t.cols));
      if (o_.measure) {
        row.Set("rtnError", Napi::Number::New(env, t.rtnError));
        row.Set("gptqError", Napi::Number::New(env, t.gptqError));
      }
      tensors.Set(i, row);
    }
    r.Set("tensors", tensors);
    return r;
  }

 private:
  bool findCandidates() {
    gguf_init_params params = {true, nullptr};
    gguf_context* target = gguf_init_from_file(o_.targetPath.c_str(), params);
    if (target == nullptr) {
      Fail("not_found", "Cannot read the quantized file " + o_.targetPath + ".");
      return false;
    }
    gguf_context* source = gguf_init_from_file(o_.modelPath.c_str(), params);
    if (source == nullptr) {
      gguf_free(target);
      Fail("not_found", "Cannot read the source model " + o_.modelPath + ".");
      return false;
    }
    for (int64_t i = 0; i < gguf_get_n_tensors(target); ++i) {
      Candidate c;
      c.name = gguf_get_tensor_name(target, i);
      c.layer = layerOf(c.name);
      c.type = gguf_get_tensor_type(target, i);
      const int64_t* ne = gguf_get_tensor_ne(target, i);
      c.cols = ne[0];
      c.rows = ne[1];
      c.grid = gridFor(c.type);
      const int64_t s = gguf_find_tensor(source, c.name.c_str());
      if (c.layer < 0 || c.grid == nullptr || ne[2] != 1 || ne[3] != 1 || s < 0 ||
          c.cols % c.grid->block_cols != 0) {
        continue;
      }
      const int64_t* sne = gguf_get_tensor_ne(source, s);
      c.sourceType = gguf_get_tensor_type(source, s);
      if (sne[0] != ne[0] || sne[1] != ne[1] ||
          (c.sourceType != GGML_TYPE_F32 && ggml_get_type_traits(c.sourceType)->to_float == nullptr)) {
        continue;
      }
      c.targetOffset = gguf_get_data_offset(target) + gguf_get_tensor_offset(target, i);
      c.sourceOffset = gguf_get_data_offset(source) + gguf_get_tensor_offset(source, s);
      candidates_.push_back(c);
      maxLayer_ = std::max(maxLayer_, c.layer);
    }
    gguf_free(source);
    gguf_free(target);
    return true;
  }

  void run(llama_model* model, const std::string& text) {
    const llama_vocab* vocab = llama_model_get_vocab(model);
    std::vector<llama_token> tokens(text.size() + 16);
    int32_t n = llama_tokenize(vocab, text.data(), (int32_t)text.size(), tokens.data(),
                               (int32_t)tokens.size(), true, false);
    if (n < 0) {
      Fail("failed", "The calibration text could not be tokenized.");
      return;
    }
    tokens.resize(n);
    const int32_t chunkSize = o_.chunkSize;
    if (n < chunkSize) {
      Fail("text_too_short", "The calibration text is too short: it has " + std::to_string(n) +
                                 " tokens, and one chunk needs " + std::to_string(chunkSize) + ".");
      return;
    }
    int32_t nChunks = n / chunkSize;
    if (o_.maxChunks > 0) {
      nChunks = std::min(nChunks, o_.maxChunks);
    }
    // Layers per pass, so that each pass's Gram matrices (at most one per candidate) fit.
    const double cap = o_.maxGramBytes > 0 ? o_.maxGramBytes : physicalMemory() / 4;
    std::vector<std::pair<int, int>> ranges;
    double used = 0;
    int from = 0;
    for (int layer = 0; layer <= maxLayer_; ++layer) {
      double bytes = 0;
      for (const Candidate& c : candidates_) {
        bytes += c.layer == layer ? 8.0 * c.cols * c.cols : 0;
      }
      if (used > 0 && used + bytes > cap) {
        ranges.push_back({from, layer});
        from = layer;
        used = 0;
      }
      used += bytes;
    }
    ranges.push_back({from, maxLayer_ + 1});
    passes_ = candidates_.empty() ? 0 : (int)ranges.size();

    const bool addBos = llama_vocab_get_add_bos(vocab);
    for (int p = 0; p < passes_ && !Cancelled(); ++p) {
      GramCollector collector(o_.threads, ranges[p].first, ranges[p].second);
      if (collector.failed()) {
        Fail("failed", collector.error());
        return;
      }
      const auto t0 = std::chrono::steady_clock::now();
      llama_context_params cparams = llama_context_default_params();
      cparams.n_ctx = chunkSize;
      cparams.n_batch = chunkSize;
      cparams.n_ubatch = chunkSize;
      cparams.n_seq_max = 1;
      cparams.n_threads = o_.threads;
      cparams.n_threads_batch = o_.threads;
      cparams.cb_eval = &GramCollector::Callback;
      cparams.cb_eval_user_data = &collector;
      cparams.abort_callback = [](void* f) { return static_cast<std::atomic<bool>*>(f)->load(); };
      cparams.abort_callback_data = CancelFlag();
      cparams.no_perf = true;
      llama_context* ctx = llama_init_from_model(model, cparams);
      if (ctx == nullptr) {
        Fail("failed", "llama.cpp could not create a context of " + std::to_string(chunkSize) +
                           " tokens for the calibration.");
        return;
      }
      llama_batch batch = llama_batch_init(chunkSize, 0, 1);
      int32_t done = 0;
      for (int32_t i = 0; i < nChunks && !Cancelled(); ++i) {
        llama_memory_clear(llama_get_memory(ctx), true);
        batch.n_tokens = 0;
        for (int32_t k = 0; k < chunkSize; ++k) {
          batch.token[k] = (k == 0 && addBos) ? llama_vocab_bos(vocab) : tokens[i * chunkSize + k];
          batch.pos[k] = k;
          batch.n_seq_id[k] = 1;
          batch.seq_id[k][0] = 0;
          batch.logits[k] = true;  // every row, so the last layer is not cut to the output rows
          batch.n_tokens++;
        }
        const int32_t status = llama_decode(ctx, batch);
        if (Cancelled()) {
          break;
        }
        if (status != 0 || collector.failed()) {
          Fail("failed", collector.failed() ? collector.error()
                                            : "llama.cpp failed to evaluate calibration chunk " +
                                                  std::to_string(i + 1) + ".");
          break;
        }
        done = i + 1;
        Progress(GptqProgress{"calibrating", done, nChunks, p + 1, passes_, ""}, fillProgress);
      }
      llama_batch_free(batch);
      llama_free(ctx);
      calibrationSeconds_ +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (Cancelled()) {
        Fail("cancelled", "Cancelled.");
        return;
      }
      if (done < nChunks) {
        return;  // failed above
      }
      chunks_ = nChunks;
      collector.finish();
      if (!compensateLayers(collector, ranges[p], p)) {
        return;
      }
    }
    if (Cancelled()) {
      Fail("cancelled", "Cancelled.");
    }
  }

  bool compensateLayers(GramCollector& grams, std::pair<int, int> range, int pass) {
    const auto t0 = std::chrono::steady_clock::now();
    std::fstream target(o_.targetPath, std::ios::in | std::ios::out | std::ios::binary);
    std::ifstream source(o_.modelPath, std::ios::binary);
    if (!target || !source) {
      Fail("io_error", "Cannot open " + o_.targetPath + " to write the calibrated weights.");
      return false;
    }
    std::map<const Gram*, InverseFactor> factors;
    std::vector<const Candidate*> todo;
    for (const Candidate& c : candidates_) {
      if (c.layer >= range.first && c.layer < range.second) {
        todo.push_back(&c);
      }
    }
    int index = 0;
    for (const Candidate* c : todo) {
      if (Cancelled()) {
        Fail("cancelled", "Cancelled.");
        return false;
      }
      ++index;
      const Gram* gram = grams.gramFor(c->name);
      if (gram == nullptr || gram->d != c->cols) {
        ++skipped_;
        continue;
      }
      auto f = factors.find(gram);
      if (f == factors.end()) {
        InverseFactor factor;
        std::string error;
        if (!inverseFactor(gram->h.data(), gram->d, o_.damping, o_.threads, factor, error)) {
          Fail("failed", c->name + ": " + error + ".");
          return false;
        }
        f = factors.emplace(gram, std::move(factor)).first;
      }
      // The source weights as f32 (ggml's own conversion for F16/BF16/quantized sources).
      const size_t sourceBytes = ggml_row_size(c->sourceType, c->cols) * c->rows;
      std::vector<uint8_t> raw(sourceBytes);
      source.seekg((std::streamoff)c->sourceOffset);
      source.read((char*)raw.data(), (std::streamsize)sourceBytes);
      std::vector<float> w((size_t)(c->rows * c->cols));
      if (c->sourceType == GGML_TYPE_F32) {
        std::memcpy(w.data(), raw.data(), sourceBytes);
      } else {
        ggml_get_type_traits(c->sourceType)->to_float(raw.data(), w.data(), c->rows * c->cols);
      }
      const size_t bytes = ggml_row_size(c->type, c->cols) * c->rows;
      std::vector<uint8_t> encoded(bytes);
      TensorReport report{c->name, c->type, c->rows, c->cols};
      std::vector<float> q;
      if (o_.measure) {
        // Round to nearest on the same grid first, from an untouched copy.
        std::vector<float> copy = w;
        std::vector<uint8_t> scratch(bytes);
        q.resize(w.size());
        CompensateOptions rtn{false, o_.threads};
        compensate(*c->grid, f->second, copy.data(), c->rows, rtn, scratch.data(), q.data());
        report.rtnError = outputError(w.data(), q.data(), c->rows, gram->h.data(), gram->d,
                                      o_.threads);
      }
      std::vector<float> original = o_.measure ? w : std::vector<float>();
      CompensateOptions opts{o_.propagate, o_.threads};
      compensate(*c->grid, f->second, w.data(), c->rows, opts, encoded.data(),
                 o_.measure ? q.data() : nullptr);
      if (o_.measure) {
        report.gptqError = outputError(original.data(), q.data(), c->rows, gram->h.data(),
                                       gram->d, o_.threads);
      }
      target.seekp((std::streamoff)c->targetOffset);
      target.write((const char*)encoded.data(), (std::streamsize)bytes);
      if (!target) {
        Fail("io_error", "Writing " + c->name + " into " + o_.targetPath + " failed (disk full?).");
        return false;
      }
      reports_.push_back(report);
      Progress(GptqProgress{"compensating", index, (int)todo.size(), pass + 1, passes_, c->name},
               fillProgress);
    }
    target.flush();
    if (!target) {
      Fail("io_error", "Writing the calibrated weights into " + o_.targetPath + " failed.");
      return false;
    }
    compensationSeconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return true;
  }

  GptqOptions o_;
  std::vector<Candidate> candidates_;
  int maxLayer_ = -1;
  int32_t chunks_ = 0;
  int passes_ = 0;
  int skipped_ = 0;
  double calibrationSeconds_ = 0, compensationSeconds_ = 0;
  std::vector<TensorReport> reports_;
};

}  // namespace

Napi::Value Gptq(const Napi::CallbackInfo& info) {
  GptqOptions options(requireObject(info, 0));
  auto* job = new GptqJob(info.Env(), std::move(options),
                          info.Length() > 1 ? info[1] : info.Env().Undefined());
  return job->Start(info.Env());
}

Napi::Value GptqGridTypes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array types = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = 0; i < GGML_TYPE_COUNT; ++i) {
    if (ggml_type_name((ggml_type)i) != nullptr && gptq::gridFor((ggml_type)i) != nullptr) {
      types.Set(n++, Napi::Number::New(env, i));
    }
  }
  return types;
}

}  // namespace lowbit
