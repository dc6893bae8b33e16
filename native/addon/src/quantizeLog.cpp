#include "quantizeLog.h"

#include <cstdio>
#include <cstring>

#include "ggmlTypeNames.h"

namespace lowbit {

bool QuantizeLogParser::feed(const char* text, TensorStart& start) {
  if (text[0] == '[') {
    int index = 0;
    int count = 0;
    char name[512] = {0};
    char shape[256] = {0};
    char type[32] = {0};
    if (std::sscanf(text, "[%d/%d] %511s - [%255[^]]], type = %31[^, ]", &index, &count, name,
                    shape, type) == 5) {
      if (open_) {
        finish();
      }
      current_ = TensorPlan();
      current_.name = name;
      long long ne[4] = {1, 1, 1, 1};
      std::sscanf(shape, "%lld, %lld, %lld, %lld", &ne[0], &ne[1], &ne[2], &ne[3]);
      for (int i = 0; i < 4; ++i) {
        current_.ne[i] = ne[i];
      }
      current_.fromType = ggmlTypeFromName(type);
      open_ = true;
      start = {index, count, current_.name};
      return true;
    }
    return false;
  }
  if (!open_) {
    if (std::strstr(text, "will require an imatrix") != nullptr) {
      requiresImatrix_ = true;
    }
    int fallback = 0;
    int total = 0;
    const char* found = std::strstr(text, "WARNING: ");
    if (found != nullptr && std::strstr(text, "required fallback quantization") != nullptr &&
        std::sscanf(found, "WARNING: %d of %d", &fallback, &total) == 2) {
      fallback_ = fallback;
    }
    return false;
  }
  char type[32] = {0};
  const char* converting = std::strstr(text, "converting to ");
  if (converting != nullptr && std::sscanf(converting, "converting to %31s", type) == 1) {
    current_.toType = ggmlTypeFromName(type);
  }
  if (std::strncmp(text, "size = ", 7) == 0) {
    const char* paren = std::strrchr(text, '(');
    if (paren != nullptr && std::sscanf(paren, "(%31[^)])", type) == 1) {
      current_.toType = ggmlTypeFromName(type);
    }
    finish();
  }
  return false;
}

void QuantizeLogParser::finish() {
  open_ = false;
  if (current_.toType == GGML_TYPE_COUNT) {
    current_.toType = current_.fromType;
  }
  if (current_.toType != GGML_TYPE_COUNT) {
    current_.bytes = ggml_row_size(current_.toType, current_.ne[0]) *
                     (uint64_t)(current_.ne[1] * current_.ne[2] * current_.ne[3]);
  }
  tensors_.push_back(current_);
}

}  // namespace lowbit
