/** API views of observatory, camera and favourite rows, and the paged list shape. */
import type { Executor } from "../../db/connection.ts";
import { DEFAULT_BAYER_BANDS } from "./bayer.ts";
import { learntColourTerms } from "../calibration/colour.ts";
import * as repo from "./repo.ts";
import type { CameraView, FavouriteView, ObservatoryView } from "./schemas.ts";

/** A camera's learnt colour terms per band (calibration/colour.ts), as the views show them. */
export type LearntTerms = CameraView["learnt_colour_terms"];

export function toCameraView(c: repo.CameraRow, learnt: LearntTerms = []): CameraView {
  return {
    id: c.id,
    user: c.userId,
    observatory: c.observatoryId,
    camera_name: c.cameraName,
    active_flg: c.activeFlg,
    prefix: c.prefix,
    gain: c.gain,
    example_file: c.exampleFile,
    readout_noise: c.readoutNoise,
    binning: c.binning,
    saturation_level: c.saturationLevel,
    pixel_scale: c.pixelScale,
    readout_speed: c.readoutSpeed,
    pixel_size: c.pixelSize,
    detector_width_px: c.detectorWidthPx,
    detector_height_px: c.detectorHeightPx,
    date_time_keyword: c.dateTimeKeyword,
    time_keyword: c.timeKeyword,
    exposure_time_keyword: c.exposureTimeKeyword,
    mode_recognition_keyword: c.modeRecognitionKeyword,
    additional_info: c.additionalInfo,
    bayer_bands: { ...(c.bayerBands ?? DEFAULT_BAYER_BANDS) },
    colour_terms: c.colourTerms,
    unfiltered_band: c.unfilteredBand,
    colour_index: c.colourIndex,
    learnt_colour_terms: learnt,
    created: c.created.toISOString(),
    modified: c.modified.toISOString(),
  };
}

export function toObservatoryView(
  o: repo.ObservatoryRow,
  cameras: repo.CameraRow[],
  learnt: Map<number, LearntTerms> = new Map(),
): ObservatoryView {
  return {
    id: o.id,
    name: o.name,
    lon: o.lon,
    lat: o.lat,
    altitude: o.altitude,
    calibration_flg: o.calibrationFlg,
    comment: o.comment,
    approx_lim_mag: o.approxLimMag,
    origin: o.origin,
    telescope: o.telescope,
    aperture: o.aperture,
    focal_length: o.focalLength,
    seeing: o.seeing,
    filters: o.filters,
    created: o.created.toISOString(),
    modified: o.modified.toISOString(),
    authors: o.authors,
    acknowledgements: o.acknowledgements,
    cameras: cameras.map((c) => toCameraView(c, learnt.get(c.id))),
  };
}

export function toFavouriteView(r: repo.FavouriteListRow): FavouriteView {
  const f = r.favourite;
  return {
    id: f.id,
    user: f.userId,
    camera: f.cameraId,
    oname: r.oname,
    observatory: r.observatory,
    camera_name: r.cameraName,
    active_flg: f.activeFlg,
    comment: f.comment,
    created: f.created.toISOString(),
    modified: f.modified.toISOString(),
    number_of_uploaded_file: f.numberOfUploadedFile,
    file_size: f.fileSize,
    last_file_process: f.lastFileProcess ? f.lastFileProcess.toISOString() : null,
  };
}

export async function observatoryView(db: Executor, row: repo.ObservatoryRow): Promise<ObservatoryView> {
  const cameras = await repo.camerasOf(db, [row.id]);
  return toObservatoryView(
    row,
    cameras,
    await learntColourTerms(
      db,
      cameras.map((c) => c.id),
    ),
  );
}

export interface Paged<T, P> {
  count: number;
  page: P;
  data: T[];
}
