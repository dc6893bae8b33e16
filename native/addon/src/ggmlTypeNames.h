#pragma once

#include <ggml.h>

#include <string>

namespace lowbit {

/** The ggml type llama.cpp prints as `name` ("q4_K", "f16"), or GGML_TYPE_COUNT. */
inline ggml_type ggmlTypeFromName(const std::string& name) {
  for (int i = 0; i < GGML_TYPE_COUNT; ++i) {
    const char* candidate = ggml_type_name((ggml_type)i);
    if (candidate != nullptr && name == candidate && ggml_blck_size((ggml_type)i) > 0) {
      return (ggml_type)i;
    }
  }
  return GGML_TYPE_COUNT;
}

}  // namespace lowbit
