/** The Hono environment of the dashboard's routes: what middleware leaves for the handlers. */
import type { Context } from "hono";

export type DashboardEnv = {
  Variables: {
    /** This browser's CSRF token (csrf.ts), for the forms of the page being rendered. */
    csrf: string;
  };
};

export type Ctx = Context<DashboardEnv>;
