/**
 * The layering of src/ (docs/architecture.md), checked by `npm run lint` (`npm run lint:layers`).
 * Arrows point down only: app → http, web; http/web/cli/jobs → domain → db; domain/jobs → astro, catalog,
 * harvesters; astro imports nothing of ours. Type-only imports count too: a type is a dependency.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles in src/: a cycle makes load order matter and the layers meaningless.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "astro-is-pure",
      severity: "error",
      comment: "src/astro is pure science: it imports nothing of ours outside src/astro.",
      from: { path: "^src/astro/" },
      to: { path: "^src/", pathNot: "^src/astro/" },
    },
    {
      name: "domain-knows-no-delivery",
      severity: "error",
      comment: "src/domain knows nothing of HTTP, pages, the command line or the job runner.",
      from: { path: "^src/domain/" },
      to: { path: "^src/(app\\.ts|server\\.ts|http|http-kit|web|cli|demo|jobs|client)(/|\\.ts$)" },
    },
    {
      name: "lower-floors-stay-below-domain",
      severity: "error",
      comment:
        "src/db, src/catalog, src/harvesters and src/plots sit below the domain: they import neither the domain " +
        "nor anything above it — except the typed errors of src/domain/errors.ts, which the HTTP layer maps to " +
        "answers in one place (a catalogue import's bad line, an impossible cone).",
      from: { path: "^src/(db|catalog|harvesters|plots)/" },
      to: {
        path: "^src/(app\\.ts|server\\.ts|domain|http|http-kit|web|cli|demo|jobs|client)(/|\\.ts$)",
        pathNot: "^src/domain/errors\\.ts$",
      },
    },
    {
      name: "errors-are-a-leaf",
      severity: "error",
      comment: "src/domain/errors.ts is imported from every floor, so it imports nothing of ours.",
      from: { path: "^src/domain/errors\\.ts$" },
      to: { path: "^src/" },
    },
    {
      name: "api-never-imports-web",
      severity: "error",
      comment: "src/http (the API) never imports src/web; what both use lives in src/http-kit.",
      from: { path: "^src/http/" },
      to: { path: "^src/web/" },
    },
    {
      name: "web-never-imports-api",
      severity: "error",
      comment: "src/web never imports src/http (the API's routes); what both use lives in src/http-kit.",
      from: { path: "^src/web/" },
      to: { path: "^src/http/" },
    },
    {
      name: "http-kit-is-neutral",
      severity: "error",
      comment: "src/http-kit serves the API and the web UI alike: it imports neither.",
      from: { path: "^src/http-kit/" },
      to: { path: "^src/(app\\.ts|http|web|cli|jobs)(/|\\.ts$)" },
    },
    {
      name: "only-the-root-composes",
      severity: "error",
      comment:
        "Only the composition root (src/app.ts) and the process starters register both the API and the web UI.",
      from: { path: "^src/", pathNot: "^src/(app\\.ts|server\\.ts|cli/)" },
      to: { path: "^src/app\\.ts$" },
    },
    {
      name: "jobs-are-handlers",
      severity: "error",
      comment:
        "Job handlers call the domain; only the process starters (server, CLI, `skytom demo`) register them.",
      from: { path: "^src/", pathNot: "^src/(jobs/|server\\.ts|cli/|demo/)" },
      to: { path: "^src/jobs/" },
    },
    {
      name: "configuration-comes-from-the-starters",
      severity: "error",
      comment:
        "The domain and the science read no configuration: the server, worker and CLI pass what they need.",
      from: { path: "^src/(domain|astro|catalog|harvesters|plots)/" },
      to: { path: "^src/config\\.ts$" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve is a typo or a missing dependency.",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^src/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".d.ts", ".json"],
    },
  },
};
