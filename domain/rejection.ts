/**
 * What a component that rejects its inputs attaches to the error it throws, so that `mailhost
 * check` can report every problem (and, for a setting read from stack config, the stack file's
 * line) without parsing the message. Plain data: it crosses from the program's process or thread.
 */

/** One problem of a rejected component. */
export interface RejectedInput {
  /** The problem in words: the setting, the value given and what is allowed. */
  readonly message: string;
  /** The stack-config key path it is about, when the value was read from stack config by the module's loader. */
  readonly stackConfigKey?: string;
}

export interface Rejection {
  /** The component's type token. */
  readonly component: string;
  /** The component's name. */
  readonly name: string;
  readonly problems: readonly RejectedInput[];
}

/** The property of a component's error that carries its {@link Rejection}. */
export const REJECTION_PROPERTY = "mailhostRejection";

/** `error`, with its {@link Rejection} attached (not enumerable: the error prints as before). */
export function withRejection<E extends Error>(error: E, rejection: Rejection): E {
  Object.defineProperty(error, REJECTION_PROPERTY, { value: rejection, enumerable: false });
  return error;
}

/** The {@link Rejection} a thrown value carries, if any. */
export function rejectionOf(error: unknown): Rejection | undefined {
  const value = error !== null && typeof error === "object" ? (error as Record<string, unknown>)[REJECTION_PROPERTY] : undefined;
  return value !== null && typeof value === "object" && Array.isArray((value as Rejection).problems) ? (value as Rejection) : undefined;
}
