import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes plain SQL migrations into drizzle/ (offline; no database needed).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
  casing: "snake_case",
});
