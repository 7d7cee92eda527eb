/**
 * BHTOM's vocabularies, one `as const` list each. Column types, request schemas, forms and the CLI all
 * derive from these lists (a leaf module: it imports nothing).
 */

/** Target classifications (bhtom-behaviour.md §4.1, settings CLASSIFICATION_TYPES keys). */
export const CLASSIFICATIONS = [
  "Unknown",
  "Be-star outburst",
  "AGN",
  "BL Lac",
  "CV",
  "CEPH",
  "EB",
  "Galaxy",
  "GWOC",
  "LPV",
  "LBV",
  "M-dwarf flare",
  "Microlensing Event",
  "Nova",
  "Peculiar Supernova",
  "Planetary Transit",
  "QSO",
  "RCrB",
  "RR Lyrae Variable",
  "SSO",
  "Star",
  "SN",
  "SLSN",
  "Supernova impostor",
  "Symbiotic star",
  "TDE",
  "Variable star-other",
  "XRB",
  "Xray-transient",
  "YSO",
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Spellings the API guide uses that map onto a classification. */
export const CLASSIFICATION_ALIASES: Record<string, Classification> = {
  "Supernova imposter": "Supernova impostor",
};

/** Alias sources (TargetName.source_name, the DataSource names). */
export const ALIAS_SOURCES = [
  "GAIA_ALERTS",
  "CPCS",
  "ASASSN",
  "OGLE_EWS",
  "ZTF",
  "ATLAS",
  "AAVSO",
  "TNS",
  "ANTARES",
  "ZTF_DR8",
  "SDSS",
  "NEOWISE",
  "ALLWISE",
  "CRTS",
  "LINEAR",
  "FIRST",
  "PS1",
  "DECAPS",
  "GAIA_DR3",
  "GAIA_DR2",
  "KMT_NET",
  "LOFAR",
  "twomass",
  "PTF",
  "OGLE_OCVS",
  "ASTRO_COLIBRI",
  "GALEX",
  "SWIFT_UVOT",
  "FAVA",
  "SkyMapper",
  "LSST",
] as const;
export type AliasSource = (typeof ALIAS_SOURCES)[number];

export const DATA_PRODUCT_TYPES = ["fits_file", "photometry", "photometry_csv", "spectroscopy"] as const;
export type DataProductType = (typeof DATA_PRODUCT_TYPES)[number];

/** DataProduct / calibration status letters: to do, in progress, success, error. */
export const STATUSES = ["C", "P", "S", "E"] as const;
export type Status = (typeof STATUSES)[number];

/** FITS job states (CCDPhotJob): preparation, running, finished, done, error. */
export const FITS_JOB_STATUSES = ["P", "R", "F", "D", "E"] as const;

export const VALUE_UNITS = ["MAG", "MILLIJANSKY", "ERG_S_CM2_ANGSTROM", "COUNTS", "FLUX"] as const;
export type ValueUnit = (typeof VALUE_UNITS)[number];

/** DownloadedTarget.download_type: photometry, radio, high energy. */
export const DOWNLOAD_TYPES = ["P", "R", "H"] as const;
export type DownloadType = (typeof DOWNLOAD_TYPES)[number];
