/**
 * llama.cpp's KV rotation: with a quantized cache it stores each run of `n` values of a K (or V)
 * row multiplied by the orthonormal Walsh–Hadamard matrix of size n (`ggml_gen_hadamard`,
 * Sylvester order, entries ±1/√n). The matrix is its own inverse, so the same transform undoes it.
 * This is the fast O(n log n) form, applied in place to every run of `n` in `row[0..length)`.
 */
export function hadamardInPlace(row: Float32Array, length: number, n: number): void {
  const scale = 1 / Math.sqrt(n);
  for (let base = 0; base < length; base += n) {
    for (let h = 1; h < n; h *= 2) {
      for (let i = base; i < base + n; i += 2 * h) {
        for (let j = i; j < i + h; j++) {
          const a = row[j]!;
          const b = row[j + h]!;
          row[j] = a + b;
          row[j + h] = a - b;
        }
      }
    }
    for (let j = base; j < base + n; j++) {
      row[j] = row[j]! * scale;
    }
  }
}

/**
 * The rotation size llama.cpp uses for a cache of this type and head size, or 0 for none
 * (`llama_kv_cache` constructor, build_input_k_rot / build_input_v_rot): only quantized caches,
 * only when every layer has the same head size and it is a multiple of 64, and not when
 * LLAMA_ATTN_ROT_DISABLE is set. K uses the largest power of two (≥ 64) dividing the head size;
 * V always 64.
 */
export function kvRotation(
  which: "k" | "v",
  quantized: boolean,
  headDim: number,
  env: Record<string, string | undefined> = process.env,
): number {
  const disabled = Number.parseInt(env.LLAMA_ATTN_ROT_DISABLE ?? "0", 10) || 0;
  if (disabled !== 0 || !quantized || headDim <= 0 || headDim % 64 !== 0) {
    return 0;
  }
  if (which === "v") {
    return 64;
  }
  let n = 64;
  while (headDim % (n * 2) === 0) {
    n *= 2;
  }
  return n;
}
