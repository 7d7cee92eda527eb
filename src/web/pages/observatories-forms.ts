/**
 * Observatory forms: `/observatory/create/` (the observatory and its first camera),
 * `/observatory/<id>/edit/` (owner or staff; may rename), `/observatory/<id>/cameras/add/` and
 * `/observatory/<id>/cameras/<camera id>/edit/`. Checked with the API's TypeBox schemas; the domain
 * refuses anyone but the owner or staff, and these pages do not show the forms to others either.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { ForbiddenError, NotFoundError, type FieldErrors } from "../../domain/errors.ts";
import { observatoryDetail, type ObservatoryDetail } from "../../domain/observatories/catalogue.ts";
import {
  CreateCameraBody,
  CreateObservatoryBody,
  PatchCameraBody,
  PatchObservatoryBody,
} from "../../domain/observatories/schemas.ts";
import * as observatories from "../../domain/observatories/service.ts";
import type { Actor } from "../../domain/permissions.ts";
import { flash, redirect, requireLogin, type WebOptions } from "../context.ts";
import { checkForm, formErrors, formValues } from "../forms.ts";
import { render } from "../render.ts";
import {
  CAMERA_FIELDS,
  NEW_CAMERA_VALUES,
  canEdit,
  observatoryId,
  LOCATION_FIELDS,
  OBSERVATORY_FIELDS,
  cameraValues,
  observatoryValues,
  withClearedFields,
} from "./observatories-fields.ts";

const ALL_FIELDS = {
  observatory: [...LOCATION_FIELDS, ...OBSERVATORY_FIELDS],
  camera: CAMERA_FIELDS,
};

/** Keep only the fields a form shows (the schemas refuse unknown ones). */
function pick(values: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => names.includes(k)));
}

