// Grids for llama.cpp's k-quants (and IQ4_XS): the parameters come from llama.cpp's own scale
// search for the type, so with no compensation the bytes equal llama-quantize's.
#pragma once

#include "gptqGrid.h"

namespace lowbit::gptq {

// The grid for a k-quant type, or nullptr for any other type.
const Grid* kquantGridFor(enum ggml_type type);

}  // namespace lowbit::gptq
