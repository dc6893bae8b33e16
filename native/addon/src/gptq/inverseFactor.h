// The one factorization GPTQ needs per distinct layer input: from the Gram matrix H = XᵀX, the
// upper Cholesky factor U of the damped inverse (H + λI)⁻¹ = UᵀU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lowbit::gptq {

struct InverseFactor {
  int64_t d = 0;
  // U, row-major d×d (upper triangle; the rest is 0), in float for the updates.
  std::vector<float> u;
  // Inputs that never carried a value (H[i][i] = 0): their weight columns are set to 0.
  std::vector<uint8_t> dead;
  // diag(H) before damping, per column (the importance a format's scale search may use).
  std::vector<float> importance;
  // The damping added, absolute (relative × mean diagonal), and how many times it was raised
  // because H + λI was not numerically positive definite.
  double lambda = 0;
  int raised = 0;
};

// `h`: the d×d Gram matrix, row-major (read only). `dampRelative`: λ as a share of the mean
// diagonal (GPTQ's 0.01). Returns false with `error` set when no damping up to the mean
// diagonal itself makes the matrix factorizable (non-finite statistics).
bool inverseFactor(const double* h, int64_t d, double dampRelative, int threads,
                   InverseFactor& out, std::string& error);

// The same, also returning U in double (row-major d×d): what the exactness check compares.
bool inverseFactorExact(const double* h, int64_t d, double dampRelative, int threads,
                        InverseFactor& out, std::vector<double>& u, std::string& error);

}  // namespace lowbit::gptq