export const observatoryFormPages: FastifyPluginAsync<WebOptions> = async (app, { database, dataDir }) => {
  const db = database.db;

  /** The observatory of the URL, for its owner or staff only (403 page for anyone else). */
  async function editable(request: FastifyRequest): Promise<{ actor: Actor; detail: ObservatoryDetail }> {
    const actor = requireLogin(request);
    const id = observatoryId((request.params as { id: string }).id);
    const detail = await observatoryDetail(db, actor, id);
    if (!canEdit(actor, detail.owner?.id))
      throw new ForbiddenError("Only the owner of this observatory or staff may change it.");
    return { actor, detail };
  }

  function cameraOf(request: FastifyRequest, detail: ObservatoryDetail) {
    const raw = (request.params as { camera: string }).camera;
    const camera = detail.observatory.cameras.find((c) => String(c.id) === raw);
    if (!camera) throw new NotFoundError("Camera not found.");
    return camera;
  }

  const page = (
    reply: FastifyReply,
    data: {
      title: string;
      action: string;
      submit: string;
      back: string;
      sections: { legend: string; fields: unknown[] }[];
      values: Record<string, string>;
      errors?: FieldErrors;
      intro?: string;
    },
    status = 200,
  ) => render(reply, "observatory/form", { errors: {}, styles: ["observatory.css"], ...data }, status);

  // ------------------------------------------------------------------------------------ new observatory

  const createSections = [
    { legend: "Location", fields: LOCATION_FIELDS },
    { legend: "First camera", fields: CAMERA_FIELDS },
    { legend: "Telescope and credits", fields: OBSERVATORY_FIELDS },
  ];
  const createPage = {
    title: "New observatory",
    action: "/observatory/create/",
    submit: "Create observatory",
    back: "/observatory/",
    sections: createSections,
    intro:
      "The observatory is yours to edit. Its first camera is inactive until staff activate it; uploads accept active cameras only.",
  };

  app.get("/observatory/create/", async (request, reply) => {
    requireLogin(request);
    return page(reply, { ...createPage, values: { ...NEW_CAMERA_VALUES } });
  });

  app.post("/observatory/create/", async (request, reply) => {
    const actor = requireLogin(request);
    const values = formValues(request);
    try {
      const input = checkForm(
        request,
        CreateObservatoryBody,
        pick(
          values,
          [...ALL_FIELDS.observatory, ...ALL_FIELDS.camera].map((f) => f.name),
        ),
      );
      const created = await observatories.createObservatory(db, actor, input, { dataDir });
      flash(
        request,
        reply,
        "success",
        `Observatory ${created.name} created. Its camera ${created.cameras[0].prefix} awaits activation by staff.`,
      );
      return redirect(reply, `/observatory/${created.id}/`);
    } catch (err) {
      return page(reply, { ...createPage, values, errors: formErrors(err) }, 400);
    }
  });

  // ----------------------------------------------------------------------------------- edit observatory

  const editPage = (detail: ObservatoryDetail) => ({
    title: `Edit ${detail.observatory.name}`,
    action: `/observatory/${detail.observatory.id}/edit/`,
    submit: "Save changes",
    back: `/observatory/${detail.observatory.id}/`,
    sections: [
      { legend: "Location", fields: LOCATION_FIELDS },
      { legend: "Telescope and credits", fields: OBSERVATORY_FIELDS },
    ],
    intro: "Renaming the observatory renames every camera's ONAME with it.",
  });

  app.get("/observatory/:id/edit/", async (request, reply) => {
    const { detail } = await editable(request);
    return page(reply, { ...editPage(detail), values: observatoryValues(detail.observatory) });
  });

  app.post("/observatory/:id/edit/", async (request, reply) => {
    const { actor, detail } = await editable(request);
    const values = formValues(request);
    try {
      const shown = pick(
        values,
        ALL_FIELDS.observatory.map((f) => f.name),
      );
      const input = withClearedFields(checkForm(request, PatchObservatoryBody, shown), shown, "observatory");
      const updated = await observatories.updateObservatory(db, actor, detail.observatory.name, input);
      flash(request, reply, "success", `Observatory ${updated.name} saved.`);
      return redirect(reply, `/observatory/${updated.id}/`);
    } catch (err) {
      return page(reply, { ...editPage(detail), values, errors: formErrors(err) }, 400);
    }
  });

  // --------------------------------------------------------------------------------------------- cameras

  const addCameraPage = (detail: ObservatoryDetail) => ({
    title: `New camera at ${detail.observatory.name}`,
    action: `/observatory/${detail.observatory.id}/cameras/add/`,
    submit: "Add camera",
    back: `/observatory/${detail.observatory.id}/`,
    sections: [{ legend: "Camera", fields: CAMERA_FIELDS }],
    intro: `Its ONAME will be ${detail.observatory.name}_<camera name>. It is inactive until staff activate it.`,
  });

  app.get("/observatory/:id/cameras/add/", async (request, reply) => {
    const { detail } = await editable(request);
    return page(reply, { ...addCameraPage(detail), values: { ...NEW_CAMERA_VALUES } });
  });

  app.post("/observatory/:id/cameras/add/", async (request, reply) => {
    const { actor, detail } = await editable(request);
    const values = formValues(request);
    try {
      const shown = pick(
        values,
        CAMERA_FIELDS.map((f) => f.name),
      );
      const input = checkForm(request, CreateCameraBody, shown);
      const camera = await observatories.addCamera(db, actor, detail.observatory.name, input, { dataDir });
      flash(request, reply, "success", `Camera ${camera.prefix} added; it awaits activation by staff.`);
      return redirect(reply, `/observatory/${detail.observatory.id}/`);
    } catch (err) {
      return page(reply, { ...addCameraPage(detail), values, errors: formErrors(err) }, 400);
    }
  });

  const editCameraPage = (detail: ObservatoryDetail, camera: { id: number; prefix: string }) => ({
    title: `Edit camera ${camera.prefix}`,
    action: `/observatory/${detail.observatory.id}/cameras/${camera.id}/edit/`,
    submit: "Save camera",
    back: `/observatory/${detail.observatory.id}/`,
    sections: [{ legend: "Camera", fields: CAMERA_FIELDS }],
    intro: "Renaming the camera changes its ONAME. Staff activate and deactivate cameras.",
  });

  app.get("/observatory/:id/cameras/:camera/edit/", async (request, reply) => {
    const { detail } = await editable(request);
    const camera = cameraOf(request, detail);
    return page(reply, { ...editCameraPage(detail, camera), values: cameraValues(camera) });
  });

  app.post("/observatory/:id/cameras/:camera/edit/", async (request, reply) => {
    const { actor, detail } = await editable(request);
    const camera = cameraOf(request, detail);
    const values = formValues(request);
    try {
      const shown = pick(
        values,
        CAMERA_FIELDS.map((f) => f.name),
      );
      const input = withClearedFields(checkForm(request, PatchCameraBody, shown), shown, "camera");
      const updated = await observatories.updateCamera(db, actor, camera.prefix, input, { dataDir });
      flash(request, reply, "success", `Camera ${updated.prefix} saved.`);
      return redirect(reply, `/observatory/${detail.observatory.id}/`);
    } catch (err) {
      return page(reply, { ...editCameraPage(detail, camera), values, errors: formErrors(err) }, 400);
    }
  });
};
