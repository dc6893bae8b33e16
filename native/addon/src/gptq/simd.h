// Hot loops of the compensation code: built at -O3 (GCC's -O2 does not vectorize loops whose
// length is only known at run time) and, on x86-64 Linux, also for x86-64-v3 (AVX2 + FMA),
// picked at run time, so the addon stays portable.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LOWBIT_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LOWBIT_SIMD_CLONES
#endif
