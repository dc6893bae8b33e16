// quantize(options, onProgress) → {promise, cancel}: llama_model_quantize on a libuv thread.
//
// WORKAROUND: llama_model_quantize has no abort hook (include/llama.h, src/llama-quant.cpp).
// It logs one "[i/n] …" line per tensor from its own thread, inside a try/catch that turns any
// std::exception into "failed to quantize" and a return value of 1. Cancelling therefore throws
// from our log callback at the next tensor line: llama.cpp unwinds (closing the output file,
// unmapping the model; its worker threads are joined between tensors) and returns. The service
// still kills the worker process if a cancel is not honoured in time (one huge tensor).
// Remove when llama.cpp grows an abort callback for quantization.
#include <llama.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "backends.h"
#include "imatrixFile.h"
#include "jsOptions.h"
#include "logCapture.h"
#include "nativeJob.h"
#include "quantizeJob.h"
#include "quantizeLog.h"
#include "sizePlan.h"

namespace lowbit {

namespace {

struct KvValue {
  std::string key;
  llama_model_kv_override_type tag;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;
};

struct TypeOverride {
  std::string pattern;
  int type;
};

struct CancelRequested : std::runtime_error {
  CancelRequested() : std::runtime_error("cancelled by the user") {}
};

struct ProgressPacket {
  int index;
  int count;
  std::string name;
};

void fillProgress(Napi::Env env, Napi::Object& object, const ProgressPacket& p) {
  object.Set("tensorIndex", Napi::Number::New(env, p.index));
  object.Set("tensorCount", Napi::Number::New(env, p.count));
  object.Set("name", Napi::String::New(env, p.name));
}

KvValue readKv(Napi::Env env, const Napi::Object& item) {
  KvValue kv;
  kv.key = requireString(item, "key");
  if (kv.key.empty() || kv.key.size() >= 128) {
    throw Napi::TypeError::New(env, "metadata keys must be 1 to 127 bytes long");
  }
  Napi::Value value = item.Get("value");
  if (value.IsString()) {
    kv.tag = LLAMA_KV_OVERRIDE_TYPE_STR;
    kv.s = value.As<Napi::String>().Utf8Value();
    if (kv.s.size() >= 128) {
      throw Napi::TypeError::New(env, "metadata string values must be under 128 bytes: " + kv.key);
    }
  } else if (value.IsBoolean()) {
    kv.tag = LLAMA_KV_OVERRIDE_TYPE_BOOL;
    kv.b = value.As<Napi::Boolean>().Value();
  } else if (value.IsNumber()) {
    const double number = value.As<Napi::Number>().DoubleValue();
    const bool isInt = optionalString(item, "type") != "float" && number == (double)(int64_t)number;
    kv.tag = isInt ? LLAMA_KV_OVERRIDE_TYPE_INT : LLAMA_KV_OVERRIDE_TYPE_FLOAT;
    kv.i = (int64_t)number;
    kv.f = number;
  } else {
    throw Napi::TypeError::New(env, "metadata values must be strings, numbers or booleans");
  }
  return kv;
}


struct QuantizeOptions {
  std::string input_;
  std::string output_;
  llama_ftype ftype_;
  int32_t threads_;
  bool dryRun_;
  bool allowRequantize_;
  bool pure_;
  std::string imatrixPath_;
  bool assumeImatrix_;
  int outputTensorType_;
  int tokenEmbeddingType_;
  std::vector<TypeOverride> overrides_;
  std::vector<KvValue> kv_;

