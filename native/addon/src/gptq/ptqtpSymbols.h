// The PTQTP solver and packers live in libggml-base of the Lowbit extended runtime only. The
// addon also builds against the stock libraries, so it looks them up at run time instead of
// linking them: without the extended runtime the PTQTP grids are simply absent.
#pragma once

#include "../../../ggml-ext/ptqtp.h"

namespace lowbit::gptq {

struct PtqtpSymbols {
  decltype(&ptqtp_fit_group) fitGroup;
  decltype(&ptqtp_grid_init) gridInit;
  decltype(&ptqtp1_pack_block) pack1;
  decltype(&ptqtp2_pack_block) pack2;
};

// The solver's entry points, or nullptr when the loaded libggml-base does not have them.
const PtqtpSymbols* ptqtpSymbols();

}  // namespace lowbit::gptq
