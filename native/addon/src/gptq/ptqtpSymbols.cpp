#include "ptqtpSymbols.h"

#include <mutex>

#if !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace lowbit::gptq {

const PtqtpSymbols* ptqtpSymbols() {
  static PtqtpSymbols symbols{};
  static bool found = false;
  static std::once_flag once;
  std::call_once(once, [] {
#if !defined(_WIN32)
    // The library that holds ggml_type_name is the libggml-base the addon linked.
    Dl_info info;
    if (dladdr((void*)&ggml_type_name, &info) == 0 || info.dli_fname == nullptr) {
      return;
    }
    void* lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (lib == nullptr) {
      return;
    }
    symbols.fitGroup = (decltype(symbols.fitGroup))dlsym(lib, "ptqtp_fit_group");
    symbols.gridInit = (decltype(symbols.gridInit))dlsym(lib, "ptqtp_grid_init");
    symbols.pack1 = (decltype(symbols.pack1))dlsym(lib, "ptqtp1_pack_block");
    symbols.pack2 = (decltype(symbols.pack2))dlsym(lib, "ptqtp2_pack_block");
    found = symbols.fitGroup && symbols.gridInit && symbols.pack1 && symbols.pack2;
#endif
  });
  return found ? &symbols : nullptr;
}

}  // namespace lowbit::gptq