  QuantizeOptions(Napi::Env env, const Napi::Object& options) {
    input_ = requireString(options, "inputPath");
    output_ = optionalString(options, "outputPath");
    ftype_ = (llama_ftype)optionalInt(options, "ftype", LLAMA_FTYPE_MOSTLY_Q8_0);
    threads_ = (int32_t)optionalInt(options, "threads", 0);
    dryRun_ = optionalBool(options, "dryRun", false);
    allowRequantize_ = optionalBool(options, "allowRequantize", false);
    pure_ = optionalBool(options, "pure", false);
    imatrixPath_ = optionalString(options, "imatrixPath");
    assumeImatrix_ = optionalBool(options, "assumeImatrix", false);
    outputTensorType_ = (int)optionalInt(options, "outputTensorType", GGML_TYPE_COUNT);
    tokenEmbeddingType_ = (int)optionalInt(options, "tokenEmbeddingType", GGML_TYPE_COUNT);
    if (!dryRun_ && output_.empty()) {
      throw Napi::TypeError::New(env, "options.outputPath is required unless dryRun is set");
    }
    Napi::Value tensorTypes = options.Get("tensorTypes");
    if (tensorTypes.IsArray()) {
      Napi::Array list = tensorTypes.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); ++i) {
        Napi::Object item = list.Get(i).As<Napi::Object>();
        overrides_.push_back({requireString(item, "pattern"), (int)optionalInt(item, "type", 0)});
      }
    }
    Napi::Value metadata = options.Get("metadata");
    if (metadata.IsArray()) {
      Napi::Array list = metadata.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); ++i) {
        kv_.push_back(readKv(env, list.Get(i).As<Napi::Object>()));
      }
    }
  }
};

class QuantizeJob : public NativeJob, private QuantizeOptions {
 public:
  QuantizeJob(Napi::Env env, QuantizeOptions options, Napi::Value onProgress)
      : NativeJob(env, "lowbit.quantize", onProgress), QuantizeOptions(std::move(options)) {}

