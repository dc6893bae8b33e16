import os from "node:os";

/** One line that says where a run ran: CPU, cores, memory, OS. Recorded with every run. */
export function machineSummary(): string {
  const cpu = os.cpus()[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU";
  const memory = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${cpu}, ${os.availableParallelism()} cores, ${memory} GiB RAM, ${process.platform}-${process.arch}`;
}
