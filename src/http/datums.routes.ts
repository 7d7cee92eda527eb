/** Light-curve points (API guide §G): reducedDatum, deleteReducedDatum, deactivateReducedDatum, and re-activation. */
import { Type } from "@sinclair/typebox";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Db } from "../db/connection.ts";
import {
  DatumIdParams,
  DatumItem,
  DatumPage,
  DeleteDatumBody,
  ListDatumsBody,
  MatchDatumBody,
} from "../domain/datums/schemas.ts";
import * as datums from "../domain/datums/service.ts";
import { removeStoredFiles } from "../storage.ts";
import { requireActor } from "./auth.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { strictValidatorCompiler } from "./strict-validation.ts";
import { Detail, FieldErrorsSchema } from "./schemas.ts";

const Success = Type.Object({ Success: Type.String() });
const PageError = Type.Object({ error: Type.String() });
const staff = { auth: "staff" as const };

const MATCH_RULE =
  "Required: mjd, mag, magerr, filter, observer (0 and empty strings are values; a missing one is a 400 " +
  '{"detail": "Missing required parameters: …"} naming them). Optional: target_name (exact) and/or target_id; ' +
  "without them every target is searched. Match: mjd within ±1e-6, value within ±1e-3, error within ±1e-3, " +
  "filter and observer exact; the first match by id is used. Staff only.";
const MATCH_DIFFERS =
  "Differs from BHTOM2: a value of 0 is accepted (BHTOM2 treated it as missing); a non-numeric mjd/mag/magerr " +
  "is a 400 naming the field (BHTOM2: 500); non-staff get 403 JSON (BHTOM2: 302 to the login page); errors are " +
  '{"detail": …} (BHTOM2: {"Error": …}); the target\'s latest point (mag_last, mjd_last, filter_last) and ' +
  "priority are refreshed and cached lists and plots follow at once (BHTOM2 refreshed nothing).";

export const datumsRoutes: FastifyPluginAsyncTypebox<{ db: Db; dataDir: string }> = async (
  app,
  { db, dataDir },
) => {
  app.post(
    "/common/api/reducedDatum/",
    {
      schema: {
        tags: ["datums"],
        summary: "Light-curve points of one target; 500 per page (1000 for staff)",
        description:
          "Exactly one of target_id or target_name (exact). Every point of the target: every data type and unit, " +
          "inactive points too (active_flg false). Pages are strict: a page that is not an integer or is out of " +
          'range is a 400 {"error": "Invalid page number."} (page 1 of an empty light curve is valid). ' +
          "Differs from BHTOM2: points are ordered by (mjd, id) (BHTOM2: unspecified); an unknown target_id is a 404 " +
          '(BHTOM2: an empty page); errors other than the page error are {"detail": …} (BHTOM2: {"error": …}).',
        body: ListDatumsBody,
        response: { 200: DatumPage, 400: Type.Union([Detail, PageError, FieldErrorsSchema]), 404: Detail },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const size = datums.pageSizeFor(actor);
      const r = await datums.listDatums(db, request.body, (count) =>
        resolvePage(request.body.page, count, size, "strict"),
      );
      return envelope(r.count, r.page, r.items);
    },
  );

  app.delete(
    "/common/api/deleteReducedDatum/",
    {
      config: staff,
      validatorCompiler: strictValidatorCompiler,
      schema: {
        tags: ["datums"],
        summary: "Delete one light-curve point found by its values (staff)",
        description:
          `${MATCH_RULE} With delete_associated_data_product true and the point linked to a data product, the ` +
          "data product is deleted too, with all its points and its stored files. " +
          `${MATCH_DIFFERS} Also: delete_associated_data_product is a real boolean ("false", "False", 0 are false; ` +
          "BHTOM2 took any non-empty value as true); the deleted data product's files are removed (BHTOM2 kept them).",
        body: DeleteDatumBody,
        response: { 200: Success, 400: Type.Union([Detail, FieldErrorsSchema]), 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      const r = await datums.deleteMatching(db, requireActor(request), request.body);
      if (r.files.length) {
        await removeStoredFiles(dataDir, r.files).catch((err: unknown) =>
          request.log.warn({ err }, "could not remove some files of a deleted data product"),
        );
      }
      return { Success: "Reduced datum deleted successfully." };
    },
  );

  app.post(
    "/common/api/deactivateReducedDatum/",
    {
      config: staff,
      validatorCompiler: strictValidatorCompiler,
      schema: {
        tags: ["datums"],
        summary: "Deactivate one light-curve point found by its values (staff)",
        description:
          `${MATCH_RULE} The point stays stored with active_flg false: it leaves the CSV downloads, plots and ` +
          `mag_last, and is still listed by reducedDatum. ${MATCH_DIFFERS} Also: a point that is not found is a 404 ` +
          "(BHTOM2: 500).",
        body: MatchDatumBody,
        response: { 200: Success, 400: Type.Union([Detail, FieldErrorsSchema]), 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      await datums.setActiveMatching(db, requireActor(request), request.body, false);
      return { Success: "Reduced datum deactivated successfully." };
    },
  );

  app.post(
    "/common/api/activateReducedDatum/",
    {
      config: staff,
      validatorCompiler: strictValidatorCompiler,
      schema: {
        tags: ["datums"],
        summary: "Re-activate one light-curve point found by its values (staff; skytom addition)",
        description:
          `The reverse of deactivateReducedDatum, with the same rules. ${MATCH_RULE} Not in BHTOM2. To act on one ` +
          "exact point, use POST /api/datums/{id}/activate/ with an id from reducedDatum.",
        body: MatchDatumBody,
        response: { 200: Success, 400: Type.Union([Detail, FieldErrorsSchema]), 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      await datums.setActiveMatching(db, requireActor(request), request.body, true);
      return { Success: "Reduced datum activated successfully." };
    },
  );

  for (const [action, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    app.post(
      `/api/datums/:id/${action}/`,
      {
        config: staff,
        schema: {
          tags: ["datums"],
          summary: `${active ? "Re-activate" : "Deactivate"} the light-curve point with this id (staff; skytom addition)`,
          description:
            "By id (the `id` of a reducedDatum item), so exactly one point changes. Answers the point as reducedDatum " +
            "lists it. Refreshes the target's latest point and priority. Not in BHTOM2.",
          params: DatumIdParams,
          response: { 200: DatumItem, 403: Detail, 404: Detail },
        },
      },
      async (request) => datums.setActiveById(db, requireActor(request), request.params.id, active),
    );
  }
};
