/**
 * Threads for token evaluation when the user leaves it on "auto".
 * Measured on a 2-core machine (docs/benchmarks.md): the prebuilt binaries spin-wait, so two
 * threads on two cores fight the OS and generate ~20× slower than one; leave a core free there.
 */
export function chooseThreads(
  requested: number,
  cores: number,
  buildType: "localBuild" | "prebuilt",
): number {
  if (requested > 0) {
    return requested;
  }
  if (buildType === "prebuilt") {
    return Math.max(1, Math.min(cores - 1, 8));
  }
  return Math.max(1, Math.min(cores, 8));
}
