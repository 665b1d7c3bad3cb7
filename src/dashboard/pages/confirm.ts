/**
 * The confirmation page of a bulk action: it names how many jobs the action will touch and posts
 * the same request again, confirmed. Nothing has changed when it shows.
 */
import { html } from "hono/html";
import type { Ctx } from "../env.js";
import type { DashboardState } from "../state.js";
import { count } from "./format.js";
import { page } from "./layout.js";
import { csrfField } from "./parts.js";

export interface ConfirmSpec {
  title: string;
  /** The sentence naming the count, e.g. "This will retry 42 failed jobs of queue emails." */
  question: string;
  count: number;
  /** Some of the jobs it touches, to show (at most SHOWN). */
  items?: string[];
  /** The dashboard path the confirmed form posts to. */
  action: string;
  fields: Array<[string, string]>;
  /** Where "Cancel" goes. */
  back: string;
  danger?: boolean;
}

const SHOWN = 50;

export function confirmPage(c: Ctx, state: DashboardState, spec: ConfirmSpec): Promise<Response> {
  const items = spec.items ?? [];
  return page(c, state, {
    title: spec.title,
    body: html`<div class="card confirm" data-testid="confirm">
<p class="question" data-testid="confirm-question">${spec.question}</p>
<p>Jobs affected: <strong data-testid="confirm-count" data-count="${spec.count}">${count(spec.count)}</strong></p>
${
  items.length > 0
    ? html`<ul class="items" data-testid="confirm-items">${items.slice(0, SHOWN).map((i) => html`<li><code>${i}</code></li>`)}</ul>${
        items.length > SHOWN ? html`<p class="hint">… and ${count(items.length - SHOWN)} more.</p>` : ""
      }`
    : ""
}
<form method="post" action="${state.href(spec.action)}" class="inline">${csrfField(c)}
${spec.fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" class="${spec.danger ? "danger" : ""}" data-testid="confirm-submit"${spec.count === 0 ? html` disabled` : ""}>Yes, ${spec.title.toLowerCase()}</button>
</form>
<a href="${state.href(spec.back)}" class="button" data-testid="confirm-cancel">Cancel</a>
</div>`,
  });
}
