import { ensureTemplate } from "./helpers/template.ts";

export default async function setup(): Promise<void> {
  await ensureTemplate();
}
