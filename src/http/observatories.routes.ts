/**
 * Observatories, cameras and favourites (API guide section D): BHTOM's `/observatory/…` endpoints, plus
 * skytom's owner/staff endpoints to read and rename observatories, add and change cameras, and activate them.
 */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { Db } from "../db/connection.ts";
import { ValidationError } from "../domain/errors.ts";
import {
  AddFavouriteBody,
  CameraOut,
  CreateCameraBody,
  CreateObservatoryBody,
  DeleteFavouriteBody,
  Envelope,
  FavouriteListBody,
  FavouriteOut,
  ObservatoryListBody,
  ObservatoryOut,
  PatchCameraBody,
  PatchObservatoryBody,
  UpdateObservatoryBody,
} from "../domain/observatories/schemas.ts";
import * as observatories from "../domain/observatories/service.ts";
import { cameraHealth } from "../domain/calibration/health.ts";
import { NumberLike } from "../domain/input.ts";
import { requireActor } from "./auth.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

export const OBSERVATORY_PAGE_SIZE = 200;

const CAMERA_DEFAULTS =
  "Camera fields left out take the defaults: gain 2 e⁻/ADU, readout_noise 2 e⁻, binning 1, saturation_level " +
  "63000 ADU, pixel_scale 0.8 arcsec/px, readout_speed 9999 µs/px, pixel_size 13.5 µm, date_time_keyword " +
  "DATE-OBS, time_keyword TIME-OBS, exposure_time_keyword EXPTIME. In a multipart request `example_file` may be " +
  `a file (at most ${observatories.EXAMPLE_FILE_MAX_BYTES / 1024 / 1024} MB), stored under the data directory ` +
  "in `observatories/<ONAME>/`; a plain string is recorded as the file's name only.";

const Params = {
  name: Type.Object({ name: Type.String({ description: "Observatory name" }) }),
  oname: Type.Object({ oname: Type.String({ description: "ONAME `<observatory>_<camera>`" }) }),
};

/** Files are accepted only where a route reads them. */
function refuseFiles(request: FastifyRequest): void {
  if (request.receivedFiles.length) {
    throw new ValidationError(
      Object.fromEntries(request.receivedFiles.map((f) => [f.fieldname, ["Unknown field."]])),
    );
  }
}

