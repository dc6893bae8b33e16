import type { GenerationProgress } from "@contract";

/**
 * One reply being written: for `chat.send` or `chat.regenerate`. Tokens are appended to `text`
 * once per animation frame (a small model writes a thousand tokens a second; rendering each one
 * would cost more than generating it). `controller` is the Stop button: aborting makes the
 * server keep the partial reply and finish normally with stopReason "stopped".
 */
export class Generation {
  readonly controller = new AbortController();
  /** loading: the model is being loaded; waiting: reading the prompt; streaming: tokens flow. */
  phase = $state<"loading" | "waiting" | "streaming">("waiting");
  loadFraction = $state<number | null>(null);
  text = $state("");
  stopping = $state(false);
  /** Text received but not yet rendered. */
  private buffered = "";
  private frame: number | null = null;

  constructor(
    readonly conversationId: string,
    readonly kind: "send" | "regenerate",
  ) {}

  apply(packet: GenerationProgress): void {
    switch (packet.type) {
      case "loading":
        this.phase = "loading";
        this.loadFraction = packet.fraction;
        break;
      case "started":
        this.phase = "waiting";
        break;
      case "token":
        this.phase = "streaming";
        this.buffered += packet.text;
        this.frame ??= requestAnimationFrame(() => this.flush());
        break;
    }
  }

  /** Renders what has arrived; called each frame and once more when the reply ends. */
  flush(): void {
    if (this.frame !== null) {
      cancelAnimationFrame(this.frame);
      this.frame = null;
    }
    if (this.buffered !== "") {
      this.text += this.buffered;
      this.buffered = "";
    }
  }

  stop(): void {
    if (!this.stopping) {
      this.stopping = true;
      this.controller.abort();
    }
  }
}
