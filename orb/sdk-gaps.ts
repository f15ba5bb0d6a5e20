// What @circleci/circleci-config-sdk 0.12.5 lacks for writing an orb, kept in this one file:
// parameter references in its typed fields, `steps: <<parameters.x>>` and `when` steps, and the
// `<<include(...)>>` run command that the generator inlines the way `circleci orb pack` does.
import CircleCI from "@circleci/circleci-config-sdk";

export type Step = CircleCI.types.command.Command;
type GenerableType = CircleCI.mapping.GenerableType;

/** `<<parameters.name>>`, the orb's parameter reference. */
export function param(name: string): string {
  return `<<parameters.${name}>>`;
}

/** A parameter reference where the SDK's types expect a literal (resource classes, enums). */
export function typedParam<T>(name: string): T {
  return param(name) as unknown as T;
}

/** `{ PARAM_APP_DIR: "<<parameters.app-dir>>", ... }`: how scripts receive parameters. */
export function paramEnv(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [envName(name), param(name)]));
}

export function envName(parameter: string): string {
  return `PARAM_${parameter.toUpperCase().replaceAll("-", "_")}`;
}

/** Pass each named parameter of a job on to a command of the same parameter names. */
export function passThrough(names: Iterable<string>): Record<string, string> {
  return Object.fromEntries([...names].map((name) => [name, param(name)]));
}

/** A named run step whose command is orb/scripts/<script>, inlined by the generator. */
export function scriptStep(name: string, script: string, environment: Record<string, string>): Step {
  return new CircleCI.commands.Run({ name, command: includeScript(script), environment });
}

export function includeScript(script: string): string {
  return `<<include(scripts/${script})>>`;
}

/** `- steps: <<parameters.x>>`: runs the steps a user passed in a `steps` parameter. */
export class StepsParameter implements Step {
  constructor(readonly parameter: string) {}
  get name(): string {
    return "steps";
  }
  get generableType(): GenerableType {
    return CircleCI.mapping.GenerableType.STEP_LIST;
  }
  generate(): Record<string, string> {
    return { steps: param(this.parameter) };
  }
}

/** `- when: { condition: <<parameters.x>>, steps: [...] }` on a boolean parameter. */
export class WhenParameter implements Step {
  constructor(
    readonly parameter: string,
    readonly steps: Step[],
  ) {}
  get name(): string {
    return "when";
  }
  get generableType(): GenerableType {
    return CircleCI.mapping.GenerableType.WHEN;
  }
  generate(flatten?: boolean): CircleCI.types.command.CommandShape {
    const body = { condition: param(this.parameter), steps: this.steps.map((step) => step.generate(flatten)) };
    return { when: body } as unknown as CircleCI.types.command.CommandShape;
  }
}

/** Any component's parameter list, for helpers that define the same parameters on several components. */
export interface ParameterList {
  define(name: string, type: "string" | "boolean" | "enum", defaultValue?: unknown, description?: string, enumValues?: string[]): unknown;
}

/**
 * `- when: { condition: { not: { equal: ["", <<parameters.x>>] } }, steps: [...] }`: steps for a
 * string parameter that is set (or, with `set` false, empty). A logic statement rather than the
 * bare string: a `when` on a bare non-boolean parameter relies on CircleCI's truthiness rules.
 */
export class WhenSet implements Step {
  constructor(
    readonly parameter: string,
    readonly steps: Step[],
    readonly set = true,
  ) {}
  get name(): string {
    return "when";
  }
  get generableType(): GenerableType {
    return CircleCI.mapping.GenerableType.WHEN;
  }
  generate(flatten?: boolean): CircleCI.types.command.CommandShape {
    const empty = { equal: ["", param(this.parameter)] };
    const body = { condition: this.set ? { not: empty } : empty, steps: this.steps.map((step) => step.generate(flatten)) };
    return { when: body } as unknown as CircleCI.types.command.CommandShape;
  }
}
