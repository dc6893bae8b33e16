// Routes llama.cpp's (and ggml's) log lines to one sink for the duration of a native call, then
// puts the previous logger back. llama.cpp reports quantization progress and the reason for a
// failure only through these lines.
#pragma once

#include <ggml.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace lowbit {

class LogCapture {
 public:
  using Sink = std::function<void(ggml_log_level level, const char* text)>;

  explicit LogCapture(Sink sink);
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /** The last error lines llama.cpp printed, joined (for error messages). */
  std::string lastErrors() const;

 private:
  static void Callback(ggml_log_level level, const char* text, void* self);

  Sink sink_;
  ggml_log_callback previous_ = nullptr;
  void* previousData_ = nullptr;
  mutable std::mutex mutex_;
  std::vector<std::string> errors_;
  std::string pendingError_;
  ggml_log_level lastLevel_ = GGML_LOG_LEVEL_INFO;
};

}  // namespace lowbit
