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
      settlement_(new Settlement{Napi::Promise::Deferred::New(env), {}, false, false}),
      cancel_(std::make_shared<std::atomic<bool>>(false)) {
  if (onProgress.IsFunction()) {
    progress_ = Napi::ThreadSafeFunction::New(
        env, onProgress.As<Napi::Function>(), name, 0, 1, settlement_,
        [](Napi::Env, void*, Settlement* settlement) {
          if (settlement->ready) {
            if (settlement->resolve) {
              settlement->deferred.Resolve(settlement->value.Value());
            } else {
              settlement->deferred.Reject(settlement->value.Value());
            }
          }
          delete settlement;
        },
        static_cast<void*>(nullptr));
    hasProgress_ = true;
  }
}

NativeJob::~NativeJob() = default;

Napi::Object NativeJob::Start(Napi::Env env) {
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", settlement_->deferred.Promise());
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
    Settle(Result(env), true);
  } catch (const Napi::Error& e) {
    Settle(e.Value(), false);
  }
}

void NativeJob::OnError(const Napi::Error& error) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Error rejection = Napi::Error::New(env, failed_ ? error_.message : error.Message());
  rejection.Set("code", Napi::String::New(env, failed_ ? error_.code : "failed"));
  Settle(rejection.Value(), false);
}

void NativeJob::Settle(Napi::Value value, bool resolve) {
  if (!hasProgress_) {
    if (resolve) {
      settlement_->deferred.Resolve(value);
    } else {
      settlement_->deferred.Reject(value);
    }
    delete settlement_;
    return;
  }
  // Settled by the progress function's finalizer, after its last queued packet.
  settlement_->value = Napi::Persistent(value);
  settlement_->resolve = resolve;
  settlement_->ready = true;
  hasProgress_ = false;
  progress_.Release();
}

}  // namespace lowbit
