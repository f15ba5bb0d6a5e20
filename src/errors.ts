/** An error the user can act on: printed as one line, exit code 1 (or 2 for usage). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}
