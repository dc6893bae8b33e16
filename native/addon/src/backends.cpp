#include "backends.h"

#include <ggml-backend.h>
#include <llama.h>

#include <mutex>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace lowbit {

std::string llamaLibraryDir() {
#if defined(_WIN32)
  HMODULE module = nullptr;
  if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                              GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          (LPCSTR)(void*)&llama_model_quantize, &module)) {
    return "";
  }
  char path[MAX_PATH];
  const DWORD n = GetModuleFileNameA(module, path, MAX_PATH);
  std::string file(path, n);
#else
  Dl_info info;
  if (dladdr((void*)&llama_model_quantize, &info) == 0 || info.dli_fname == nullptr) {
    return "";
  }
  std::string file(info.dli_fname);
#endif
  const size_t slash = file.find_last_of("/\\");
  return slash == std::string::npos ? std::string() : file.substr(0, slash);
}

void ensureLlamaInit() {
  static std::once_flag once;
  std::call_once(once, [] { llama_backend_init(); });
}

void ensureBackendsLoaded() {
  ensureLlamaInit();
  static std::once_flag once;
  std::call_once(once, [] {
    // Builds with dynamic backends (GGML_BACKEND_DL, as node-llama-cpp's prebuilt binaries are)
    // have none until they are loaded; ggml picks the best CPU variant for this machine.
    if (ggml_backend_reg_count() == 0) {
      const std::string dir = llamaLibraryDir();
      if (dir.empty()) {
        ggml_backend_load_all();
      } else {
        ggml_backend_load_all_from_path(dir.c_str());
      }
    }
  });
}

}  // namespace lowbit
