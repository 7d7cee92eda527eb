/** Data products (API guide §G): list, delete, change observers, download the instrumental photometry file. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest, FastifySchema } from "fastify";
import { Type } from "@sinclair/typebox";
import type { Db } from "../db/connection.ts";
import { NotFoundError } from "../domain/errors.ts";
import { ChangeObserversBody, DataListBody, IdBody } from "../domain/dataproducts/schemas.ts";
import * as dataproducts from "../domain/dataproducts/service.ts";
import { removeStoredFiles, storedPath } from "../storage.ts";
import { contentDisposition } from "../http-kit/content-disposition.ts";
import { requireActor } from "./auth.ts";
import { Detail } from "./schemas.ts";
import { envelope, resolvePage } from "./pagination.ts";
import { strictValidatorCompiler } from "./strict-validation.ts";

export const dataproductsRoutes: FastifyPluginAsyncTypebox<{ db: Db; dataDir: string }> = async (
  app,
  { db, dataDir },
) => {
  app.post(
    "/common/api/data/",
    {
      schema: {
        tags: ["data products"],
        summary: "List data products (uploads) with filters; newest first; 500 per page (1000 for staff)",
        description:
          "Filters: id, data_product_type, status, fits_data (the FITS image's stored path contains), photometry_data " +
          "(stored path contains), oname, " +
          "created_start/created_end, mjd, target_name (contains, case-insensitive), target_id, magerr_min/max, " +
          "mjd_min/max, mag_min/max (calibrated magnitude), filter (requested filter, or the survey/band it was " +
          "standardised to). Differs from BHTOM2: mag_min, mag_max and filter work (BHTOM2 answered 500); bad values " +
          "are 400; items also carry status_message, facility, filter, mjd, original_name and size_bytes; a real 0 in " +
          "calibration_data stays 0; fits_webp is the FITS preview's stored path (a PNG); product_id, thumbnail, " +
          'featured and extra_data, which nothing in skytom sets, are always null, null, false and "".',
        body: DataListBody,
        response: {
          200: Type.Object({
            count: Type.Integer(),
            num_pages: Type.Integer(),
            current_page: Type.Integer(),
            data: Type.Array(
              Type.Record(Type.String(), Type.Unknown(), {
                description: "A data product, with BHTOM2's keys",
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const r = await dataproducts.listDataProducts(db, request.body, (n) =>
        resolvePage(request.body.page, n, dataproducts.dataPageSize(actor)),
      );
      return envelope(r.count, r.page, r.items);
    },
  );

  app.delete(
    "/common/api/deleteDataProduct/",
    {
      schema: {
        tags: ["data products"],
        summary: "Delete a data product with its points, calibration and files (uploader or staff)",
        description:
          "Differs from BHTOM2: the uploader may delete too; unknown id → 404 (not 500); every file of the data " +
          'product is removed (upload, catalogue, calibration plot, FITS preview); errors are {"detail": …} ' +
          '(BHTOM2: {"Error": …}, e.g. {"Error": "Missing required parameter \'id\'."}).',
        body: IdBody,
        response: { 200: Type.Object({ Success: Type.String() }), 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      const files = await dataproducts.deleteDataProduct(db, requireActor(request), request.body.id);
      await removeStoredFiles(dataDir, files).catch((err: unknown) =>
        request.log.warn({ err }, "file removal failed"),
      );
      return { Success: "DataProduct deleted successfully." };
    },
  );

  app.post(
    "/common/api/changeObservers/",
    {
      schema: {
        tags: ["data products"],
        summary: "Replace a data product's observers (registered usernames; uploader or staff)",
        description:
          'observers: a list, a comma-separated string or one name; [] or "" clears; null, a number or an object ' +
          "is a 400 and changes nothing. Differs from BHTOM2: only the uploader or staff may change it; usernames " +
          '(not user ids) are stored; null is a 400 naming the field; other errors are {"detail": …} (BHTOM2: ' +
          '{"error": …}).',
        body: ChangeObserversBody,
        response: {
          200: Type.Record(Type.String(), Type.Unknown(), {
            description: "The data product, as common/api/data lists it",
          }),
          403: Detail,
          404: Detail,
        },
      },
      validatorCompiler: strictValidatorCompiler,
    },
    async (request) =>
      dataproducts.changeObservers(db, requireActor(request), request.body.id, request.body.observers),
  );

  const sendPhotometryFile = async (request: FastifyRequest, reply: FastifyReply, id: unknown) => {
    const path = await dataproducts.photometryFile(db, requireActor(request), id);
    const full = storedPath(dataDir, path);
    const info = await stat(full).catch(() => null);
    if (!info?.isFile()) throw new NotFoundError("File not found");
    const name = basename(path);
    return reply
      .type(name.toLowerCase().endsWith(".csv") ? "text/csv" : "application/octet-stream")
      .header("Content-Disposition", contentDisposition(name))
      .header("Content-Length", info.size)
      .send(createReadStream(full));
  };
  const fileSchema = {
    response: {
      200: { description: "The file", content: { "application/octet-stream": { schema: Type.String() } } },
      403: Detail,
      404: Detail,
    } as FastifySchema["response"],
    tags: ["data products"],
    summary: "Download the instrumental photometry file of a data product (uploader, observers or staff)",
    description:
      'POST with {"id": …} as BHTOM, or GET ?id=… (the link get-calibration-res gives). Differs from BHTOM2: ' +
      'limited to the uploader, the observers and staff; errors are {"detail": …} (BHTOM2: bare strings, ' +
      '"ID not provided", "DataProduct not found", "File not found").',
  };
  app.post(
    "/common/api/downloadPhotometryFile/",
    { schema: { ...fileSchema, body: IdBody } },
    (request, reply) => sendPhotometryFile(request, reply, request.body.id),
  );
  app.get(
    "/common/api/downloadPhotometryFile/",
    { schema: { ...fileSchema, querystring: IdBody } },
    (request, reply) => sendPhotometryFile(request, reply, request.query.id),
  );
};
