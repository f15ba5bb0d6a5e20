// What a deploy can do with a stack in each CloudFormation state. The layer plan compares with the
// deployed template only when that template is what is running; a stack that CloudFormation will
// refuse to update is reported here, before `sam deploy` (which would print "No changes to deploy"
// for a ROLLBACK_COMPLETE stack and exit 0, leaving it broken).
import { UserError } from "../errors.js";
import type { Template } from "./template.js";

/** What orb/scripts/layer-plan.sh's fetcher writes (boto3 answers, trimmed), for a stack and its nested stacks. */
export interface StackInfo {
  stackName: string;
  /** describe_stacks' Stacks[0]; null when the stack does not exist */
  stack: { StackStatus: string; StackStatusReason?: string; StackId?: string } | null;
  /** get_template(TemplateStage=Original)'s TemplateBody; null when not read (no stack, REVIEW_IN_PROGRESS) */
  deployed: Template | string | null;
  /** why a template could not be read, when it could not */
  error?: string;
  /** nested stacks of the packaged template, by logical id */
  nested?: Record<string, NestedInfo>;
}

export interface NestedInfo {
  /** where the packaged nested template was uploaded (Location / TemplateURL) */
  location?: string;
  /** the packaged nested template, downloaded from there; null when it could not be */
  packaged: Template | null;
  /** the nested stack found through the parent's resources; absent when the parent has none */
  stack?: StackInfo;
  /** why the nested template or stack could not be read */
  error?: string;
}

export type StackAction = "first-deploy" | "deploy" | "wait" | "delete";

export interface StackState {
  action: StackAction;
  /** one line for the log */
  message: string;
}

const UPDATE_ROLLBACK_HINT =
  "continue the rollback in the CloudFormation console (Stacks > the stack > Stack actions > Continue update rollback) " +
  "or with `aws cloudformation continue-update-rollback --stack-name";

/**
 * The action a deploy takes for a stack's status, or a UserError for a state that needs a person.
 * `deleteRollbackComplete`: delete a ROLLBACK_COMPLETE stack (a failed first create) instead of failing.
 */
export function stackState(info: Pick<StackInfo, "stackName" | "stack">, deleteRollbackComplete = false): StackState {
  const name = info.stackName;
  const status = info.stack?.StackStatus;
  if (status === undefined || status === "DELETE_COMPLETE") return { action: "first-deploy", message: `stack ${name} does not exist yet: first deploy` };
  if (status === "REVIEW_IN_PROGRESS") {
    return {
      action: "first-deploy",
      message: `stack ${name} is REVIEW_IN_PROGRESS (created by a change set that was never executed; nothing is deployed): first deploy`,
    };
  }
  if (status === "ROLLBACK_COMPLETE") {
    if (deleteRollbackComplete) {
      return { action: "delete", message: `stack ${name} is ROLLBACK_COMPLETE (its first deploy failed): deleting it, then a first deploy` };
    }
    throw new UserError(
      `stack ${name} is ROLLBACK_COMPLETE (its first deploy failed and was rolled back): CloudFormation cannot update it, it must be deleted before it can be deployed ` +
        `(aws cloudformation delete-stack --stack-name ${name}, or the deploy-sam parameter delete-rollback-complete: true)`,
    );
  }
  if (status === "UPDATE_ROLLBACK_FAILED" || status === "IMPORT_ROLLBACK_FAILED") {
    throw new UserError(`stack ${name} is ${status}: it cannot be updated until its rollback completes; ${UPDATE_ROLLBACK_HINT} ${name}\``);
  }
  if (status === "ROLLBACK_FAILED" || status === "DELETE_FAILED") {
    throw new UserError(
      `stack ${name} is ${status}${reason(info)}: it cannot be updated; fix what blocked CloudFormation, then delete the stack (CloudFormation console, or aws cloudformation delete-stack --stack-name ${name}) and deploy again`,
    );
  }
  if (status === "CREATE_FAILED") {
    throw new UserError(
      `stack ${name} is CREATE_FAILED${reason(info)}: its first deploy failed; delete it before deploying again (aws cloudformation delete-stack --stack-name ${name})`,
    );
  }
  if (status.endsWith("_IN_PROGRESS")) {
    return { action: "wait", message: `stack ${name} is ${status}: another operation is running; waiting for it to finish` };
  }
  // CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, IMPORT_COMPLETE, IMPORT_ROLLBACK_COMPLETE,
  // UPDATE_FAILED (an update with rollback disabled): the Original template is what runs.
  return { action: "deploy", message: `stack ${name} is ${status}` };
}

function reason(info: Pick<StackInfo, "stack">): string {
  const r = info.stack?.StackStatusReason;
  return r ? ` (${r})` : "";
}

/** A still-running operation when the plan is asked for: the scripts wait first, so this is an error here. */
export function requireSettled(info: StackInfo, deleteRollbackComplete = false): StackState {
  const state = stackState(info, deleteRollbackComplete);
  if (state.action === "wait") throw new UserError(`${state.message.split(":")[0]}: an operation is still running; plan again once it has finished`);
  if (state.action === "delete") throw new UserError(`${state.message.split(":")[0]}: delete it before planning`);
  return state;
}
