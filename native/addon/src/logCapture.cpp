#include "logCapture.h"

#include <llama.h>

#include <cstdio>

namespace lowbit {

LogCapture::LogCapture(Sink sink) : sink_(std::move(sink)) {
  llama_log_get(&previous_, &previousData_);
  llama_log_set(&LogCapture::Callback, this);
}

LogCapture::~LogCapture() { llama_log_set(previous_, previousData_); }

std::string LogCapture::lastErrors() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string joined;
  for (const std::string& line : errors_) {
    if (!joined.empty()) {
      joined += " ";
    }
    joined += line;
  }
  return joined;
}

void LogCapture::Callback(ggml_log_level level, const char* text, void* data) {
  auto* self = static_cast<LogCapture*>(data);
  // CONT continues the previous line at the previous line's level.
  const ggml_log_level effective = level == GGML_LOG_LEVEL_CONT ? self->lastLevel_ : level;
  self->lastLevel_ = effective;
  if (effective == GGML_LOG_LEVEL_ERROR || effective == GGML_LOG_LEVEL_WARN) {
    // Warnings and errors still reach stderr: the worker's crash report reads its last lines.
    std::fprintf(stderr, "[llama.cpp] %s", text);
    std::fflush(stderr);
  }
  if (effective == GGML_LOG_LEVEL_ERROR) {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->pendingError_ += text;
    size_t newline;
    while ((newline = self->pendingError_.find('\n')) != std::string::npos) {
      std::string line = self->pendingError_.substr(0, newline);
      self->pendingError_.erase(0, newline + 1);
      if (line.find_first_not_of(" =\t") != std::string::npos) {
        self->errors_.push_back(line);
        if (self->errors_.size() > 8) {
          self->errors_.erase(self->errors_.begin());
        }
      }
    }
  }
  // The sink may throw (quantize uses that to cancel); nothing above holds a lock by then.
  self->sink_(effective, text);
}

}  // namespace lowbit
