#include "nativeJob.h"

#include <exception>

namespace lowbit {

namespace {
std::atomic<bool> g_busy{false};
}

bool ExclusiveNative::tryAcquire() {
  bool expected = false;
  return g_busy.compare_exchange_strong(expected, true);
}

void ExclusiveNative::release() { g_busy.store(false); }

NativeJob::NativeJob(Napi::Env env, const char* name, Napi::Value onProgress)
    : Napi::AsyncWorker(env, name),
      deferred_(Napi::Promise::Deferred::New(env)),
      cancel_(std::make_shared<std::atomic<bool>>(false)) {
  if (onProgress.IsFunction()) {
    progress_ = Napi::ThreadSafeFunction::New(env, onProgress.As<Napi::Function>(), name, 0, 1);
    hasProgress_ = true;
  }
}

NativeJob::~NativeJob() = default;

Napi::Object NativeJob::Start(Napi::Env env) {
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", deferred_.Promise());
  std::shared_ptr<std::atomic<bool>> flag = cancel_;
  handle.Set("cancel", Napi::Function::New(
                           env, [flag](const Napi::CallbackInfo&) { flag->store(true); },
                           "cancel"));
  Queue();
  return handle;
}

void NativeJob::Fail(const std::string& code, const std::string& message) {
  failed_ = true;
  error_ = {code, message};
}

void NativeJob::Execute() {
  if (!ExclusiveNative::tryAcquire()) {
    Fail("busy", "Another native operation is running in this process.");
    SetError(error_.message);
    return;
  }
  try {
    Run();
  } catch (const std::exception& e) {
    if (!failed_) {
      Fail("failed", e.what());
    }
  } catch (...) {
    if (!failed_) {
      Fail("failed", "unknown native error");
    }
  }
  ExclusiveNative::release();
  if (failed_) {
    SetError(error_.message);
  }
}

void NativeJob::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    deferred_.Resolve(Result(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
  Finish();
}

void NativeJob::OnError(const Napi::Error& error) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Error rejection = Napi::Error::New(env, failed_ ? error_.message : error.Message());
  rejection.Set("code", Napi::String::New(env, failed_ ? error_.code : "failed"));
  deferred_.Reject(rejection.Value());
  Finish();
}

void NativeJob::Finish() {
  if (hasProgress_) {
    progress_.Release();
    hasProgress_ = false;
  }
}

}  // namespace lowbit
