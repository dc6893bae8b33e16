// The shape every slow call of the addon shares: an AsyncWorker that resolves a promise, an
// atomic cancel flag the C++ loop polls, and progress delivered through a thread-safe function
// with non-blocking calls (a slow JS side never stalls the native thread).
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace lowbit {

/** Errors reach JS as rejections carrying a `code` the TypeScript side maps to app errors. */
struct JobError {
  std::string code;
  std::string message;
};

/** Only one native operation runs in a process at a time: llama.cpp's logger is global. */
class ExclusiveNative {
 public:
  static bool tryAcquire();
  static void release();
};

class NativeJob : public Napi::AsyncWorker {
 public:
  NativeJob(Napi::Env env, const char* name, Napi::Value onProgress);
  ~NativeJob() override;

  /** `{promise, cancel}`: what the JS function returns. Queues the worker. */
  Napi::Object Start(Napi::Env env);

 protected:
  /** The job's work on a libuv thread; throw or call Fail() to reject. */
  virtual void Run() = 0;
  /** The resolved value, built on the JS thread. */
  virtual Napi::Value Result(Napi::Env env) = 0;

  void Fail(const std::string& code, const std::string& message);
  bool Cancelled() const { return cancel_->load(); }
  std::atomic<bool>* CancelFlag() const { return cancel_.get(); }

  /** Sends a progress packet built by `fill` on the JS thread; never blocks, drops if closed. */
  template <typename Packet>
  void Progress(Packet packet, void (*fill)(Napi::Env, Napi::Object&, const Packet&)) {
    if (!hasProgress_) {
      return;
    }
    auto* boxed = new Boxed<Packet>{std::move(packet), fill};
    napi_status status = progress_.NonBlockingCall(
        boxed, [](Napi::Env env, Napi::Function callback, Boxed<Packet>* data) {
          if (env != nullptr && callback != nullptr) {
            Napi::Object object = Napi::Object::New(env);
            data->fill(env, object, data->packet);
            callback.Call({object});
          }
          delete data;
        });
    if (status != napi_ok) {
      delete boxed;
    }
  }

 private:
  template <typename Packet>
  struct Boxed {
    Packet packet;
    void (*fill)(Napi::Env, Napi::Object&, const Packet&);
  };

  /**
   * How the promise ends, kept until the progress function is finalized: that happens only after
   * every queued progress packet was delivered, so no packet arrives after the result.
   */
  struct Settlement {
    Napi::Promise::Deferred deferred;
    Napi::Reference<Napi::Value> value;
    bool resolve = false;
    bool ready = false;
  };

  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;
  void Settle(Napi::Value value, bool resolve);

  Settlement* settlement_;
  Napi::ThreadSafeFunction progress_;
  bool hasProgress_ = false;
  std::shared_ptr<std::atomic<bool>> cancel_;
  JobError error_;
  bool failed_ = false;
};

}  // namespace lowbit
