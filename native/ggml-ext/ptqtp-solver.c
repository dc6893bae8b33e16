// The PTQTP per-group solver: progressive dual trit-plane approximation (brief §1.3).
#include "ptqtp.h"

#include <math.h>
#include <string.h>

ptqtp_params ptqtp_default_params(void) {
  ptqtp_params p = {50, 1e-4f, 1e-8f, 1.0f, 1e6f};
  return p;
}

float ptqtp_round_scale(float a) {
  return ggml_fp16_to_fp32(ggml_fp32_to_fp16(a));
}

// The nine (t1, t2) tuples, sparsest first so that equal levels keep the sparser tuple.
static const int8_t k_tuples[9][2] = {{0, 0},  {1, 0},   {0, 1},  {-1, 0}, {0, -1},
                                      {1, 1},  {1, -1},  {-1, 1}, {-1, -1}};

void ptqtp_grid_init(ptqtp_grid* g, float a1, float a2) {
  float v[5];
  int8_t t1[5], t2[5];
  int n = 0;
  for (int k = 0; k < 9; ++k) {
    const float level = a1 * k_tuples[k][0] + a2 * k_tuples[k][1];
    if (k > 0 && !(level > 0.0f)) {
      continue;  // the mirrored tuple covers it (zero is (0, 0))
    }
    // Insertion sort by value; an equal value already there is sparser (earlier k): skip.
    int at = n;
    bool duplicate = false;
    for (int i = 0; i < n; ++i) {
      if (v[i] == level) {
        duplicate = true;
        break;
      }
      if (v[i] > level) {
        at = i;
        break;
      }
    }
    if (duplicate || n == 5) {
      continue;
    }
    for (int i = n; i > at; --i) {
      v[i] = v[i - 1];
      t1[i] = t1[i - 1];
      t2[i] = t2[i - 1];
    }
    v[at] = level;
    t1[at] = k_tuples[k][0];
    t2[at] = k_tuples[k][1];
    ++n;
  }
  g->a1 = a1;
  g->a2 = a2;
  for (int i = 0; i < 5; ++i) {
    g->t1[i] = i < n ? t1[i] : 0;
    g->t2[i] = i < n ? t2[i] : 0;
  }
  for (int i = 0; i < 4; ++i) {
    g->mid[i] = i + 1 < n ? 0.5f * (v[i] + v[i + 1]) : INFINITY;
  }
}

// Closed-form weighted ridge least squares for the two scales, growing the ridge until the 2x2
// system is well conditioned (the sign initialisation makes it singular).
static void solve_scales(const float* w, const float* q, int n, const int8_t* t1,
                         const int8_t* t2, const ptqtp_params* p, float alpha[2]) {
  double a = 0, b = 0, c = 0, r1 = 0, r2 = 0;
  for (int j = 0; j < n; ++j) {
    if (t1[j] == 0 && t2[j] == 0) {
      continue;
    }
    const double qj = q == NULL ? 1.0 : (double)q[j];
    const double x1 = t1[j], x2 = t2[j];
    a += qj * x1 * x1;
    b += qj * x1 * x2;
    c += qj * x2 * x2;
    r1 += qj * (double)w[j] * x1;
    r2 += qj * (double)w[j] * x2;
  }
  const double scale = 0.5 * (a + c);
  if (!(scale > 0)) {
    alpha[0] = 0.0f;
    alpha[1] = 0.0f;
    return;
  }
  const double ridge_max = (double)p->ridge_max * scale;
  double lambda = (double)p->ridge_start * scale;
  double det = 0;
  for (;;) {
    const double A = a + lambda, C = c + lambda;
    det = A * C - b * b;
    // Frobenius condition number of a 2x2 matrix: |A|_F^2 / |det|.
    const double fro2 = A * A + 2 * b * b + C * C;
    if ((det > 0 && fro2 <= (double)p->cond_max * det) || lambda >= ridge_max) {
      break;
    }
    lambda = fmin(lambda * 10, ridge_max);
  }
  if (!(det > 0)) {
    alpha[0] = 0.0f;
    alpha[1] = 0.0f;
    return;
  }
  alpha[0] = (float)(((c + lambda) * r1 - b * r2) / det);
  alpha[1] = (float)(((a + lambda) * r2 - b * r1) / det);
}

// Nearest-level assignment; returns how many weights changed their tuple.
static int assign(const float* w, int n, const ptqtp_grid* g, int8_t* t1, int8_t* t2) {
  int changed = 0;
  for (int j = 0; j < n; ++j) {
    int8_t u1, u2;
    ptqtp_grid_nearest(g, w[j], &u1, &u2);
    changed += (u1 != t1[j]) | (u2 != t2[j]);
    t1[j] = u1;
    t2[j] = u2;
  }
  return changed;
}

float ptqtp_round_group(const float* w, int n, const float alpha[2], int8_t* t1, int8_t* t2) {
  ptqtp_grid g;
  ptqtp_grid_init(&g, alpha[0], alpha[1]);
  float err = 0.0f;
  for (int j = 0; j < n; ++j) {
    const float v = ptqtp_grid_nearest(&g, w[j], &t1[j], &t2[j]);
    if (isfinite(w[j])) {
      err += (w[j] - v) * (w[j] - v);
    }
  }
  return err;
}

int ptqtp_fit_group(const float* w, const float* importance, int n, const ptqtp_params* params,
                    float alpha[2], int8_t* t1_out, int8_t* t2_out) {
  enum { MAX_GROUP = 1024 };
  int8_t t1_buf[MAX_GROUP], t2_buf[MAX_GROUP];
  int8_t* t1 = t1_out != NULL ? t1_out : t1_buf;
  int8_t* t2 = t2_out != NULL ? t2_out : t2_buf;
  const ptqtp_params p = params != NULL ? *params : ptqtp_default_params();
  if (n > MAX_GROUP && (t1_out == NULL || t2_out == NULL)) {
    alpha[0] = alpha[1] = 0.0f;
    return 0;
  }
  // Sign initialisation; non-finite weights stay out of the fit (their trits are 0).
  for (int j = 0; j < n; ++j) {
    const int8_t s = isfinite(w[j]) ? (int8_t)((w[j] > 0) - (w[j] < 0)) : 0;
    t1[j] = s;
    t2[j] = s;
  }
  float prev[2] = {0.0f, 0.0f};
  int iter = 0;
  ptqtp_grid g;
  while (iter < p.max_iter) {
    ++iter;
    solve_scales(w, importance, n, t1, t2, &p, alpha);
    const float size = fmaxf(fabsf(alpha[0]), fabsf(alpha[1]));
    if (iter > 1 && fabsf(alpha[0] - prev[0]) <= p.tol * size &&
        fabsf(alpha[1] - prev[1]) <= p.tol * size) {
      break;
    }
    prev[0] = alpha[0];
    prev[1] = alpha[1];
    ptqtp_grid_init(&g, alpha[0], alpha[1]);
    if (assign(w, n, &g, t1, t2) == 0) {
      break;  // the same trits give the same scales
    }
  }
  // What the file stores: fp16 scales, and the trits that are nearest under them.
  alpha[0] = ptqtp_round_scale(alpha[0]);
  alpha[1] = ptqtp_round_scale(alpha[1]);
  if (!isfinite(alpha[0]) || !isfinite(alpha[1])) {
    alpha[0] = alpha[1] = 0.0f;
  }
  ptqtp_grid_init(&g, alpha[0], alpha[1]);
  assign(w, n, &g, t1, t2);
  return iter;
}