export const observatoriesRoutes: FastifyPluginAsyncTypebox<{ db: Db; dataDir: string }> = async (
  app,
  { db, dataDir },
) => {
  const fileOptions = (request: FastifyRequest) => ({
    dataDir,
    exampleFile: observatories.exampleFileFrom(request.receivedFiles),
  });

  app.post(
    "/observatory/camera-health/",
    {
      schema: {
        tags: ["observatories"],
        summary: "Health of one camera over time: zero point, scatter, limit, FWHM, stars, calibrated/failed",
        description:
          "Every photometry/FITS upload of the camera (ONAME) in the MJD range, in time order: status, current " +
          "calibration run, light-curve filter, exposure, zero point and zero point normalised to 1 s " +
          "(ZP + 2.5·log10(t); CPCS's sign: m_inst − m_cat, larger = less light) with `zeropoint_normalised`: " +
          "false (zeropoint_1s null) when the exposure time is unknown — `photometry` catalogue uploads, whose " +
          "upload API and catalogue header carry none; FITS images have EXPTIME — then scatter, limiting " +
          "magnitude, FWHM, stars matched, and the quality flag (`low_zeropoint`: > 3σ less light than the " +
          "running median of the camera's 20 earlier unflagged frames of the same filter and the same kind — 1-s " +
          "or not normalised — σ from the MAD, at least 0.05 mag; re-decided for the frames after a frame whose " +
          "run changes). Summary: uploads, fraction calibrated and failed, median 1-s zero point, frames " +
          "flagged. Not in BHTOM2.",
        body: Type.Object({
          oname: Type.String({ maxLength: 255, description: "Camera ONAME" }),
          mjd_min: Type.Optional(NumberLike("From this MJD")),
          mjd_max: Type.Optional(NumberLike("To this MJD")),
        }),
        response: {
          200: Type.Record(Type.String(), Type.Unknown()),
          400: Type.Union([Detail, FieldErrorsSchema]),
          404: Detail,
        },
      },
    },
    async (request) => cameraHealth(db, requireActor(request), request.body),
  );

  app.post(
    "/observatory/createObservatory/",
    {
      schema: {
        tags: ["observatories"],
        summary: "Create an observatory (owner: the caller) with its first camera",
        description:
          "The camera's ONAME is `<name>_<camera_name>`; it is inactive until staff activates it " +
          "(`POST /api/cameras/{oname}/activate/`). " +
          CAMERA_DEFAULTS +
          " Differs from BHTOM2: it works (BHTOM2 answers valid input with a 500 and saves nothing); " +
          "`calibration_flg` is optional (default false) as the guide documents; camera fields left out get the " +
          "model defaults (BHTOM2 would store NULL); validation errors are 400 (not 404) with a field → messages " +
          "dict; unknown fields are refused; the answer includes the created observatory and camera.",
        body: CreateObservatoryBody,
        response: {
          201: Type.Object({ Status: Type.Literal("created"), observatory: ObservatoryOut }),
          400: FieldErrorsSchema,
          413: Detail,
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const observatory = await observatories.createObservatory(
        db,
        actor,
        request.body,
        fileOptions(request),
      );
      return reply.code(201).send({ Status: "created" as const, observatory });
    },
  );

  app.route({
    method: ["PATCH", "POST"],
    url: "/observatory/updateObservatory/",
    schema: {
      tags: ["observatories"],
      summary: "Update an observatory found by `name` (owner or staff)",
      description:
        "Any of lon, lat, altitude, calibration_flg, comment, approx_lim_mag, filters, origin, telescope, aperture, " +
        "focal_length, seeing, authors, acknowledgements; `null` clears the optional text and size fields. " +
        "To rename, use `PATCH /api/observatories/{name}/`. Differs from BHTOM2: POST is accepted as well as " +
        "PATCH (the guide documents POST); another user gets 403 JSON and an unknown name 404 JSON (BHTOM2: 500); " +
        "staff may update any observatory; validation errors are 400 (not 404); the answer includes the observatory.",
      body: UpdateObservatoryBody,
      response: {
        201: Type.Object({ Status: Type.Literal("updated"), observatory: ObservatoryOut }),
        400: FieldErrorsSchema,
        403: Detail,
        404: Detail,
      },
    },
    handler: async (request, reply) => {
      refuseFiles(request);
      const observatory = await observatories.updateObservatoryByName(
        db,
        requireActor(request),
        request.body,
      );
      return reply.code(201).send({ Status: "updated" as const, observatory });
    },
  });

  app.post(
    "/observatory/getObservatoryList/",
    {
      schema: {
        tags: ["observatories"],
        summary: "List observatories with their cameras, 200 per page, oldest first",
        description:
          'Filters (all optional, AND-ed; null or "" = no filter): `name`, `lon`, `lat` exact; `created_start` ≤ ' +
          "created ≤ `created_end` (ISO 8601; naive times are UTC); `active_flg`: only observatories with a camera " +
          "of that flag, listing only those cameras (without it every camera is listed). Unknown keys are ignored. " +
          "Differs from BHTOM2: `data` holds only the requested page (BHTOM2 returned every row); `active_flg` " +
          "filters (BHTOM2 ignored it); a malformed date is a 400 (not 500).",
        body: ObservatoryListBody,
        response: { 200: Envelope(ObservatoryOut), 400: FieldErrorsSchema },
      },
    },
    async (request) => {
      const { count, page, data } = await observatories.listObservatories(db, request.body, (n) =>
        resolvePage(request.body.page, n, OBSERVATORY_PAGE_SIZE),
      );
      return envelope(count, page, data);
    },
  );

  app.post(
    "/observatory/addFavouriteObservatory/",
    {
      schema: {
        tags: ["observatories"],
        summary: "Add an active camera to the caller's favourites",
        description:
          "Name the camera by `oname`, or by `observatory` + `camera` (`oname` wins). Differs from BHTOM2: errors are " +
          '`{"detail": …}` objects (BHTOM2: bare strings) — 400 for a missing camera reference, an inactive camera ' +
          "or an existing favourite, 404 for an unknown observatory or camera (BHTOM2: 404 for all); `comment` is " +
          "stored (BHTOM2 dropped it); re-adding a deactivated favourite activates it again (BHTOM2: 400 database " +
          "error); unknown fields are refused; the answer includes the favourite.",
        body: AddFavouriteBody,
        response: {
          201: Type.Object({ Status: Type.Literal("Created"), favourite: FavouriteOut }),
          400: Type.Union([Detail, FieldErrorsSchema]),
          404: Detail,
        },
      },
    },
    async (request, reply) => {
      const favourite = await observatories.addFavourite(db, requireActor(request), request.body);
      return reply.code(201).send({ Status: "Created" as const, favourite });
    },
  );

  app.post(
    "/observatory/getFavouriteObservatory/",
    {
      schema: {
        tags: ["observatories"],
        summary: "List the caller's favourite cameras with upload counters, 200 per page, oldest first",
        description:
          "Filters: `user` (staff only: username or id; others may name only themselves), `active_flg` (the " +
          "favourite's flag), `camera` (camera name, ONAME or id), `created_start`/`created_end`. Each item has " +
          "BHTOM's fields plus `id`, `oname`, `observatory` and `camera_name`; `file_size` is in bytes. Differs " +
          "from BHTOM2: only the caller's own favourites unless staff name a user (BHTOM2 listed every user's); " +
          "`user` may be a username as the guide documents (BHTOM2: numeric id only); `data` holds only the " +
          'requested page; `active_flg` may be a string ("true"); errors are JSON with 400/403.',
        body: FavouriteListBody,
        response: { 200: Envelope(FavouriteOut), 400: FieldErrorsSchema, 403: Detail },
      },
    },
    async (request) => {
      const { count, page, data } = await observatories.listFavourites(
        db,
        requireActor(request),
        request.body,
        (n) => resolvePage(request.body.page, n, OBSERVATORY_PAGE_SIZE),
      );
      return envelope(count, page, data);
    },
  );

  app.delete(
    "/observatory/deleteFavouriteObservatory/",
    {
      schema: {
        tags: ["observatories"],
        summary: "Remove a camera from the caller's favourites",
        description:
          "Name the camera by `observatory` + `camera`, or by `oname`. Differs from BHTOM2: any user may remove " +
          "their own favourites (BHTOM2 made it staff-only by mistake); an unknown observatory, camera or favourite " +
          "is a 404 JSON (BHTOM2: 500).",
        body: DeleteFavouriteBody,
        response: { 200: Type.Object({ Status: Type.Literal("deleted") }), 400: Detail, 404: Detail },
      },
    },
    async (request) => {
      await observatories.deleteFavourite(db, requireActor(request), request.body);
      return { Status: "deleted" as const };
    },
  );

  app.get(
    "/api/observatories/:name/",
    {
      schema: {
        tags: ["observatories"],
        summary: "One observatory with all its cameras (skytom)",
        params: Params.name,
        response: { 200: ObservatoryOut, 404: Detail },
      },
    },
    async (request) => observatories.getObservatory(db, request.params.name),
  );

  app.patch(
    "/api/observatories/:name/",
    {
      schema: {
        tags: ["observatories"],
        summary: "Update or rename an observatory (owner or staff; skytom)",
        description:
          "Any observatory field; `name` renames it, and every camera's ONAME becomes `<new name>_<camera>` in the " +
          "same transaction (refused when another camera already has one of those ONAMEs).",
        params: Params.name,
        body: PatchObservatoryBody,
        response: { 200: ObservatoryOut, 400: FieldErrorsSchema, 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      refuseFiles(request);
      return observatories.updateObservatory(db, requireActor(request), request.params.name, request.body);
    },
  );

  app.post(
    "/api/observatories/:name/cameras/",
    {
      schema: {
        tags: ["observatories"],
        summary: "Add a camera to an observatory (owner or staff; skytom)",
        description: "The camera is inactive until staff activates it. " + CAMERA_DEFAULTS,
        params: Params.name,
        body: CreateCameraBody,
        response: { 201: CameraOut, 400: FieldErrorsSchema, 403: Detail, 404: Detail, 413: Detail },
      },
    },
    async (request, reply) => {
      const camera = await observatories.addCamera(
        db,
        requireActor(request),
        request.params.name,
        request.body,
        fileOptions(request),
      );
      return reply.code(201).send(camera);
    },
  );

  app.patch(
    "/api/cameras/:oname/",
    {
      schema: {
        tags: ["observatories"],
        summary: "Update or rename a camera (the observatory's owner or staff; skytom)",
        description:
          "Any camera field; `camera_name` renames it and its ONAME. A new `example_file` upload replaces the " +
          "stored one. The active flag is changed by staff only, through activate/deactivate.",
        params: Params.oname,
        body: PatchCameraBody,
        response: { 200: CameraOut, 400: FieldErrorsSchema, 403: Detail, 404: Detail, 413: Detail },
      },
    },
    async (request) =>
      observatories.updateCamera(
        db,
        requireActor(request),
        request.params.oname,
        request.body,
        fileOptions(request),
      ),
  );

  for (const [action, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    app.post(
      `/api/cameras/:oname/${action}/`,
      {
        config: { auth: "staff" },
        schema: {
          tags: ["observatories"],
          summary: `${active ? "Activate" : "Deactivate"} a camera (staff; skytom)`,
          description: active
            ? "Uploads and new favourites accept active cameras only. BHTOM2 did this in its admin pages."
            : "The camera stays in favourites and lists, but uploads and new favourites refuse it.",
          params: Params.oname,
          response: { 200: CameraOut, 403: Detail, 404: Detail },
        },
      },
      async (request) =>
        observatories.setCameraActive(db, requireActor(request), request.params.oname, active),
    );
  }
};
