/**
 * `/accounts/login/`, `/accounts/logout/`, `/accounts/register/`: session login with the users domain's
 * password check, logout by POST (GET shows a confirm form), and sign-up that creates an inactive
 * account awaiting staff approval.
 */
import type { FastifyPluginAsync } from "fastify";
import { type FieldErrors } from "../../domain/errors.ts";
import { CreateUserBody } from "../../domain/users/schemas.ts";
import { signUp } from "../../domain/users/approval.ts";
import * as users from "../../domain/users/service.ts";
import { TooManyLoginAttemptsError } from "../../domain/users/throttle.ts";
import { clientAddress } from "../../http-kit/client-address.ts";
import { flash, redirect, safeNext, type WebOptions } from "../context.ts";
import { checkForm, formErrors, formValues } from "../forms.ts";
import { render } from "../render.ts";
import { endSession, startSession } from "../session.ts";

const REGISTER_FIELDS = ["username", "email", "first_name", "last_name", "password"] as const;

export const accountsPages: FastifyPluginAsync<WebOptions> = async (app, { database, loginThrottle }) => {
  const db = database.db;

  app.get<{ Querystring: { next?: string } }>("/accounts/login/", async (request, reply) => {
    const next = safeNext(request.query.next);
    if (request.webUser) return redirect(reply, next);
    return render(reply, "accounts/login", { title: "Log in", values: { next } });
  });

  app.post("/accounts/login/", async (request, reply) => {
    const values = formValues(request);
    const next = safeNext(values.next);
    try {
      const errors: FieldErrors = {};
      if (!values.username?.trim()) errors.username = ["This field is required."];
      if (!values.password) errors.password = ["This field is required."];
      if (Object.keys(errors).length) return await loginFailed(errors);
      const user = await users.checkCredentials(db, values.username.trim(), values.password, {
        explainInactive: true,
        ...(loginThrottle ? { guard: { throttle: loginThrottle, address: clientAddress(request) } } : {}),
      });
      await startSession(db, reply, user.id);
      flash(request, reply, "success", `Welcome, ${user.firstName || user.username}.`);
      return redirect(reply, next);
    } catch (err) {
      if (err instanceof TooManyLoginAttemptsError) return tooMany(err);
      return loginFailed(formErrors(err));
    }

    /** 429 with Retry-After: the login page for a browser, `{"detail": …}` for any other client. */
    function tooMany(err: TooManyLoginAttemptsError) {
      reply.header("Retry-After", String(err.retryAfterSeconds));
      if (!/\btext\/html\b/.test(String(request.headers.accept ?? ""))) {
        return reply.code(429).type("application/json; charset=utf-8").send({ detail: err.message });
      }
      const errors = { non_field_errors: [err.message] };
      return render(
        reply,
        "accounts/login",
        { title: "Log in", values: { username: values.username ?? "", next }, errors },
        429,
      );
    }

    function loginFailed(errors: FieldErrors) {
      return render(
        reply,
        "accounts/login",
        { title: "Log in", values: { username: values.username ?? "", next }, errors },
        400,
      );
    }
  });

  app.get("/accounts/logout/", async (request, reply) => {
    if (!request.webUser) return redirect(reply, "/");
    return render(reply, "accounts/logout", { title: "Log out" });
  });

  app.post("/accounts/logout/", async (request, reply) => {
    await endSession(db, request, reply);
    flash(request, reply, "info", "You have logged out.");
    return redirect(reply, "/");
  });

  app.get("/accounts/register/", async (request, reply) => {
    if (request.webUser) return redirect(reply, "/profile/");
    return render(reply, "accounts/register", { title: "Register" });
  });

  app.post("/accounts/register/", async (request, reply) => {
    const values = formValues(request);
    const input: Record<string, string> = {};
    for (const f of REGISTER_FIELDS) if (values[f] !== undefined) input[f] = values[f].trim();
    if (values.password !== undefined) input.password = values.password; // spaces count in a password
    const errors: FieldErrors = {};
    try {
      checkForm(request, CreateUserBody, input);
    } catch (err) {
      Object.assign(errors, formErrors(err));
    }
    if (errors.username?.includes("Invalid value."))
      errors.username = ["Use only letters, digits and @ . + - _ (no spaces)."];
    if (!input.email && !errors.email) errors.email = ["This field is required."];
    if (!errors.password && values.password !== values.password2)
      errors.password2 = ["The two passwords do not match."];
    if (!Object.keys(errors).length) {
      try {
        // A sign-up can never ask for staff rights or an active account.
        await signUp(db, {
          username: input.username,
          password: input.password,
          email: input.email,
          first_name: input.first_name,
          last_name: input.last_name,
        });
      } catch (err) {
        Object.assign(errors, formErrors(err));
      }
    }
    if (Object.keys(errors).length) {
      const { password: _p, password2: _p2, ...kept } = values;
      return render(reply, "accounts/register", { title: "Register", values: kept, errors }, 400);
    }
    flash(
      request,
      reply,
      "success",
      `Thank you for registering, ${input.username}. A staff member will review your account; ` +
        "you can log in as soon as it is approved.",
    );
    return redirect(reply, "/accounts/login/");
  });
};
