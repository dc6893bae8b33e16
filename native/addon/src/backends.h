#pragma once

#include <string>

namespace lowbit {

/** llama_backend_init, once per process (all quantization needs). */
void ensureLlamaInit();

/** Loads ggml's compute backends once, from the folder libllama was loaded from (for eval). */
void ensureBackendsLoaded();

/** The folder of the libllama this addon is linked against ("" if unknown). */
std::string llamaLibraryDir();

}  // namespace lowbit
