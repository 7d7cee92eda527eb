/**
 * `/profile/`: the signed-in user's details, API tokens (create one — shown once — or revoke all) and
 * password change (the old password is required; other sessions of the user end).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { FieldErrors } from "../../domain/errors.ts";
import { deleteOtherSessions } from "../../domain/users/sessions.ts";
import * as users from "../../domain/users/service.ts";
import { flash, redirect, requireLogin, requireUser, type WebOptions } from "../context.ts";
import { formErrors, formValues } from "../forms.ts";
import { render } from "../render.ts";

export const profilePages: FastifyPluginAsync<WebOptions> = async (app, { database }) => {
  const db = database.db;

  async function profile(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { newToken?: string; errors?: FieldErrors } = {},
    status = 200,
  ) {
    const user = requireUser(request);
    return render(
      reply,
      "profile",
      {
        title: "Profile",
        account: users.toPublicUser(user),
        tokenCount: await users.countTokens(db, user.id),
        newToken: extra.newToken ?? null,
        errors: extra.errors ?? {},
      },
      status,
    );
  }

  app.get("/profile/", async (request, reply) => {
    requireLogin(request);
    return profile(request, reply);
  });

  // Answers with the page itself (not a redirect): the token is shown this once and never stored.
  app.post("/profile/tokens/create/", async (request, reply) => {
    const token = await users.issueToken(db, requireUser(request));
    return profile(request, reply, { newToken: token });
  });

  app.post("/profile/tokens/revoke/", async (request, reply) => {
    const actor = requireLogin(request);
    const n = await users.revokeAllTokens(db, actor.username);
    flash(request, reply, "success", n === 1 ? "1 API token revoked." : `${n} API tokens revoked.`);
    return redirect(reply, "/profile/");
  });

  app.post("/profile/password/", async (request, reply) => {
    const actor = requireLogin(request);
    const values = formValues(request);
    const errors: FieldErrors = {};
    if (!values.old_password) errors.old_password = ["This field is required."];
    if (!values.new_password) errors.new_password = ["This field is required."];
    else if (values.new_password !== values.new_password2)
      errors.new_password2 = ["The two passwords do not match."];
    if (!Object.keys(errors).length) {
      try {
        await users.changePassword(db, actor, values.old_password, values.new_password);
      } catch (err) {
        Object.assign(errors, formErrors(err));
      }
    }
    if (Object.keys(errors).length) return profile(request, reply, { errors }, 400);
    const ended = await deleteOtherSessions(db, actor.id, request.webSessionId);
    flash(
      request,
      reply,
      "success",
      "Password changed." + (ended ? ` Logged out ${ended} other session${ended === 1 ? "" : "s"}.` : ""),
    );
    return redirect(reply, "/profile/");
  });
};
