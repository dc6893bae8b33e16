// Grids for llama.cpp's k-quants and IQ4_XS (see kquantGrids.h). Filled in type by type.
#include "kquantGrids.h"

namespace lowbit::gptq {

const Grid* kquantGridFor(enum ggml_type type) {
  (void)type;
  return nullptr;
}

}  // namespace lowbit::gptq
