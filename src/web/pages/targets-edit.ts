/**
 * `/targets/create/`, `/targets/<name>/edit/` and `/targets/<name>/delete/` (a confirmation page, then
 * the POST). The forms are checked with the API's schemas and the domain's rules (sexagesimal or
 * decimal coordinates, the 3″ duplicate rule); edit and delete are the creator's and staff's — the pages
 * say 403 to others, and so do the POSTs.
 */
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { ValidationError, type FieldErrors } from "../../domain/errors.ts";
import { requireOwnerOrStaff } from "../../domain/permissions.ts";
import { CreateTargetBody, UpdateTargetBody } from "../../domain/targets/schemas.ts";
import * as targets from "../../domain/targets/service.ts";
import { CLASSIFICATIONS } from "../../vocabulary.ts";
import { flash, redirect, requireLogin, requireUser, type WebOptions } from "../context.ts";
import { checkForm, formErrors, formValues } from "../forms.ts";
import { render } from "../render.ts";
import { targetUrl } from "./targets.ts";

/** The fields the target form shows (in this order). */
export const TARGET_FORM_FIELDS = [
  "name",
  "ra",
  "dec",
  "epoch",
  "classification",
  "importance",
  "cadence",
  "discovery_date",
  "description",
] as const;

const FORM_DEFAULTS = {
  epoch: String(targets.DEFAULTS.epoch.toFixed(1)),
  classification: targets.DEFAULTS.classification,
  importance: String(targets.DEFAULTS.importance),
  cadence: String(targets.DEFAULTS.cadence),
};

/** Only the form's own fields (anything else posted is ignored, not an error). */
function formFields(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of TARGET_FORM_FIELDS) if (values[k] !== undefined) out[k] = values[k];
  return out;
}

/** The stored target as form values (degrees as stored, so an unchanged form does not move it). */
function valuesOf(t: targets.TargetRow): Record<string, string> {
  return {
    name: t.name,
    ra: t.ra === null ? "" : String(t.ra),
    dec: t.dec === null ? "" : String(t.dec),
    epoch: t.epoch === null ? "" : String(t.epoch),
    classification: t.classification ?? "Unknown",
    importance: String(t.importance),
    cadence: String(t.cadence),
    discovery_date: t.discoveryDate ? t.discoveryDate.toISOString().slice(0, 10) : "",
    description: t.description ?? "",
  };
}

export const targetEditPages: FastifyPluginAsync<WebOptions> = async (
  app,
  { database, dataDir, harvesters },
) => {
  const db = database.db;

  const form = (
    reply: FastifyReply,
    data: {
      mode: "create" | "edit";
      values: Record<string, string>;
      errors?: FieldErrors;
      target?: targets.TargetRow;
    },
    status = 200,
  ) =>
    render(
      reply,
      "targets/form",
      {
        title: data.mode === "create" ? "New target" : `Edit ${data.target?.name}`,
        classifications: CLASSIFICATIONS,
        fields: TARGET_FORM_FIELDS,
        targetUrl,
        styles: ["targets.css"],
        errors: {},
        ...data,
      },
      status,
    );

  app.get("/targets/create/", async (request, reply) => {
    requireLogin(request);
    return form(reply, { mode: "create", values: { ...FORM_DEFAULTS } });
  });

  app.post("/targets/create/", async (request, reply) => {
    const user = requireUser(request);
    const actor = requireLogin(request);
    const values = formFields(formValues(request));
    try {
      const input = checkForm(request, CreateTargetBody, values);
      const created = await targets.createTarget(
        db,
        { ...actor, firstName: user.firstName, lastName: user.lastName },
        input,
        new Date(),
        harvesters,
      );
      flash(request, reply, "success", `Target ${created.name} created.`);
      return redirect(reply, targetUrl(created.name));
    } catch (err) {
      return form(reply, { mode: "create", values, errors: formErrors(err) }, 400);
    }
  });

  /** The target, if the signed-in user may change it (else the 403 / 404 page). */
  async function changeable(request: Parameters<typeof requireLogin>[0], name: string) {
    const actor = requireLogin(request);
    const target = await targets.getTarget(db, name);
    requireOwnerOrStaff(actor, target.createdBy, "this target");
    return { actor, target };
  }

  app.get<{ Params: { name: string } }>("/targets/:name/edit/", async (request, reply) => {
    const { target } = await changeable(request, request.params.name);
    return form(reply, { mode: "edit", values: valuesOf(target), target });
  });

  app.post<{ Params: { name: string } }>("/targets/:name/edit/", async (request, reply) => {
    const { actor, target } = await changeable(request, request.params.name);
    const values = formFields(formValues(request));
    try {
      // checkForm reads "" as "not given": a required field emptied is an error, an optional one
      // emptied clears the stored value.
      const blank: FieldErrors = {};
      for (const k of ["name", "ra", "dec"] as const)
        if (values[k] !== undefined && values[k].trim() === "") blank[k] = ["This field may not be blank."];
      if (Object.keys(blank).length) throw new ValidationError(blank);
      const input = checkForm(request, UpdateTargetBody, values);
      if (values.description !== undefined && values.description.trim() === "") input.description = null;
      if (values.discovery_date !== undefined && values.discovery_date.trim() === "")
        input.discovery_date = null;
      const updated = await targets.updateTarget(db, actor, target.name, input);
      flash(request, reply, "success", `Target ${updated.name} saved.`);
      return redirect(reply, targetUrl(updated.name));
    } catch (err) {
      return form(reply, { mode: "edit", values, errors: formErrors(err), target }, 400);
    }
  });

  app.get<{ Params: { name: string } }>("/targets/:name/delete/", async (request, reply) => {
    const { target } = await changeable(request, request.params.name);
    return render(reply, "targets/delete", {
      title: `Delete ${target.name}`,
      target,
      targetUrl,
      styles: ["targets.css"],
    });
  });

  app.post<{ Params: { name: string } }>("/targets/:name/delete/", async (request, reply) => {
    const actor = requireLogin(request);
    await targets.deleteTarget(db, dataDir, actor, request.params.name, (err) =>
      request.log.warn({ err }, "could not remove some files of a deleted target"),
    );
    flash(request, reply, "success", `Target ${request.params.name} deleted with all its data.`);
    return redirect(reply, "/targets/");
  });
};
