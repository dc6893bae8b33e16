// gridFor: the PTQTP grids (here) and llama.cpp's k-quant grids (kquantGrids.cpp).
//
// PTQTP: fit_cols = 128, the group; the two fp16 scales of a group are fitted with PTQTP's own
// solver on the error-updated weights (unweighted: weighting the fit measured no gain,
// docs/compression.md), each column is rounded to the nine levels of those scales, and the
// block is packed exactly as llama-quantize packs it.
#include <cstring>

#include "gptqGrid.h"
#include "kquantGrids.h"
#include "ptqtpSymbols.h"

namespace lowbit::gptq {

namespace {

struct PtqtpParams {
  float alpha[PTQTP_NGROUPS][2];
  ptqtp_grid grid[PTQTP_NGROUPS];
};

void ptqtpFit(const float* x, const float* /*w*/, int sub, void* params) {
  const PtqtpSymbols* s = ptqtpSymbols();
  auto* p = static_cast<PtqtpParams*>(params);
  s->fitGroup(x, nullptr, PTQTP_GROUP, nullptr, p->alpha[sub], nullptr, nullptr);
  s->gridInit(&p->grid[sub], p->alpha[sub][0], p->alpha[sub][1]);
}

float ptqtpRound(const void* params, int j, float x, int32_t* level) {
  const auto* p = static_cast<const PtqtpParams*>(params);
  int8_t t1, t2;
  const float v = ptqtp_grid_nearest(&p->grid[j / PTQTP_GROUP], x, &t1, &t2);
  *level = (t1 + 1) * 3 + (t2 + 1);
  return v;
}

void unpackLevels(const int32_t* levels, int8_t* t1, int8_t* t2) {
  for (int j = 0; j < PTQTP_QK; ++j) {
    t1[j] = (int8_t)(levels[j] / 3 - 1);
    t2[j] = (int8_t)(levels[j] % 3 - 1);
  }
}

void ptqtp1Encode(const void* params, const int32_t* levels, void* dst) {
  int8_t t1[PTQTP_QK], t2[PTQTP_QK];
  unpackLevels(levels, t1, t2);
  ptqtpSymbols()->pack1(t1, t2, static_cast<const PtqtpParams*>(params)->alpha,
                        static_cast<block_ptqtp1*>(dst));
}

void ptqtp2Encode(const void* params, const int32_t* levels, void* dst) {
  int8_t t1[PTQTP_QK], t2[PTQTP_QK];
  unpackLevels(levels, t1, t2);
  ptqtpSymbols()->pack2(t1, t2, static_cast<const PtqtpParams*>(params)->alpha,
                        static_cast<block_ptqtp2*>(dst));
}

const Grid kPtqtp1{(ggml_type)PTQTP_GGML_TYPE_PTQTP1, PTQTP_QK, PTQTP_GROUP, sizeof(PtqtpParams),
                   ptqtpFit, ptqtpRound, ptqtp1Encode};
const Grid kPtqtp2{(ggml_type)PTQTP_GGML_TYPE_PTQTP2, PTQTP_QK, PTQTP_GROUP, sizeof(PtqtpParams),
                   ptqtpFit, ptqtpRound, ptqtp2Encode};

}  // namespace

const Grid* gridFor(enum ggml_type type) {
  if ((int)type == PTQTP_GGML_TYPE_PTQTP1 || (int)type == PTQTP_GGML_TYPE_PTQTP2) {
    // Only where the loaded ggml knows the type (the extended runtime).
    if (ptqtpSymbols() == nullptr) {
      return nullptr;
    }
    return (int)type == PTQTP_GGML_TYPE_PTQTP1 ? &kPtqtp1 : &kPtqtp2;
  }
  return kquantGridFor(type);
}

}  // namespace lowbit::gptq
