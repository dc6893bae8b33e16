import { AppError, type AppErrorData } from "../../contract/errors.js";

/**
 * A GGUF file that is not what it claims to be: wrong signature, truncated, corrupt or built for
 * something this app cannot read. `problem` says what is wrong in plain words, `hint` what the
 * user can do about it; `message` joins both so logs and the CLI read as one sentence.
 */
export class GgufFormatError extends AppError {
  readonly problem: string;

  constructor(problem: string, hint?: string) {
    super("bad_model_file", hint === undefined ? problem : `${problem} — ${hint}`, hint);
    this.name = "GgufFormatError";
    this.problem = problem;
  }

  /** Over the wire the two halves travel apart, so a UI can show the hint as an action. */
  override toData(): AppErrorData {
    return this.hint === undefined
      ? { code: this.code, message: this.problem }
      : { code: this.code, message: this.problem, hint: this.hint };
  }
}
