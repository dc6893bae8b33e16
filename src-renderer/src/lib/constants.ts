/** localStorage keys for small per-window UI preferences. */
export const STORAGE_KEYS = {
  lastConversationId: "lowbit.chat.lastConversationId",
  /** The resolved theme of the last run, applied before connecting to avoid a flash. */
  theme: "lowbit.ui.theme",
  kvPanelOpen: "lowbit.chat.kvPanelOpen",
} as const;

/** Prompt starts for a base model: it continues text, so these are openings, not questions. */
export const BASE_MODEL_SUGGESTIONS = [
  "Once upon a time, in a small town by the river,",
  "The committee met on Tuesday to discuss",
  "It was late in the afternoon when the",
  "The most important thing about a good garden is",
];

/** Conversation starters for instruction-tuned models. */
export const INSTRUCT_SUGGESTIONS = [
  "Explain quantization of neural networks in one paragraph.",
  "Write a haiku about a small, fast computer.",
  "Give me three ideas for a weekend project.",
  "Summarize the plot of a famous novel in two sentences.",
];

export const TOAST_TIMEOUT_MS = 8000;
