/** The independently made test field (astropy, cfitsio, Source Extractor): see test/fixtures/README.md. */
import { fileURLToPath } from "node:url";

export const FIELD_DIR = fileURLToPath(new URL("../fixtures/field-150p02", import.meta.url));
