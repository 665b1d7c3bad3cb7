/** Form fragments: the CSRF field and one-button action forms (absent in read-only mode). */
import { html } from "hono/html";
import { CSRF_FIELD } from "../csrf.js";
import type { Ctx } from "../env.js";
import type { DashboardState } from "../state.js";
import type { Html } from "./format.js";

export function csrfField(c: Ctx): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${c.var.csrf}">`;
}

export interface ActionSpec {
  /** The dashboard path to POST to. */
  path: string;
  label: string;
  testid: string;
  /** Asks the browser to confirm first (app.js) with this question. */
  confirm?: string;
  /** Extra hidden fields. */
  fields?: Record<string, string>;
  danger?: boolean;
}

/** A POST form with one button; nothing in read-only mode. */
export function actionButton(c: Ctx, state: DashboardState, spec: ActionSpec): Html | string {
  if (state.config.readOnly) return "";
  const fields = Object.entries(spec.fields ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  return html`<form method="post" action="${state.href(spec.path)}" class="inline"${
    spec.confirm === undefined ? "" : html` data-confirm="${spec.confirm}"`
  }>${csrfField(c)}${fields}<button type="submit" class="${spec.danger ? "danger" : ""}" data-testid="${spec.testid}">${spec.label}</button></form>`;
}
