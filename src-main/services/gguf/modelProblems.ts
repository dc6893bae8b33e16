export type ModelProblemCode =
  | "missing_key"
  | "wrong_key_type"
  | "bad_value"
  | "unknown_architecture"
  | "not_a_language_model"
  | "unknown_tokenizer"
  | "missing_tensor"
  | "wrong_tensor_shape"
  | "unexpected_tensor"
  | "nested_array"
  | "needs_extended_runtime";

export interface ModelProblem {
  readonly code: ModelProblemCode;
  /** "error": llama.cpp would crash or refuse the file. "warning": it loads but misbehaves. */
  readonly severity: "error" | "warning";
  /** One sentence a user can act on. */
  readonly message: string;
  /** The metadata key or tensor name concerned, when there is one. */
  readonly subject?: string;
}

export interface ModelValidation {
  /** True when nothing would stop llama.cpp from loading the model (warnings allowed). */
  readonly ok: boolean;
  readonly problems: readonly ModelProblem[];
}

/** Collects problems; checks call `error` or `warn` and carry on, so one pass finds them all. */
export class ProblemList {
  readonly problems: ModelProblem[] = [];

  error(code: ModelProblemCode, message: string, subject?: string): void {
    this.problems.push(withSubject({ code, severity: "error", message }, subject));
  }

  warn(code: ModelProblemCode, message: string, subject?: string): void {
    this.problems.push(withSubject({ code, severity: "warning", message }, subject));
  }

  result(): ModelValidation {
    return {
      ok: this.problems.every((p) => p.severity !== "error"),
      problems: this.problems,
    };
  }
}

function withSubject(problem: ModelProblem, subject: string | undefined): ModelProblem {
  return subject === undefined ? problem : { ...problem, subject };
}