 protected:
  void Run() override {
    ensureLlamaInit();
    quantizeThread_ = std::this_thread::get_id();
    const auto started = std::chrono::steady_clock::now();

    std::map<std::string, std::vector<float>> imatrix;
    if (!imatrixPath_.empty()) {
      ImatrixFile file;
      std::string error;
      if (!readImatrixFile(imatrixPath_, file, error)) {
        Fail("bad_imatrix", "The importance matrix " + imatrixPath_ + " cannot be used: " + error);
        return;
      }
      if (!file.hasMetadata) {
        Fail("bad_imatrix", "The importance matrix " + imatrixPath_ + " lacks its imatrix.* keys.");
        return;
      }
      imatrix = normalizeImatrix(file);
    } else if (assumeImatrix_) {
      // A dry run only needs to know that a matrix will be there: some mixes depend on it.
      imatrix["lowbit.dry-run"] = {1.0f};
    }
    std::vector<llama_model_imatrix_data> imatrixData;
    for (const auto& [name, values] : imatrix) {
      imatrixData.push_back({name.c_str(), values.data(), values.size()});
    }
    imatrixData.push_back({nullptr, nullptr, 0});
    imatrixEntries_ = imatrixPath_.empty() ? 0 : (int)imatrix.size();

    std::vector<llama_model_kv_override> kvOverrides;
    for (const KvValue& value : kv_) {
      llama_model_kv_override o;
      std::memset(&o, 0, sizeof(o));
      std::strncpy(o.key, value.key.c_str(), sizeof(o.key) - 1);
      o.tag = value.tag;
      if (value.tag == LLAMA_KV_OVERRIDE_TYPE_INT) {
        o.val_i64 = value.i;
      } else if (value.tag == LLAMA_KV_OVERRIDE_TYPE_FLOAT) {
        o.val_f64 = value.f;
      } else if (value.tag == LLAMA_KV_OVERRIDE_TYPE_BOOL) {
        o.val_bool = value.b;
      } else {
        std::strncpy(o.val_str, value.s.c_str(), sizeof(o.val_str) - 1);
      }
      kvOverrides.push_back(o);
    }
    kvOverrides.emplace_back();
    std::memset(&kvOverrides.back(), 0, sizeof(llama_model_kv_override));

    std::vector<llama_model_tensor_override> typeOverrides;
    for (const TypeOverride& o : overrides_) {
      typeOverrides.push_back({o.pattern.c_str(), (ggml_type)o.type});
    }
    typeOverrides.push_back({nullptr, GGML_TYPE_COUNT});

    llama_model_quantize_params params = llama_model_quantize_default_params();
    params.nthread = threads_;
    params.ftype = ftype_;
    params.allow_requantize = allowRequantize_;
    params.pure = pure_;
    params.dry_run = dryRun_;
    params.output_tensor_type = (ggml_type)outputTensorType_;
    params.token_embedding_type = (ggml_type)tokenEmbeddingType_;
    params.imatrix = imatrix.empty() ? nullptr : imatrixData.data();
    params.kv_overrides = kv_.empty() ? nullptr : kvOverrides.data();
    params.tt_overrides = overrides_.empty() ? nullptr : typeOverrides.data();

    uint32_t status;
    std::string errors;
    {
      LogCapture capture([this](ggml_log_level, const char* text) { onLog(text); });
      status = llama_model_quantize(input_.c_str(), dryRun_ ? "" : output_.c_str(), &params);
      errors = capture.lastErrors();
    }
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (status != 0) {
      // llama.cpp's own one-line reason, without the banner lines around it.
      const std::string marker = "failed to quantize: ";
      const size_t at = errors.rfind(marker);
      const std::string reason = at == std::string::npos ? errors : errors.substr(at + marker.size());
      if (Cancelled()) {
        Fail("cancelled", "Cancelled.");
      } else if (errors.find("requires an imatrix") != std::string::npos ||
                 errors.find("Missing importance matrix") != std::string::npos) {
        Fail("imatrix_required", reason);
      } else if (errors.find("requantizing from type") != std::string::npos) {
        Fail("requantize_disabled", reason);
      } else {
        Fail("failed", reason.empty() ? "llama_model_quantize failed" : reason);
      }
      return;
    }
    if (dryRun_) {
      std::string error;
      if (!predictQuantizedFileSize(input_, ftype_, params.kv_overrides, parser_.tensors(),
                                    fileBytes_, error)) {
        Fail("failed", error);
      }
    } else {
      std::error_code ec;
      fileBytes_ = std::filesystem::file_size(output_, ec);
      if (ec) {
        Fail("failed", "The quantized file is missing after llama.cpp reported success.");
      }
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("fileBytes", Napi::Number::New(env, (double)fileBytes_));
    result.Set("seconds", Napi::Number::New(env, seconds_));
    result.Set("requiresImatrix", Napi::Boolean::New(env, parser_.requiresImatrix()));
    result.Set("fallbackTensors", Napi::Number::New(env, parser_.fallbackTensors()));
    result.Set("imatrixEntries", Napi::Number::New(env, imatrixEntries_));
    Napi::Array tensors = Napi::Array::New(env, parser_.tensors().size());
    double elements = 0;
    uint32_t i = 0;
    for (const TensorPlan& plan : parser_.tensors()) {
      Napi::Object t = Napi::Object::New(env);
      Napi::Array shape = Napi::Array::New(env, 4);
      for (uint32_t d = 0; d < 4; ++d) {
        shape.Set(d, Napi::Number::New(env, (double)plan.ne[d]));
      }
      t.Set("name", Napi::String::New(env, plan.name));
      t.Set("shape", shape);
      t.Set("fromType", Napi::Number::New(env, plan.fromType));
      t.Set("toType", Napi::Number::New(env, plan.toType));
      t.Set("bytes", Napi::Number::New(env, (double)plan.bytes));
      tensors.Set(i++, t);
      elements += (double)(plan.ne[0] * plan.ne[1] * plan.ne[2] * plan.ne[3]);
    }
    result.Set("tensors", tensors);
    result.Set("elements", Napi::Number::New(env, elements));
    return result;
  }

 private:
  void onLog(const char* text) {
    TensorStart start;
    if (!parser_.feed(text, start)) {
      return;
    }
    if (Cancelled() && std::this_thread::get_id() == quantizeThread_) {
      throw CancelRequested();
    }
    Progress(ProgressPacket{start.index, start.count, start.name}, fillProgress);
  }

  std::thread::id quantizeThread_;
  QuantizeLogParser parser_;
  uint64_t fileBytes_ = 0;
  double seconds_ = 0;
  int imatrixEntries_ = 0;
};

}  // namespace

Napi::Value Quantize(const Napi::CallbackInfo& info) {
  Napi::Object options = requireObject(info, 0);
  QuantizeOptions parsed(info.Env(), options);
  auto* job = new QuantizeJob(info.Env(), std::move(parsed),
                              info.Length() > 1 ? info[1] : info.Env().Undefined());
  return job->Start(info.Env());
}

}  // namespace lowbit
