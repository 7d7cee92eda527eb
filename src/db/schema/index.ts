export * from "./users.ts";
export * from "./targets.ts";
export * from "./observatories.ts";
export * from "./dataproducts.ts";
export * from "./cache.ts";
export * from "./catalogs.ts";
export * from "./sessions.ts";
export * from "./harvests.ts";
