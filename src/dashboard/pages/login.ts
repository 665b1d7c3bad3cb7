/** The login form for token auth: a browser cannot send `Authorization: Bearer` by itself. */
import { html } from "hono/html";
import type { Ctx } from "../env.js";
import type { DashboardState } from "../state.js";
import { page } from "./layout.js";
import { csrfField } from "./parts.js";

export function loginPage(c: Ctx, state: DashboardState, error?: string): Promise<Response> {
  return page(c, state, {
    title: "Log in",
    status: 401,
    bare: true,
    body: html`<form method="post" action="${state.href("/login")}" class="card login" id="login-form">
${csrfField(c)}
${error === undefined ? "" : html`<p class="error" role="alert" data-testid="login-error">${error}</p>`}
<label for="token">Dashboard token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required data-testid="login-token">
<button type="submit" data-testid="login-submit">Log in</button>
<p class="hint">The token the dashboard was started with (<code>--token</code>). Scripts send it as
<code>Authorization: Bearer &lt;token&gt;</code> instead.</p>
</form>`,
  });
}
