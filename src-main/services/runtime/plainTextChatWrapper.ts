import {
  ChatWrapper,
  LlamaText,
  SpecialToken,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
} from "node-llama-cpp";

/**
 * For base models, which were never taught a chat format: the conversation is laid out as plain
 * prose, each reply continuing the user's text directly, and a reply ends at a paragraph break.
 * So "The old house on the hill" gets its sentence finished instead of an imitation of a dialogue.
 */
export class PlainTextChatWrapper extends ChatWrapper {
  readonly wrapperName = "PlainText";

  override generateContextState({
    chatHistory,
  }: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
    const parts: LlamaText[] = [];
    for (const [index, item] of chatHistory.entries()) {
      const isLast = index === chatHistory.length - 1;
      if (item.type === "system") {
        parts.push(LlamaText([LlamaText.fromJSON(item.text), "\n\n"]));
      } else if (item.type === "user") {
        parts.push(LlamaText(item.text));
      } else {
        const response = this.generateModelResponseText(item.response);
        parts.push(isLast ? response : LlamaText([response, "\n\n"]));
      }
    }
    return {
      contextText: LlamaText([new SpecialToken("BOS"), ...parts]),
      stopGenerationTriggers: [LlamaText(new SpecialToken("EOS")), LlamaText("\n\n")],
    };
  }
}
